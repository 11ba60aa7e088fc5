"""The server log, for whoever runs the service: BentoML logs every refused request (a client's
400, 404, 413...) as an ERROR with a twenty-line traceback of its own code, which buries real
failures. A refusal becomes one INFO line saying what was wrong; a model failure on an article is
logged with the model's own traceback (the client's 422 names only the exception)."""

from __future__ import annotations

import logging

from bentoml.exceptions import BentoMLException
from pydantic import ValidationError

from service.contract import normalise_error

BENTOML_REQUEST_LOGGER = "bentoml._internal.server.http_app"  # its `log_exception`
logger = logging.getLogger("article_tagger.service")


def refusal(exc: BaseException | None) -> str | None:
    """Why a request was refused, when `exc` is a refusal (a 4xx, or busy: 503), else None."""
    if isinstance(exc, ValidationError):
        detail = exc.errors(include_context=False, include_input=False)
        return normalise_error({"detail": detail})["error"]
    if isinstance(exc, BentoMLException) and (exc.error_code < 500 or exc.error_code == 503):
        return f"{int(exc.error_code)} {normalise_error({'error': exc.message})['error']}"
    return None


class RefusalsOnOneLine(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        said = refusal(record.exc_info[1] if record.exc_info else None)
        if said is not None:
            record.msg = "Refused %s [%s]: %s"
            record.args = (*(record.args or ()), said)
            record.levelno, record.levelname = logging.INFO, "INFO"
            record.exc_info, record.exc_text = None, None
        return True


def quiet_refusals() -> None:
    """Install the filter (once per process, from the service's `__init__`)."""
    log = logging.getLogger(BENTOML_REQUEST_LOGGER)
    if not any(isinstance(f, RefusalsOnOneLine) for f in log.filters):
        log.addFilter(RefusalsOnOneLine())


def log_model_failures(results: list) -> None:
    """Each exception among `results` (an article the model failed on), with its traceback."""
    for error in results:
        if isinstance(error, Exception):
            logger.error("the model failed on an article", exc_info=error)
