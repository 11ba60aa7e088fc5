"""With TAGGER_API_TOKEN set, the workbench page asks for the token and sends it (real browser)."""

import pytest
from browsers import SEED, chromium_browser, needs_chromium  # noqa: F401 (the `browser` fixture)
from servers import call

from service.local_server import LocalServer

from conftest import REPO

pytestmark = [pytest.mark.slow, needs_chromium]


def test_token_is_asked_for_and_sent(promoted_tiny, browser, tmp_path):
    s = LocalServer(env={"TAGGER_API_TOKEN": "s3cret"}, cwd=REPO)
    try:
        assert call(s.port, "/workbench/api/schema", method="GET")[0] == 401
        assert call(s.port, "/classify", {"text": "Ministers met."})[0] == 401
        assert call(s.port, "/docs.json", method="GET")[0] == 200  # the contract holds no data
        docs = browser.new_page()  # Swagger UI renders without the token
        docs.goto(f"http://127.0.0.1:{s.port}/docs")
        docs.wait_for_selector("text=/classify_batch", timeout=30_000)
        docs.close()
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{s.port}/")
        page.wait_for_selector("#token-dialog[open]", timeout=30_000)
        page.fill("#token-input", "s3cret")
        page.keyboard.press("Enter")
        page.wait_for_selector("body[data-ready=true]", timeout=30_000)
        page.fill("#read-text", SEED.read_text(encoding="utf-8"))
        page.click("#read-submit")
        page.wait_for_selector("#read-result .scores.framing li", timeout=60_000)
        page.screenshot(path=str(tmp_path / "token.png"))
        page.close()
    finally:
        s.stop()
