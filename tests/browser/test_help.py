"""Help now: works with no signal, numbers are tap-to-call, and it is one
tap from every screen of the toolkit."""

import pytest
from playwright.sync_api import expect

from devtools.browser import wait_for_service_worker

pytestmark = pytest.mark.browser

TOOLKIT_SCREENS = ["start", "rate", "choose", "wave", "breathing", "grounding", "think",
                   "reasons", "people", "distractions", "finish", "log"]


def test_help_works_offline_and_its_numbers_are_tel_links(context, page):
    page.goto("/")
    wait_for_service_worker(page)
    context.set_offline(True)
    response = page.goto("/help/")
    assert response is not None and response.ok and response.from_service_worker
    expect(page.locator("h1")).to_have_text("Help now")
    hrefs = page.eval_on_selector_all("main a[href^='tel:']", "links => links.map(a => a.getAttribute('href'))")
    for number in ["tel:911", "tel:999", "tel:988", "tel:+18006624357", "tel:+18002221222", "tel:116123"]:
        assert number in hrefs, number
    # Each visible phone number in the list of lines is itself the link.
    for text in ["1-800-662-4357", "1-800-222-1222", "116 123"]:
        link = page.locator("main .lines a", has_text=text)
        assert link.get_attribute("href").startswith("tel:"), text
    # Its styles come from the cache too.
    assert page.evaluate("getComputedStyle(document.querySelector('.call')).minHeight") != "auto"
    assert page.js_errors == []


def test_help_is_one_tap_from_every_toolkit_screen(context, page):
    page.goto("/craving/")
    wait_for_service_worker(page)
    context.set_offline(True)
    for name in TOOLKIT_SCREENS:
        page.goto(f"/craving/#{name}")
        page.wait_for_function("() => document.querySelector('[data-toolkit]')?.dataset.ready === 'true'")
        expect(page.locator(f"section#{name}")).to_be_visible()
        help_link = page.locator("header .help-link")
        expect(help_link).to_be_visible()
        expect(help_link).to_have_attribute("href", "/help/")
    page.locator("header .help-link").click()
    expect(page.locator("h1")).to_have_text("Help now")
    expect(page.locator("#overdose")).to_contain_text("naloxone")
