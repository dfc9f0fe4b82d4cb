"""My safety plan in a real Chromium: written once, it is still on the phone
when the page is opened again with no network, with its numbers to tap."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from devtools.browser import PHONE, wait_for_service_worker

from .conftest import new_page

pytestmark = pytest.mark.browser

PLAN = "/craving/safety-plan/"


def open_plan(page):
    response = page.goto(PLAN)
    page.wait_for_function("() => document.querySelector('[data-safety-plan]')?.dataset.ready === 'true'")
    return response


def test_a_plan_written_then_reopened_offline_is_still_there(context, page):
    page.goto("/")
    wait_for_service_worker(page)
    open_plan(page)
    form = page.locator("[data-plan-form]")
    expect(form).to_be_visible()  # nothing written yet: the form is open
    page.get_by_label("My warning signs").fill("Not sleeping\n\nSkipping meals")
    page.locator("#plan-helpers-name-1").fill("Sam")
    page.locator("#plan-helpers-phone-1").fill("+1 (555) 010-0199")
    page.get_by_label("My reasons to keep going").fill("My daughter")
    page.get_by_role("button", name="Save my plan").click()
    expect(page.locator("[data-plan-status]")).to_have_text("Saved on this phone.")
    expect(form).to_be_hidden()

    context.set_offline(True)
    page.close()
    page = new_page(context)
    response = open_plan(page)
    assert response is not None and response.ok and response.from_service_worker
    view = page.locator("[data-plan-view]")
    expect(view).to_be_visible()
    expect(view.locator('[data-plan-show="warning-signs"] li')).to_have_text(["Not sleeping", "Skipping meals"])
    expect(view.locator('[data-plan-show="reasons"] li')).to_have_text(["My daughter"])
    expect(view.get_by_role("link", name="Call Sam")).to_have_attribute("href", "tel:+15550100199")
    expect(view.get_by_role("link", name="Text Sam")).to_have_attribute("href", "sms:+15550100199")
    expect(view.locator('a[href="tel:988"]')).to_be_visible()

    # Changed offline, it stays changed.
    page.get_by_role("button", name="Change my plan").click()
    page.get_by_label("Making my place safer").fill("Naloxone in the kitchen drawer")
    page.get_by_role("button", name="Save my plan").click()
    expect(page.locator("[data-plan-status]")).to_have_text("Saved on this phone.")
    page.reload()
    page.wait_for_function("() => document.querySelector('[data-safety-plan]')?.dataset.ready === 'true'")
    expect(page.locator('[data-plan-show="safer"] li')).to_have_text(["Naloxone in the kitchen drawer"])
    expect(page.locator('[data-plan-show="warning-signs"] li')).to_have_count(2)
    assert page.js_errors == []


def test_the_plan_never_shows_in_the_lists_of_reasons_or_people(page):
    open_plan(page)
    page.get_by_label("My reasons to keep going").fill("My dog")
    page.get_by_role("button", name="Save my plan").click()
    expect(page.locator("[data-plan-view]")).to_be_visible()
    page.goto("/craving/#reasons")
    page.wait_for_function("() => document.querySelector('[data-toolkit]')?.dataset.ready === 'true'")
    expect(page.locator("section#reasons [data-list-empty]")).to_be_visible()


def test_the_plan_can_be_deleted_after_asking(page):
    open_plan(page)
    page.get_by_label("My warning signs").fill("Staying in bed all day")
    page.get_by_role("button", name="Save my plan").click()
    page.get_by_role("button", name="Delete my plan").click()
    page.locator("dialog[data-confirm]").get_by_role("button", name="Delete", exact=True).click()
    expect(page.locator("[data-plan-form]")).to_be_visible()
    page.reload()
    page.wait_for_function("() => document.querySelector('[data-safety-plan]')?.dataset.ready === 'true'")
    expect(page.get_by_label("My warning signs")).to_have_value("")


def test_feeling_sad_in_a_check_in_offers_the_safety_plan(page):
    page.goto("/craving/")
    page.wait_for_function("() => document.querySelector('[data-toolkit]')?.dataset.ready === 'true'")
    page.get_by_role("button", name="I’m having a craving").click()
    page.locator('section#rate [data-rate="8"]').click()
    page.locator("section#choose").get_by_role("button", name="Skip: just log it").click()
    finish = page.locator("section#finish")
    note = finish.locator("[data-low-mood-note]")
    expect(note).to_be_hidden()
    finish.locator("details.more").first.locator("summary").click()
    finish.locator("label.chip", has_text="Sad").click()
    expect(note).to_be_visible()
    expect(note.locator('a[href="tel:988"]')).to_be_visible()
    note.get_by_role("link", name="Open my safety plan").click()
    expect(page.locator("h1")).to_have_text("My safety plan")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_the_form_or_the_plan(browser, server, scheme):
    context = browser.new_context(base_url=server.url, color_scheme=scheme, **PHONE)
    try:
        page = context.new_page()
        open_plan(page)
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
        page.get_by_label("My warning signs").fill("Not sleeping")
        page.locator("#plan-professionals-name-1").fill("My clinic")
        page.locator("#plan-professionals-phone-1").fill("555 0100")
        page.get_by_role("button", name="Save my plan").click()
        expect(page.locator("[data-plan-view]")).to_be_visible()
        results = Axe().run(page)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()
