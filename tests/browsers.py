"""Helpers for tests that drive the workbench in a real browser: Debian's chromium via Playwright."""

import os
import shutil

import pytest

from conftest import REPO

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")
LAUNCH_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
SEED = sorted((REPO / "seeds").glob("*.txt"))[0]

# In CI (CI=true; `make test` installs chromium) a missing browser fails the tests instead of skipping
REQUIRED = os.environ.get("CI") == "true" or bool(os.environ.get("TAGGER_REQUIRE_BROWSER"))
needs_chromium = pytest.mark.skipif(
    CHROMIUM is None and not REQUIRED,
    reason="chromium is not installed (apt-get install chromium; .ci/run installs it)",
)


@pytest.fixture(scope="module", name="browser")
def chromium_browser():
    """Chromium, never a downloaded one (`playwright install` is not used)."""
    if REQUIRED:
        import playwright.sync_api as sync_api
    else:
        sync_api = pytest.importorskip(
            "playwright.sync_api", reason="the playwright package is not installed (pip install -e '.[dev]')"
        )
    assert CHROMIUM, (
        "CI=true or TAGGER_REQUIRE_BROWSER=1 asks for the browser tests, but chromium is not installed"
    )
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=LAUNCH_ARGS, headless=True)
        yield b
        b.close()
