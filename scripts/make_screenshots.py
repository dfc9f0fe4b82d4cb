"""Make the install sheet's screenshots (the manifest's `screenshots`) from
the real pages, in English and Spanish.

Neutral on purpose, like the icons: the breathing tool and the grounding
exercise, screens with no words that say what Crest is for. They live in
static/screenshots/, which the service worker does not precache (only
css, js and icons are): a phone downloads them only to show the install
sheet. Run after changing those screens:

    .venv/bin/python scripts/make_screenshots.py

It starts Crest as the browser tests do (devtools/server.py) and drives
Debian's Chromium (devtools/browser.py). The sizes here are the ones
project/settings.py declares (PWA_APP_SCREENSHOTS); tests/project/test_reading.py
checks that the files match them.
"""

import sys
import tempfile
from pathlib import Path

from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from devtools.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from devtools.server import running_server  # noqa: E402

OUT = ROOT / "static" / "screenshots"
LANGUAGES = {"en": "", "es": "/es"}
# (file name, CSS viewport, device pixel ratio): 540x1200 and 1280x800 pixels.
NARROW = ({"width": 360, "height": 800}, 1.5)
WIDE = ({"width": 1280, "height": 800}, 1)
SHOTS = [
    ("breathing-narrow", "/craving/#breathing", NARROW),
    ("grounding-narrow", "/craving/#grounding", NARROW),
    ("breathing-wide", "/craving/#breathing", WIDE),
]
# The circle is at its largest 4 s into a breath (craving.css: 40 % of 10 s).
BREATH_IN_MS = 3800


def shoot(browser, base_url: str) -> None:
    for language, prefix in LANGUAGES.items():
        (OUT / language).mkdir(parents=True, exist_ok=True)
        for name, path, (viewport, scale) in SHOTS:
            # No worker: its "you are offline" and "update" notices stay out of the picture.
            context = browser.new_context(
                base_url=base_url, viewport=viewport, device_scale_factor=scale, locale=language,
                service_workers="block", color_scheme="light", reduced_motion="no-preference",
            )
            try:
                page = context.new_page()
                page.goto(prefix + path)
                page.wait_for_load_state("networkidle")
                if "breathing" in name:
                    page.locator("[data-breath-toggle]").click()
                    page.wait_for_timeout(BREATH_IN_MS)
                target = OUT / language / f"{name}.png"
                page.screenshot(path=str(target), animations="allow", caret="hide")
                print(f"{target.relative_to(ROOT)}: {target.stat().st_size // 1024} KB")
            finally:
                context.close()


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp)) as server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            shoot(browser, server.url)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
