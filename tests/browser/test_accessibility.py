"""axe-core finds no violations on the lesson pages and the app shell, in
light and dark mode, after a knowledge-check answer is shown."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from .conftest import PHONE

pytestmark = pytest.mark.browser

PAGES = [
    "/", "/lessons/", "/lessons/dopamine-steps/", "/lessons/pain-relief/", "/lessons/tolerance-is-lower/", "/offline/",
]


def assert_no_axe_violations(browser, server, *, scheme: str, paths: list[str], phone: dict = PHONE) -> None:
    """Open each page on a phone in this colour scheme, show one knowledge-check
    answer where there is a check, and assert axe-core finds nothing."""
    context = browser.new_context(base_url=server.url, color_scheme=scheme, **phone)
    page = context.new_page()
    axe = Axe()
    try:
        for path in paths:
            page.goto(path)
            if page.locator("[data-question]").count():
                page.locator("[data-question]").first.locator("input:not([data-correct])").first.check()
            results = axe.run(page)
            assert results.violations_count == 0, f"{path} ({scheme}):\n{results.generate_report()}"
    finally:
        context.close()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_lesson_pages(browser, server, scheme):
    assert_no_axe_violations(browser, server, scheme=scheme, paths=PAGES)


def test_ios_visitors_get_add_to_home_screen_steps(browser, server):
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/17.0 Mobile/15E148 Safari/604.1"
    )
    context = browser.new_context(base_url=server.url, user_agent=iphone, **PHONE)
    try:
        page = context.new_page()
        page.goto("/")
        steps = page.locator("[data-ios-install]")
        steps.wait_for(state="visible")
        steps.locator("summary").click()
        assert "Add to Home Screen" in steps.inner_text()
        assert page.locator("[data-install]").is_hidden()
    finally:
        context.close()


def test_other_browsers_do_not_see_the_ios_steps(page):
    page.goto("/")
    page.wait_for_load_state("networkidle")
    assert page.locator("[data-ios-install]").is_hidden()
