"""The app installs, works with no network after one visit, and picks up a
new deploy on the next online visit."""

import re
import time

import pytest

from lessons.services import LESSONS_VERSION_SECONDS

from .conftest import CHROMIUM, CHROMIUM_ARGS, wait_for_service_worker

pytestmark = pytest.mark.browser

def sw_version(script: str) -> str:
    return re.search(r'VERSION = "(\w+)"', script)[1]


SHELL_PAGES = ["/", "/lessons/", "/craving/", "/help/", "/offline/"]


def lesson_paths(page) -> list[str]:
    page.goto("/lessons/")
    return page.eval_on_selector_all(".lesson-item a", "links => links.map(a => new URL(a.href).pathname)")


def test_chromium_reports_no_installability_errors(playwright_instance, server, tmp_path):
    context = playwright_instance.chromium.launch_persistent_context(
        str(tmp_path / "profile"), executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True, base_url=server.url
    )
    try:
        page = context.new_page()
        page.goto("/")
        wait_for_service_worker(page)
        cdp = context.new_cdp_session(page)
        errors = cdp.send("Page.getInstallabilityErrors")["installabilityErrors"]
        manifest = cdp.send("Page.getAppManifest")
        assert errors == []
        assert manifest["url"].endswith("/manifest.json")
        assert manifest.get("errors", []) == []
    finally:
        context.close()


def test_every_page_loads_from_cache_with_the_network_off(context, page):
    page.goto("/")
    wait_for_service_worker(page)
    lessons = lesson_paths(page)
    assert len(lessons) >= 9

    context.set_offline(True)
    for path in SHELL_PAGES + lessons:
        response = page.goto(path)
        assert response is not None and response.ok, path
        assert page.locator("h1").first.inner_text().strip(), path
        assert response.from_service_worker, path
    # A lesson offline still has its diagram, its quiz and its styles.
    page.goto(lessons[1])
    assert page.locator("figure.diagram svg[role=img]").count() >= 1
    assert page.locator("[data-question]").count() >= 2
    assert page.evaluate("getComputedStyle(document.querySelector('.help-link')).borderRadius") != "0px"
    assert page.locator("[data-offline-notice]").is_visible()
    assert page.js_errors == []


def test_a_page_never_visited_offline_shows_the_offline_page(context, page):
    page.goto("/")
    wait_for_service_worker(page)
    context.set_offline(True)
    page.goto("/lessons/no-such-lesson/")
    assert "No connection" in page.locator("h1").inner_text()


def test_signed_in_areas_offline_get_the_offline_page_and_are_never_stored(context, page):
    page.goto("/")
    wait_for_service_worker(page)
    page.goto("/me/")
    context.set_offline(True)
    for path in ("/me/", "/clinic/", "/accounts/login/"):
        page.goto(path)
        assert "No connection" in page.locator("h1").inner_text(), path
    stored = page.evaluate(
        "() => caches.keys().then(names => Promise.all(names.map(n => caches.open(n).then(c => c.keys()))))"
        ".then(lists => lists.flat().map(r => new URL(r.url).pathname))"
    )
    assert "/offline/" in stored
    assert not [path for path in stored if path.startswith(("/me/", "/clinic/", "/accounts/", "/api/", "/join/"))]


def test_a_server_error_shows_the_saved_page_not_the_error(context, page):
    page.goto("/")
    wait_for_service_worker(page)
    # The app or its proxy is down: every page answers 502.
    context.route("**/help/", lambda route: route.fulfill(status=502, body="Bad Gateway"))
    response = page.goto("/help/")
    assert response.from_service_worker
    assert page.locator("h1").inner_text() == "Help now"
    assert page.locator('a[href^="tel:"]').count() >= 4


def test_quiz_and_done_work_offline_and_progress_survives_a_reload(context, page):
    page.goto("/")
    wait_for_service_worker(page)
    context.set_offline(True)
    page.goto("/lessons/two-forces/")
    questions = page.locator("[data-question]")
    for i in range(questions.count()):
        question = questions.nth(i)
        if question.get_attribute("data-unscored") is not None:
            question.locator("input").first.check()  # a reflection: no right answer
        else:
            question.locator("input[data-correct]").check()
    scored = page.locator("[data-question]:not([data-unscored])").count()
    assert f"You got {scored} of {scored} right" in page.locator("[data-quiz-score]").inner_text()
    # every answer explained: the chosen (right) answer's explanation shows
    assert page.locator("[data-explanation]:visible").count() == questions.count()
    page.locator("[data-mark-done]").click()
    page.reload()
    assert page.locator("[data-mark-done]").is_disabled()
    page.goto("/lessons/")
    item = page.locator('[data-lesson="two-forces"] [data-lesson-status]')
    assert item.inner_text().startswith("Done")
    assert page.locator("[data-course-done]").inner_text() == "1"


def test_a_new_deploy_reaches_an_installed_client_on_its_next_online_visit(context, page, server):
    page.goto("/lessons/natural-rewards/")
    wait_for_service_worker(page)
    old_version = page.evaluate("fetch('/serviceworker.js').then(r => r.text())")

    lesson_file = next(server.lessons_dir.glob("*natural-rewards*.md"))
    original = lesson_file.read_text()
    marker = "A sentence added by a new deploy."
    try:
        lesson_file.write_text(original.rstrip() + f"\n\n{marker}\n")
        server.manage("migrate", "--noinput", "-v", "0")
        # migrate ran in another process: each gunicorn worker (its own
        # cache, no REDIS_URL here) renders anew once the lessons' version
        # it holds expires (lessons.services.LESSONS_VERSION_SECONDS).
        time.sleep(LESSONS_VERSION_SECONDS + 0.5)
        new_version = page.evaluate("fetch('/serviceworker.js').then(r => r.text())")
        assert sw_version(old_version) != sw_version(new_version)

        # Next online visit: the page is fresh, the new worker is offered.
        page.goto("/lessons/natural-rewards/")
        assert marker in page.content()
        page.locator("[data-update-banner]").wait_for(state="visible", timeout=30_000)
        page.locator("[data-update-now]").click()
        page.wait_for_load_state("load")
        page.wait_for_function(
            "v => caches.keys().then(names => names.some(n => n.includes(v)))", arg=sw_version(new_version)
        )

        # And offline, the new text is what the phone has.
        context.set_offline(True)
        page.goto("/lessons/natural-rewards/")
        assert marker in page.content()
    finally:
        lesson_file.write_text(original)
        server.manage("migrate", "--noinput", "-v", "0")
