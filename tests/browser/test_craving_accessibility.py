"""axe-core finds no violations on the toolkit's screens and on Help now,
in light and in dark mode, with real content on every screen."""

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from devtools.browser import PHONE

from .test_accessibility import axe_options
from .test_craving import log_craving, screen, wait_ready

pytestmark = pytest.mark.browser

axe = Axe()


def assert_no_violations(page, label: str) -> None:
    results = axe.run(page, options=axe_options(page.scheme))
    assert results.violations_count == 0, f"{label}:\n{results.generate_report()}"


@pytest.fixture(params=["light", "dark"])
def scheme_page(request, browser, server):
    context = browser.new_context(base_url=server.url, color_scheme=request.param, **PHONE)
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    page.scheme = request.param
    yield page
    context.close()


def add_own(page, name: str, fields: dict[str, str]) -> None:
    page.goto(f"/craving/#{name}")
    wait_ready(page)
    for label, value in fields.items():
        screen(page, name).get_by_label(label).fill(value)
    screen(page, name).get_by_role("button", name="Save", exact=True).click()
    expect(screen(page, name).locator(".own-item")).to_have_count(1)


def test_toolkit_screens_and_help_have_no_axe_violations(scheme_page):
    page = scheme_page
    log_craving(page, before=8, tool="wave", after=5, outcome="It eased", triggers=["Tired"], note="evening")
    log_craving(page, before=6, tool="breathing", after=2, outcome="I used", note="second")
    add_own(page, "reasons", {"Add a reason": "My daughter"})
    add_own(page, "people", {"Name": "Sam", "Phone number": "555 0100"})
    add_own(page, "distractions", {"Add your own": "Bake bread"})

    for name in ["start", "choose", "grounding", "reasons", "people", "distractions", "log"]:
        page.goto(f"/craving/#{name}")
        wait_ready(page)
        expect(screen(page, name)).to_be_visible()
        assert_no_violations(page, name)

    # The log with its confirm dialog open.
    screen(page, "log").get_by_role("button", name="Delete all entries").click()
    expect(page.locator("dialog[data-confirm]")).to_be_visible()
    assert_no_violations(page, "log, confirm dialog")
    page.locator("dialog[data-confirm]").get_by_role("button", name="Cancel").click()

    # Think it through, on the step that lists the person's reasons.
    page.goto("/craving/#think")
    wait_ready(page)
    for _ in range(4):
        screen(page, "think").get_by_role("button", name="Next").click()
    expect(screen(page, "think").locator(".own-text")).to_have_text("My daughter")
    assert_no_violations(page, "think")

    # The flow: rate, then the form with every section open.
    page.goto("/craving/")
    wait_ready(page)
    page.get_by_role("button", name="I’m having a craving").click()
    assert_no_violations(page, "rate")
    screen(page, "rate").locator('[data-rate="7"]').click()
    screen(page, "choose").get_by_role("button", name="Skip: just log it").click()
    finish = screen(page, "finish")
    for summary in finish.locator("summary").all():
        summary.click()
    finish.locator('label.chip:has(input[value="used"])').click()
    finish.locator('label.chip:has(input[value="Tired"])').click()
    assert_no_violations(page, "finish")

    # Breathing, running, in both modes.
    page.goto("/craving/#breathing")
    wait_ready(page)
    screen(page, "breathing").get_by_role("button", name="Start").click()
    assert_no_violations(page, "breathing, animation")
    screen(page, "breathing").locator("label.chip", has_text="Words and vibration").click()
    assert_no_violations(page, "breathing, words")
    screen(page, "breathing").get_by_role("button", name="Stop").click()

    # The wave: choosing a length, then running with a check-in due and a curve.
    page.goto("/craving/#wave")
    wait_ready(page)
    assert_no_violations(page, "wave, setup")
    page.evaluate(
        """() => localStorage.setItem("crest:wave:v1", JSON.stringify({startedAt: Date.now() - 150000,
             durationMs: 300000, ratings: [{at: Date.now() - 150000, value: 8}], stoppedAt: null}))"""
    )
    page.reload()
    wait_ready(page)
    expect(screen(page, "wave").locator("[data-wave-checkin]")).to_be_visible()
    assert_no_violations(page, "wave, running")
    page.evaluate(
        """() => localStorage.setItem("crest:wave:v1", JSON.stringify({startedAt: Date.now() - 400000,
             durationMs: 300000, ratings: [{at: Date.now() - 400000, value: 8}], stoppedAt: null}))"""
    )
    page.reload()
    wait_ready(page)
    expect(screen(page, "wave").locator("[data-wave-end]")).to_be_visible()
    assert_no_violations(page, "wave, ended")

    page.goto("/help/")
    assert_no_violations(page, "help")
    assert page.js_errors == []
