"""The app installs, works with no network after one visit, and picks up a
new deploy on the next online visit."""

import json
import re

import pytest
from playwright.sync_api import expect

from devtools.browser import CHROMIUM, CHROMIUM_ARGS, wait_for_service_worker, wait_until_resolved_true

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
    # The page reads the phone's progress after it loads: wait for it.
    expect(page.locator("[data-mark-done]")).to_be_disabled()
    page.goto("/lessons/")
    item = page.locator('[data-lesson="two-forces"] [data-lesson-status]')
    expect(item).to_have_text(re.compile(r"^Done"))
    expect(page.locator("[data-course-done]")).to_have_text("1")


def test_a_new_deploy_reaches_an_installed_client_on_its_next_online_visit(context, page, server):
    page.goto("/lessons/natural-rewards/")
    wait_for_service_worker(page)
    old_version = page.evaluate("fetch('/serviceworker.js').then(r => r.text())")

    lesson_file = next(server.lessons_dir.glob("*natural-rewards*.md"))
    original = lesson_file.read_text()
    marker = "A sentence added by a new deploy."
    try:
        lesson_file.write_text(original.rstrip() + f"\n\n{marker}\n")
        # migrate, in another process, bumps the content version in the
        # shared cache: both gunicorn workers serve the new worker at once.
        server.manage("migrate", "--noinput", "-v", "0")
        new_version = page.evaluate("fetch('/serviceworker.js').then(r => r.text())")
        assert sw_version(old_version) != sw_version(new_version)

        # Next online visit: the page is fresh, the new worker is offered.
        page.goto("/lessons/natural-rewards/")
        assert marker in page.content()
        page.locator("[data-update-banner]").wait_for(state="visible", timeout=30_000)
        with page.expect_navigation(timeout=60_000):  # the new worker takes over, then the page reloads
            page.locator("[data-update-now]").click()
        wait_until_resolved_true(
            page, "v => caches.keys().then(names => names.some(n => n.includes(v)))", sw_version(new_version)
        )

        # And offline, the new text is what the phone has.
        context.set_offline(True)
        page.goto("/lessons/natural-rewards/")
        assert marker in page.content()
    finally:
        lesson_file.write_text(original)
        server.manage("migrate", "--noinput", "-v", "0")


def requests_since(server, start: int) -> list[tuple[str, str]]:
    """(path, status) of each request in the server's access log after line `start`."""
    lines = server.log_path.read_text(errors="replace").splitlines()[start:]
    return [(m[1], m[2]) for line in lines if (m := re.search(r'"GET (\S+) HTTP/[\d.]+" (\d{3}) ', line))]


def test_an_update_asks_only_for_what_changed(context, page, server):
    """The new version's install sends each page with the ETag of the phone's
    copy: only the changed lesson comes back whole (200), every other page is
    a 304 and keeps its copy, and the hashed static files need no request."""
    page.goto("/")
    wait_for_service_worker(page)
    worker = page.evaluate("fetch('/serviceworker.js').then(r => r.text())")
    kept = json.loads(re.search(r"const PRECACHE_PAGES = (.*);", worker)[1])["en"]
    changed = "/lessons/natural-rewards/"
    assert changed in kept and len(kept) > 10

    lesson_file = next(server.lessons_dir.glob("*natural-rewards*.md"))
    original = lesson_file.read_text()
    marker = "A sentence an update brings."
    try:
        lesson_file.write_text(original.rstrip() + f"\n\n{marker}\n")
        server.manage("migrate", "--noinput", "-v", "0")  # a new content version
        start = len(server.log_path.read_text(errors="replace").splitlines())
        page.goto("/")  # the next online visit installs the new version
        page.locator("[data-update-banner]").wait_for(state="visible", timeout=30_000)
        seen = requests_since(server, start)
        by_page = {path: [status for p, status in seen if p == path] for path in kept}
        assert by_page.pop(changed) == ["200"]
        assert by_page.pop("/")[-1] == "304"  # the visit itself (from the HTTP cache, or not), then the install
        assert all(statuses == ["304"] for statuses in by_page.values()), by_page
        assert not [path for path, _ in seen if path.startswith("/static/")]

        # The phone holds the new lesson and every other page, offline.
        with page.expect_navigation(timeout=60_000):
            page.locator("[data-update-now]").click()
        context.set_offline(True)
        page.goto(changed)
        assert marker in page.content()
        for path in ["/help/", "/craving/", "/lessons/two-forces/"]:
            page.goto(path)
            assert not page.title().startswith("Offline"), path  # its kept copy, not the offline page
    finally:
        lesson_file.write_text(original)
        server.manage("migrate", "--noinput", "-v", "0")


# A stand-in for the classic (non-module) worker of earlier releases, at the
# same URL and scope: it keeps the offline page in a cache of ours.
CLASSIC_WORKER = """
self.addEventListener("install", (event) => event.waitUntil(
  caches.open("crest-pages-classic").then((cache) => cache.addAll(["/offline/"])).then(() => self.skipWaiting())));
self.addEventListener("activate", (event) => event.waitUntil(self.clients.claim()));
self.addEventListener("fetch", (event) => {
  if (event.request.mode === "navigate") event.respondWith(fetch(event.request).catch(() => caches.match("/offline/")));
});
"""


def test_a_phone_with_the_earlier_classic_worker_moves_to_the_module_worker(context, page):
    """Registering with another type is an update of the same registration:
    the phone is offered it, takes it on "Update now", and works offline."""
    warnings = []
    page.on("console", lambda message: warnings.append(message.text) if message.type == "warning" else None)
    serve_classic = lambda route: route.fulfill(  # noqa: E731
        status=200, content_type="application/javascript", body=CLASSIC_WORKER, headers={"Cache-Control": "no-cache"}
    )
    context.route("**/serviceworker.js", serve_classic)
    page.goto("/manifest.json")  # a document with no script of ours: nothing registers the module worker
    page.evaluate("navigator.serviceWorker.register('/serviceworker.js', { scope: '/' })")
    wait_for_service_worker(page)
    assert page.evaluate("caches.keys()") == ["crest-pages-classic"]
    context.unroute("**/serviceworker.js", serve_classic)

    # The deploy: the next online visit loads the new app.js, which registers
    # the module worker; the classic one still answers meanwhile.
    page.goto("/")
    page.locator("[data-update-banner]").wait_for(state="visible", timeout=60_000)
    with page.expect_navigation(timeout=60_000):  # the new worker takes over, then the page reloads
        page.locator("[data-update-now]").click()
    version = sw_version(page.evaluate("fetch('/serviceworker.js').then(r => r.text())"))
    wait_until_resolved_true(page, "v => caches.keys().then(names => names.includes(`crest-pages-${v}`))", version)
    assert "crest-pages-classic" not in page.evaluate("caches.keys()")
    registration = page.evaluate(
        "navigator.serviceWorker.getRegistration().then(r => [r.scope, r.active.scriptURL, r.waiting, r.installing])"
    )
    assert registration[0].endswith("/") and registration[1].endswith("/serviceworker.js")
    assert registration[2:] == [None, None]
    assert not [text for text in warnings if "registration failed" in text]

    context.set_offline(True)
    response = page.goto("/craving/")
    assert response.ok and response.from_service_worker
    assert page.locator("h1").first.inner_text().strip()
