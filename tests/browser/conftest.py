"""Browser tests: Debian's Chromium, driven by Playwright, against a real
server (gunicorn, DJANGO_DEBUG=0, after collectstatic) so the service worker
sees exactly the hashed, compressed static files production serves.

Fixtures:
- `server`: the running app (`server.url`, `server.manage(...)` to run a
  management command against its database, `server.lessons_dir`, a copy of
  the lesson files the server loads, for deploy tests).
- `browser`: one Chromium for the session; `context`/`page`: a fresh,
  phone-sized profile per test.

Chromium's path and flags, the phone's size and wait_for_service_worker are
in devtools/browser.py (bench/ drives the same browser), the server in
devtools/server.py.
"""

import pytest
from playwright.sync_api import sync_playwright

from devtools.browser import CHROMIUM, CHROMIUM_ARGS, PHONE
from devtools.server import running_server


@pytest.fixture(scope="session")
def server(tmp_path_factory):
    with running_server(tmp_path_factory.mktemp("server")) as running:
        yield running


@pytest.fixture(scope="session")
def playwright_instance():
    with sync_playwright() as playwright:
        yield playwright


@pytest.fixture(scope="session")
def browser(playwright_instance):
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@pytest.fixture
def context(browser, server):
    context = browser.new_context(base_url=server.url, **PHONE)
    yield context
    context.close()


def new_page(context):
    """A page in this context that keeps its JavaScript errors in
    `page.js_errors`, for tests to assert there were none."""
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    return page


@pytest.fixture
def page(context):
    return new_page(context)

