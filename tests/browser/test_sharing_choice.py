"""The phone follows the patient's sharing choices as the server has them
(issue 18, item 1): a choice made on /me/ holds on the very next page, a
choice changed elsewhere holds once the server says so, and the phone never
says something was sent that the clinic does not have."""

import secrets
import time

import pytest
from playwright.sync_api import expect

from devtools.browser import wait_for_service_worker, wait_until_resolved_true

from .test_clinic_story import sign_in
from .test_craving import log_craving
from .test_sync import finish_lesson, make_patients, on_server, sync_status, with_db

pytestmark = pytest.mark.browser

OUTBOX_CRAVINGS = with_db("""return (await db.getAll("outbox"))
    .filter((item) => item.type === "craving.logged").map((item) => item.note);""")
NO_CRAVING_WAITS = with_db("""return (await db.getAll("outbox"))
    .every((item) => item.type !== "craving.logged");""")


def sharing_set(server, name: str, category: str, share: bool) -> None:
    """The choice changed away from this phone (another device, the clinic's
    database), through the same service as /me/."""
    server.manage(
        "shell", "-c",
        "from clinics import services; from clinics.models import Patient; "
        f"services.sharing_set(patient=Patient.objects.get(user__username={name!r}), "
        f"category={category!r}, share={share!r})",
    )


def cravings_on_server(server, name: str, *, at_least: int = 1, timeout: float = 20) -> list:
    deadline = time.monotonic() + timeout
    while True:
        cravings = on_server(server, name)[name]["cravings"]
        if len(cravings) >= at_least or time.monotonic() > deadline:
            return cravings
        time.sleep(0.5)


def a_patient_whose_phone_knows_them(context, page, server, *, cravings: bool) -> str:
    name = f"share-{secrets.token_hex(3)}"
    password = make_patients(server, name)  # they share craving summaries
    if not cravings:
        sharing_set(server, name, "cravings", False)
    sign_in(page, name, password)
    page.goto("/")
    page.locator('[data-assigned-lesson="two-forces"]').wait_for()  # the phone has asked who this is
    wait_for_service_worker(page)
    # Something sent already, so "Everything is sent" could be said.
    finish_lesson(page, "two-forces")
    expect(page.locator("[data-server-progress]")).to_have_text("Sent to your clinic.", timeout=15_000)
    return name


def test_sharing_turned_on_at_me_holds_straight_away_in_the_toolkit(context, page, server):
    name = a_patient_whose_phone_knows_them(context, page, server, cravings=False)

    page.goto("/me/")
    page.get_by_role("button", name="Share craving summaries").click()
    expect(page.locator("[data-sharing-cravings]")).to_have_attribute("data-sharing-cravings", "on")
    page.get_by_role("button", name="Share notes").click()
    expect(page.locator("[data-sharing-notes]")).to_have_attribute("data-sharing-notes", "on")

    # Straight to the toolkit: no visit to the home page in between.
    log_craving(page, before=8, tool="breathing", after=3, triggers=("Stressed",), note="my own words")
    assert cravings_on_server(server, name) == [[8, "breathing", ["Stressed"], "my own words"]]

    page.goto("/")
    expect(sync_status(page)).to_contain_text("Everything is sent to your clinic.")
    expect(sync_status(page)).not_to_contain_text("you do not share craving summaries")
    assert page.js_errors == []


def test_sharing_turned_on_elsewhere_holds_once_the_server_says_so(context, page, server):
    name = a_patient_whose_phone_knows_them(context, page, server, cravings=False)
    sharing_set(server, name, "cravings", True)
    sharing_set(server, name, "notes", True)

    # The toolkit is the first page after the change.
    log_craving(page, before=6, tool="grounding", after=2, note="said by the server")
    assert cravings_on_server(server, name) == [[6, "grounding", [], "said by the server"]]
    assert page.js_errors == []


def test_a_not_shared_answer_turns_the_phone_to_the_servers_choice(context, page, server):
    """The phone thought craving summaries were shared; they were turned off
    while it was offline. The sync's answer (not_shared) is the server's
    word: the phone says they stay on the phone, and queues no more."""
    name = a_patient_whose_phone_knows_them(context, page, server, cravings=True)
    context.set_offline(True)
    sharing_set(server, name, "cravings", False)
    log_craving(page, before=7, tool="breathing", after=4, note="offline")
    assert page.evaluate(OUTBOX_CRAVINGS) == [None]  # queued: the phone knew no better

    sends = []
    context.on("request", lambda request: sends.append(request) if request.url.endswith("/api/v1/sync") else None)
    context.set_offline(False)
    page.goto("/")
    expect(sync_status(page)).to_contain_text(
        "Kept on this phone only: you do not share craving summaries with your clinic.", timeout=15_000
    )
    # The sender asks who is signed in (the server's choices, which the line
    # above shows) before it sends: the queued craving goes, and leaves only
    # with the sync's answer, a moment later.
    wait_until_resolved_true(page, NO_CRAVING_WAITS, timeout=15)
    assert page.evaluate(OUTBOX_CRAVINGS) == []
    assert on_server(server, name)[name]["cravings"] == []

    # The next craving is not queued, nor sent.
    sent_before = len(sends)
    log_craving(page, before=5, tool="breathing", after=2)
    assert page.evaluate(OUTBOX_CRAVINGS) == []
    page.goto("/")
    expect(sync_status(page)).to_contain_text("you do not share craving summaries")
    assert len(sends) == sent_before
    assert on_server(server, name)[name]["cravings"] == []
    assert page.js_errors == []
