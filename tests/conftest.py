import os
import subprocess
import sys
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def schema():
    from tagger.schema import LabelSchema

    return LabelSchema.load()


def run_tagger(*args: str, **kw) -> subprocess.CompletedProcess:
    """Run the real `tagger` console entry point in a subprocess."""
    return subprocess.run(
        [sys.executable, "-m", "tagger.cli", *args],
        capture_output=True,
        text=True,
        cwd=kw.pop("cwd", REPO),
        **kw,
    )
