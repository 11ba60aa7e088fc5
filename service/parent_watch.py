"""The model worker ends when the server process that started it is gone. BentoML's worker holds the
listening socket it was handed, so after `kill -9` of `tagger serve` (or an out-of-memory kill) it
went on serving, and a new `tagger serve` on that port failed with "address in use"."""

from __future__ import annotations

import logging
import os
import signal
import threading
import time

logger = logging.getLogger("article_tagger.service")
CHECK_SECONDS = 1.0
GRACE_SECONDS = 10.0  # for a clean shutdown before the worker is ended outright


def exit_with_parent(check_seconds: float = CHECK_SECONDS) -> threading.Thread:
    """Watch (in a daemon thread) for this process being orphaned, i.e. its parent changing, and
    then stop it: SIGTERM to itself for a clean shutdown, an outright exit if that hangs."""
    parent = os.getppid()

    def watch() -> None:
        while os.getppid() == parent:
            time.sleep(check_seconds)
        logger.warning("the server process (pid %d) is gone; this worker stops too", parent)
        os.kill(os.getpid(), signal.SIGTERM)
        time.sleep(GRACE_SECONDS)
        os._exit(1)

    thread = threading.Thread(target=watch, name="exit-with-parent", daemon=True)
    thread.start()
    return thread
