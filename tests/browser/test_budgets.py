"""Page-weight budgets for a cheap phone on a bad network. Bytes on the wire
are deterministic for a given build, so these are plain assertions (timings
are benchmarks, not tests: see `make bench`)."""

import re

import pytest

from devtools.browser import PHONE, wait_for_service_worker

pytestmark = pytest.mark.browser

# Raised in the round that added reminders, the app lock, per-person spaces,
# read aloud, text size, the safety plan and three lessons (60 -> 64 KB and
# 200 -> 256 KB). Measured then: a Spanish home 61.9 KB; offline installs of
# 222-248 KB. A regression to win back (the home page loads every module
# app.js imports, most of them needed only once someone uses that feature),
# not a new target.
HOME_BUDGET = 64 * 1024
LESSON_BUDGET = 80 * 1024
# Everything the service worker saves for offline use on the first visit:
# every lesson, the toolkit, help, the safety plan, the check-in and the
# static files those pages use (offline.precache.PRECACHE_STATIC_LEFT_OUT).
OFFLINE_INSTALL_BUDGET = 256 * 1024


def transferred_bytes(context, page, path: str) -> tuple[int, int, list[tuple[str, int]]]:
    """Load `path` in a fresh profile and add up every response fetched
    (headers and encoded body): the page, its files, the manifest, the
    service worker script, and everything the worker precaches for offline
    use, until the worker controls the page and the network is idle.
    Returns (bytes the page loaded, bytes in all, rows)."""
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
    page_total = sum(size for url, size in rows if url.startswith("page "))
    return page_total, sum(size for _, size in rows), rows


def test_first_load_of_home_is_within_60_kb(context, page):
    page_total, total, rows = transferred_bytes(context, page, "/")
    print(f"\nfirst load of /: page {page_total} bytes; with the offline precache {total} bytes, {len(rows)} responses")
    for url, size in sorted(rows, key=lambda row: row[1]):
        print(f"  {size:>7}  {url}")
    assert page_total <= HOME_BUDGET, rows
    assert total <= OFFLINE_INSTALL_BUDGET, rows
    assert any(url.startswith("worker ") and url.endswith("/help/") for url, _ in rows)


def test_first_load_of_a_lesson_page_is_within_80_kb(context, page):
    page_total, total, rows = transferred_bytes(context, page, "/lessons/pain-relief/")
    print(f"\nfirst load of a lesson: page {page_total} bytes; with the offline precache {total} bytes")
    assert page_total <= LESSON_BUDGET, rows
    assert total <= OFFLINE_INSTALL_BUDGET, rows
    assert any("/lessons/pain-relief/" in url for url, _ in rows)


@pytest.fixture
def spanish_phone(browser, server):
    context = browser.new_context(base_url=server.url, locale="es-US", **PHONE)
    yield context
    context.close()


def test_a_spanish_phone_first_load_of_crest_is_within_the_same_budgets(spanish_phone):
    """Its own language only: the worker saves the Spanish pages (and their
    script strings), not the English ones."""
    page = spanish_phone.new_page()
    page_total, total, rows = transferred_bytes(spanish_phone, page, "/")
    print(f"\nfirst load of / in Spanish: page {page_total} bytes; with the offline precache {total} bytes")
    for url, size in sorted(rows, key=lambda row: row[1]):
        print(f"  {size:>7}  {url}")
    assert page.url.endswith("/es/")
    assert page_total <= HOME_BUDGET, rows
    assert total <= OFFLINE_INSTALL_BUDGET, rows
    assert any(url.startswith("worker ") and url.endswith("/es/help/") for url, _ in rows)
    english_help = [url for url, _ in rows if url.startswith("worker ") and re.search(r"://[^/]+/help/$", url)]
    assert english_help == []


def test_first_load_of_a_spanish_lesson_page_is_within_80_kb(spanish_phone):
    page = spanish_phone.new_page()
    page_total, total, rows = transferred_bytes(spanish_phone, page, "/es/lessons/pain-relief/")
    print(f"\nfirst load of a Spanish lesson: page {page_total} bytes; with the offline precache {total} bytes")
    assert page_total <= LESSON_BUDGET, rows
    assert total <= OFFLINE_INSTALL_BUDGET, rows
