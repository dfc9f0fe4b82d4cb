"""axe-core, as every browser test file runs it (assert_no_axe_violations:
every public page in light, dark and forced colours is in
test_reading.py), and the install steps an iPhone is shown."""

import pytest
from axe_playwright_python.sync_playwright import Axe

from devtools.browser import PHONE

pytestmark = pytest.mark.browser

# A page's markup is the same in every colour scheme: all of axe's rules run
# once, in light; dark mode and forced colours run the rules that colours
# alone decide (contrast, and links told apart from text by colour).
COLOUR_RULES = {"runOnly": {"type": "rule", "values": ["color-contrast", "link-in-text-block"]}}


def axe_options(scheme: str, forced_colors: str = "none") -> dict:
    every_rule = scheme == "light" and forced_colors == "none"
    return {"resultTypes": ["violations"], **({} if every_rule else COLOUR_RULES)}


def assert_no_axe_violations(
    browser, server, *, scheme: str, paths: list[str], phone: dict = PHONE, forced_colors: str = "none"
) -> None:
    """Open each page on a phone in this colour scheme (and forced colours,
    when "active"), show one knowledge-check answer where there is a check,
    and assert axe-core finds nothing."""
    context = browser.new_context(base_url=server.url, color_scheme=scheme, forced_colors=forced_colors, **phone)
    page = context.new_page()
    axe = Axe()
    try:
        for path in paths:
            page.goto(path)
            if page.locator("[data-question]").count():
                page.locator("[data-question]").first.locator("input:not([data-correct])").first.check()
            results = axe.run(page, options=axe_options(scheme, forced_colors))
            where = f"{path} ({scheme}, forced colours {forced_colors})"
            assert results.violations_count == 0, f"{where}:\n{results.generate_report()}"
    finally:
        context.close()


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
