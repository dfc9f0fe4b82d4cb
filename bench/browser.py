"""Offline speed in a real browser: Debian's Chromium, driven by Playwright,
phone-sized, with the launch flags the browser tests use.

Navigation time is read from the page's own Navigation Timing and Paint
Timing entries (milliseconds from the start of the navigation), so it
excludes Playwright's round trips:
- first paint: `first-contentful-paint`, the first screen a person sees;
- ready: `domContentLoadedEventEnd`, the page parsed and its module scripts
  run (the toolkit's buttons work);
- document: `responseEnd`, the page's HTML received (from the network or
  from the worker's cache: the one step where online and offline differ).

Each figure is the median of `rounds` fresh browser profiles, after one
uncounted warm-up round.
"""

import statistics

from playwright.sync_api import sync_playwright

from devtools.browser import CHROMIUM, CHROMIUM_ARGS, PHONE, wait_for_service_worker

TIMING = """async () => {
  const paint = () => performance.getEntriesByName("first-contentful-paint")[0];
  for (let i = 0; i < 100 && !paint(); i++) await new Promise((r) => setTimeout(r, 20));
  const nav = performance.getEntriesByType("navigation")[0];
  return {
    paint: paint() ? paint().startTime : null,
    ready: nav.domContentLoadedEventEnd - nav.startTime,
    document: nav.responseEnd - nav.startTime,
  };
}"""


def timed_goto(page, path: str, *, from_service_worker: bool | None = None) -> dict:
    response = page.goto(path)
    if response is None or not response.ok:
        raise RuntimeError(f"{path} did not load")
    if from_service_worker is not None and response.from_service_worker != from_service_worker:
        raise RuntimeError(f"{path}: expected from_service_worker={from_service_worker}")
    return page.evaluate(TIMING)


def lesson_paths(page) -> list[str]:
    page.goto("/lessons/")
    return page.eval_on_selector_all(".lesson-item a", "links => links.map(a => new URL(a.href).pathname)")


def offline_timings(base_url: str, rounds: int = 5) -> dict:
    """/craving/ offline, and every lesson online (through the installed
    worker, which goes to the network first) against offline (the worker's
    cache). Each lesson's two visits are paired, one right after the other,
    and their order alternates from round to round, so a busy moment of the
    shared machine or a warm memory cache favours neither side."""
    craving: list[dict] = []
    online: dict[str, list[dict]] = {}
    offline: dict[str, list[dict]] = {}
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            # Round -1 warms up (a fresh server renders every page once, and
            # Chromium's first profile is slow to start); it is not counted.
            for round_number in range(-1, rounds):
                context = browser.new_context(base_url=base_url, **PHONE)
                page = context.new_page()
                page.goto("/")
                wait_for_service_worker(page)
                lessons = lesson_paths(page)
                context.set_offline(True)
                first_screen = timed_goto(page, "/craving/", from_service_worker=True)
                for path in lessons:
                    order = (False, True) if round_number % 2 == 0 else (True, False)
                    pair = {}
                    for is_offline in order:
                        context.set_offline(is_offline)
                        pair[is_offline] = timed_goto(page, path, from_service_worker=True)
                    if round_number >= 0:
                        online.setdefault(path, []).append(pair[False])
                        offline.setdefault(path, []).append(pair[True])
                if round_number >= 0:
                    craving.append(first_screen)
                context.close()
        finally:
            browser.close()
    return {
        "craving_offline_paint_ms": statistics.median(t["paint"] for t in craving),
        "craving_offline_ready_ms": statistics.median(t["ready"] for t in craving),
        "lessons": {
            path: {
                **_medians(online[path], "online"),
                **_medians(offline[path], "offline"),
                # Each visit against its pair: steadier than two medians.
                **{
                    f"offline_minus_online_{name}_ms": statistics.median(
                        off[name] - on[name] for on, off in zip(online[path], offline[path], strict=True)
                    )
                    for name in ("paint", "ready")
                },
            }
            for path in online
        },
    }


def _medians(timings: list[dict], prefix: str) -> dict:
    return {
        f"{prefix}_{name}_ms": statistics.median(t[name] for t in timings) for name in ("paint", "ready", "document")
    }
