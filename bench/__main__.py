"""`make bench`: timings measured in one run, reported as ratios.

The machine is shared and noisy, so absolute milliseconds mean little from
one run to the next; ratios of things measured side by side in the same run
do. Results go to stdout and bench-results/bench.json.

1. Server: median time to answer `/serviceworker.js` (it hashes what it
   precaches on every request) against a lesson page and `/healthz`.
2. Browser: median time to show a lesson from the network (first visit)
   against from the service worker's cache with the network off.
"""

import json
import statistics
import tempfile
import time
import urllib.request
from pathlib import Path

from playwright.sync_api import sync_playwright

from tests.browser.conftest import CHROMIUM, CHROMIUM_ARGS, PHONE, wait_for_service_worker
from tests.browser.server import ROOT, running_server

ROUNDS = 40
BROWSER_ROUNDS = 8
LESSON = "/lessons/pain-relief/"


def median_ms(url: str, rounds: int = ROUNDS) -> float:
    times = []
    for _ in range(rounds):
        start = time.perf_counter()
        with urllib.request.urlopen(url, timeout=10) as response:
            response.read()
        times.append((time.perf_counter() - start) * 1000)
    return statistics.median(times)


def navigation_ms(page) -> float:
    return page.evaluate(
        "() => { const n = performance.getEntriesByType('navigation')[0];"
        " return n.domContentLoadedEventEnd - n.startTime; }"
    )


def browser_timings(base_url: str) -> dict:
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        network, cached = [], []
        for _ in range(BROWSER_ROUNDS):
            context = browser.new_context(base_url=base_url, **PHONE)
            page = context.new_page()
            page.goto(LESSON)
            network.append(navigation_ms(page))
            wait_for_service_worker(page)
            context.set_offline(True)
            page.goto(LESSON)
            cached.append(navigation_ms(page))
            context.close()
        browser.close()
    return {
        "lesson_from_network_ms": statistics.median(network),
        "lesson_offline_from_cache_ms": statistics.median(cached),
    }


def main() -> None:
    with tempfile.TemporaryDirectory() as tmp, running_server(Path(tmp), workers=1) as server:
        median_ms(f"{server.url}/", rounds=5)  # warm up
        server_ms = {
            "healthz_ms": median_ms(f"{server.url}/healthz"),
            "lesson_page_ms": median_ms(f"{server.url}{LESSON}"),
            "serviceworker_ms": median_ms(f"{server.url}/serviceworker.js"),
        }
        browser_ms = browser_timings(server.url)
    results = {
        **{k: round(v, 2) for k, v in {**server_ms, **browser_ms}.items()},
        "ratio_serviceworker_to_lesson_page": round(server_ms["serviceworker_ms"] / server_ms["lesson_page_ms"], 2),
        "ratio_lesson_page_to_healthz": round(server_ms["lesson_page_ms"] / server_ms["healthz_ms"], 2),
        "ratio_offline_cache_to_network": round(
            browser_ms["lesson_offline_from_cache_ms"] / browser_ms["lesson_from_network_ms"], 2
        ),
    }
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "bench.json").write_text(json.dumps(results, indent=2))
    width = max(map(len, results))
    for key, value in results.items():
        print(f"{key:<{width}}  {value}")


if __name__ == "__main__":
    main()
