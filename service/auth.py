"""Optional bearer-token auth: on when TAGGER_API_TOKEN is set, off otherwise (localhost use)."""

from __future__ import annotations

import hmac
import json
import os

from service.contract import logging_refusals

TOKEN_ENV = "TAGGER_API_TOKEN"
OPEN_PATHS = ("/healthz", "/readyz", "/livez", "/metrics")  # probes and scraping stay open
# pages and their files hold no data (the workbench asks for the token; Swagger UI reads the contract)
PAGE_PATHS = ("/", "/docs", "/docs.json")
PAGE_PREFIXES = ("/workbench/static/", "/static_content/")


class BearerAuth:
    """ASGI middleware: 401 unless `Authorization: Bearer <token>` matches."""

    def __init__(self, app, token: str | None = None):
        self.app = app
        self.token = token if token is not None else token_from_env()

    async def __call__(self, scope, receive, send):
        if self.token is None or scope["type"] != "http" or _open(scope["path"]):
            return await self.app(scope, receive, send)
        scheme, _, given = dict(scope.get("headers", [])).get(b"authorization", b"").partition(b" ")
        # the scheme in any case (RFC 7235); bytes, as compare_digest takes no non-ASCII str
        if scheme.lower() == b"bearer" and hmac.compare_digest(given.strip(), self.token.encode()):
            return await self.app(scope, receive, send)
        body = json.dumps(
            {
                "error": "missing or wrong bearer token (header 'Authorization: Bearer <token>')",
                "field": "Authorization",
            }
        )
        send = logging_refusals(scope, send)  # this middleware is outside the contract's: its own line
        await send(
            {
                "type": "http.response.start",
                "status": 401,
                "headers": [(b"content-type", b"application/json"), (b"www-authenticate", b"Bearer")],
            }
        )
        await send({"type": "http.response.body", "body": body.encode()})


def _open(path: str) -> bool:
    return path.startswith(OPEN_PATHS) or path in PAGE_PATHS or path.startswith(PAGE_PREFIXES)


def token_from_env() -> str | None:
    return os.environ.get(TOKEN_ENV) or None


def guarded(path: str) -> bool:
    """Whether a call to `path` needs the bearer token: none does unless TAGGER_API_TOKEN is set."""
    return token_from_env() is not None and not _open(path)
