"""Page-weight budgets for a cheap phone on a bad network. Bytes on the wire
are deterministic for a given build, so these are plain assertions (timings
are benchmarks, not tests: see `make bench`)."""

import pytest

from .conftest import wait_for_service_worker

pytestmark = pytest.mark.browser

HOME_BUDGET = 60 * 1024
LESSON_BUDGET = 80 * 1024


def transferred_bytes(context, page, path: str) -> tuple[int, list[tuple[str, int]]]:
    """Load `path` in a fresh profile and add up every response fetched
    (headers and encoded body): the page, its files, the manifest, the
    service worker script, and everything the worker precaches for offline
    use, until the worker controls the page and the network is idle."""
    seen: list = []
    context.on("requestfinished", lambda request: seen.append(request))
    page.goto(path, wait_until="networkidle")
    wait_for_service_worker(page)
    page.wait_for_load_state("networkidle")
    rows = []
    for request in seen:
        sizes = request.sizes()
        origin = "worker" if request.service_worker else "page"
        rows.append((f"{origin} {request.url}", sizes["responseHeadersSize"] + sizes["responseBodySize"]))
    return sum(size for _, size in rows), rows


def test_first_load_of_home_is_within_60_kb(context, page):
    total, rows = transferred_bytes(context, page, "/")
    print(f"\nfirst load of / : {total} bytes in {len(rows)} responses")
    for url, size in rows:
        print(f"  {size:>7}  {url}")
    assert total <= HOME_BUDGET, rows


def test_first_load_of_a_lesson_page_is_within_80_kb(context, page):
    total, rows = transferred_bytes(context, page, "/lessons/pain-relief/")
    print(f"\nfirst load of a lesson: {total} bytes in {len(rows)} responses")
    assert total <= LESSON_BUDGET, rows
    assert any("/lessons/pain-relief/" in url for url, _ in rows)
