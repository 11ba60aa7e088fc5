"""The server log, for whoever runs the service: BentoML logs the refused requests it sees (a
client's 400, 404, 413...) as an ERROR with a twenty-line traceback of its own code, which buries
real failures, and not those refused before they reach it. Its records of refusals are dropped:
service/contract.py logs every refusal, on every route, as one INFO line saying what the client was
told. A model failure on an article is logged with the model's own traceback (the client's 422
names only the exception)."""

from __future__ import annotations

import logging

from bentoml.exceptions import BentoMLException
from pydantic import ValidationError

from service.contract import REQUEST_LOG

logger = logging.getLogger("article_tagger.service")


def is_refusal(exc: BaseException | None) -> bool:
    """A refused request (a 4xx, or busy: 503), which the contract logs, not a failure."""
    if isinstance(exc, ValidationError):
        return True
    return isinstance(exc, BentoMLException) and (exc.error_code < 500 or exc.error_code == 503)


class DropRefusals(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not is_refusal(record.exc_info[1] if record.exc_info else None)


def quiet_refusals() -> None:
    """Install the filter (once per process, from the service's `__init__`)."""
    log = REQUEST_LOG  # its `log_exception`
    if not any(isinstance(f, DropRefusals) for f in log.filters):
        log.addFilter(DropRefusals())


def announce(message: str, *args: object) -> None:
    """One INFO line in the server log (BentoML's setup shows other packages' WARNING and above)."""
    logger.setLevel(logging.INFO)
    logger.info(message, *args)


def log_model_failures(results: list) -> None:
    """Each exception among `results` (an article the model failed on), with its traceback."""
    for error in results:
        if isinstance(error, Exception):
            logger.error("the model failed on an article", exc_info=error)
