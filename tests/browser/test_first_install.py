"""The first install takes control of the page that is open, even one whose
navigation began before the worker was active.

Seen in a full run (40 s lost, and in devtools.browser's fallback): a person signs
in while the worker is still precaching. The next page's request leaves
before the worker is active, so it goes to the network, and its document
arrives just after the worker's `clients.claim()`, which claims only the
pages that already exist. That page stays uncontrolled until the next load:
on the phone, its own requests do not go through the worker."""

import pytest

from devtools.browser import wait_until_resolved_true

pytestmark = pytest.mark.browser

ACTIVE = "navigator.serviceWorker.getRegistration().then((r) => r?.active?.state === 'activated')"


def test_a_page_that_arrives_just_after_the_first_install_is_taken_over(context, page, server):
    # The navigation leaves at once, while the worker is still precaching,
    # and its answer is held until the worker has activated and claimed the
    # pages it knew.
    held = []
    page.route("**/lessons/", lambda route: held.append(route))
    page.goto("/")
    page.evaluate("() => { location.href = '/lessons/'; }")
    # Another tab of the same phone, to see when the worker is active.
    watcher = context.new_page()
    watcher.goto("/help/")
    wait_until_resolved_true(watcher, ACTIVE, timeout=60)
    watcher.wait_for_timeout(200)  # Playwright hands over the held request meanwhile
    assert len(held) == 1, "the navigation left before the worker was active"
    held[0].continue_()
    page.wait_for_url("**/lessons/")
    page.wait_for_load_state("load")

    # The phone does nothing more: the page is taken over all the same.
    page.wait_for_function("() => navigator.serviceWorker.controller !== null", timeout=10_000)
