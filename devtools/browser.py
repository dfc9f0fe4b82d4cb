"""Debian's Chromium as the browser tests and bench/ drive it (through
Playwright, which never downloads a browser of its own): where it is, how it
starts, and a phone-sized window."""

import os
import sys
import time

from playwright.sync_api import TimeoutError as PlaywrightTimeoutError

CHROMIUM = os.environ.get("CREST_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
PHONE = {"viewport": {"width": 390, "height": 800}, "device_scale_factor": 2, "is_mobile": True, "has_touch": True}


def wait_until_resolved_true(page, expression: str, arg=None, timeout: float = 60):
    """Evaluate an expression whose value is a promise (the caches, the
    worker's notifications) until it resolves to something true, and return
    that. Not page.wait_for_function: it settles with a promise's first
    value, true or false, and with the page's strict CSP it cannot re-run
    an expression that is not a function."""
    deadline = time.monotonic() + timeout
    while not (value := page.evaluate(expression, arg)):
        if time.monotonic() > deadline:
            raise TimeoutError(f"Still false after {timeout} s: {expression}")
        page.wait_for_timeout(100)
    return value


def wait_for_service_worker(page) -> None:
    """Right after the first load no worker controls the page yet: wait for
    the install (precache) to finish and the worker to take control."""
    # Generous: the install precaches every page, and this machine is shared.
    try:
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=40_000)
    except PlaywrightTimeoutError:
        # A page that arrived just after the first install's claim once
        # stayed uncontrolled (pages/app.js now asks to be claimed;
        # tests/browser/test_first_install.py). Should it happen again, say
        # what the registration held, then do what the phone would do next:
        # load the page again (app.js registers on every load).
        state = page.evaluate(
            "() => navigator.serviceWorker.getRegistration().then(r => r ? "
            "{installing: r.installing?.state, waiting: r.waiting?.state, active: r.active?.state} : null)"
        )
        print(f"wait_for_service_worker: no controller after 40 s on {page.url}: {state}", file=sys.stderr)
        page.reload()
        page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=40_000)
    page.evaluate("navigator.serviceWorker.ready")
