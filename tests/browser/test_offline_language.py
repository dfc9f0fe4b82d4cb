"""Offline, the language switch and the notices say one true thing: the
switch opens the saved copy of the page in the other language when this
phone has one, and says plainly when it has none (changing nothing); the
offline page does not sit under a notice that says everything works."""

import re
import time

import pytest
from playwright.sync_api import expect

from devtools.browser import PHONE, wait_for_service_worker

from .conftest import new_page

pytestmark = pytest.mark.browser

KEPT = "() => caches.open('crest-prefs').then(c => c.match('/__crest/kept-languages')).then(r => r && r.json())"


def wait_until_kept(page, code: str, seconds: float = 60) -> None:
    """The worker notes a language as kept once all its pages are saved.
    (Polled from here: page.evaluate awaits the promise, wait_for_function
    would take the promise itself as a yes.)"""
    deadline = time.monotonic() + seconds
    while code not in (page.evaluate(KEPT) or []):
        assert time.monotonic() < deadline, f"{code} pages not kept within {seconds} s"
        page.wait_for_timeout(250)


@pytest.fixture
def en_context(browser, server):
    context = browser.new_context(base_url=server.url, locale="en-US", **PHONE)
    yield context
    context.close()


def test_offline_a_switch_to_a_language_with_no_saved_pages_says_so_in_both_and_changes_nothing(en_context):
    page = new_page(en_context)
    page.goto("/craving/")
    wait_for_service_worker(page)
    en_context.set_offline(True)
    page.goto("/help/")
    page.get_by_role("link", name="Español").click()
    notice = page.locator('[data-language-unsaved="es"]')
    expect(notice).to_be_visible()
    expect(notice).to_contain_text("The pages in Español are not saved on this phone yet.")
    expect(notice.locator('p[lang="es"]')).to_have_text(
        "Las páginas en Español todavía no están guardadas en este teléfono. "
        "Conéctese a internet una vez y vuelva a tocar “Español”."
    )
    assert page.url.endswith("/help/") and page.locator("h1").inner_text() == "Help now"
    # Nothing changed: Crest still opens in English offline, and the server will not switch it either.
    page.goto("/")
    assert page.evaluate("document.documentElement.lang") == "en" and "/es/" not in page.url
    assert "django_language" not in page.evaluate("document.cookie")
    assert page.js_errors == []


def test_offline_a_switch_opens_the_saved_copy_of_the_same_page_when_there_is_one(en_context):
    page = new_page(en_context)
    page.goto("/es/")  # a page in Spanish once: this phone keeps the Spanish pages too
    wait_for_service_worker(page)
    wait_until_kept(page, "es")
    page.goto("/lessons/two-forces/")
    en_context.set_offline(True)
    page.reload()
    page.get_by_role("link", name="Español").click()
    page.wait_for_url("**/es/lessons/two-forces/")
    assert page.evaluate("document.documentElement.lang") == "es"
    expect(page.locator('[data-language-unsaved="en"]')).to_be_hidden()
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"//[^/]+/lessons/two-forces/$"))  # "**/lessons/…" matches "/es/lessons/…" too
    assert page.evaluate("document.documentElement.lang") == "en"


@pytest.mark.parametrize("path, heading", [("/offline/", "No connection"), ("/es/offline/", "Sin conexión")])
def test_the_offline_page_says_one_thing(browser, server, path, heading):
    context = browser.new_context(base_url=server.url, locale="es-US" if path.startswith("/es/") else "en-US", **PHONE)
    try:
        page = new_page(context)
        page.goto(path)
        wait_for_service_worker(page)
        context.set_offline(True)
        page.goto(path.replace("offline/", "me/"))  # never saved: the offline page answers
        expect(page.locator("h1")).to_have_text(heading)
        assert page.locator("[data-offline-notice]").count() == 0
        text = page.locator("main").inner_text()
        assert "Everything here still works" not in text and "Todo lo de aquí sigue funcionando" not in text
    finally:
        context.close()
