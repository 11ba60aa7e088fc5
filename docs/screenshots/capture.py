"""Re-take the README's workbench screenshots with the promoted model: serve it, read the first
seed article in Debian's chromium (Playwright), and save the page at 1400x900 and 420x860.

    python docs/screenshots/capture.py [--out docs/screenshots]
"""

from __future__ import annotations

import argparse
import shutil
import sys
from pathlib import Path

from playwright.sync_api import sync_playwright

from service.local_server import LocalServer

ROOT = Path.cwd()

SIZES = {"workbench-1400x900.png": (1400, 900), "workbench-narrow-420x860.png": (420, 860)}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    args = ap.parse_args()
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    if not chromium:
        sys.exit("chromium is not installed (apt-get install chromium)")
    seed = sorted((ROOT / "seeds").glob("*.txt"))[0].read_text(encoding="utf-8")
    with LocalServer(timeout=300) as server, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=["--no-sandbox"], headless=True)
        for name, (width, height) in SIZES.items():
            page = browser.new_page(viewport={"width": width, "height": height})
            page.goto(f"http://127.0.0.1:{server.port}/")
            page.wait_for_selector("body[data-ready=true]", timeout=30_000)
            page.fill("#read-text", seed)
            page.keyboard.press("Control+Enter")
            page.wait_for_selector("#read-result .scores.framing li", timeout=60_000)
            page.screenshot(path=str(args.out / name))
            print("wrote", args.out / name)
        browser.close()


if __name__ == "__main__":
    main()
