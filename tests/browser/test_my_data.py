"""Wiping this phone's data from /me/ removes the lesson progress and the
craving log, and only after a second, deliberate tap; the day a patient
joined reads as the day on their phone."""

import secrets

import pytest
from playwright.sync_api import expect

from .test_clinic_story import sign_in
from .test_sync import make_patients

pytestmark = pytest.mark.browser

# Save an entry through the app's own db.js (the module the toolkit loaded),
# so the database has the app's schema.
PUT_CRAVING = """async () => {
  const url = performance.getEntriesByType("resource").map((e) => e.name).find((n) => /\\/js\\/db\\.[^/]*js$/.test(n));
  const { openDb } = await import(url);
  const db = await openDb();
  await new Promise((resolve, reject) => {
    const tx = db.transaction("cravings", "readwrite");
    tx.objectStore("cravings").put({ id: "test-entry", startedAt: new Date().toISOString(), before: 7 });
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
}"""


def crest_databases(page) -> list[str]:
    return page.evaluate("() => indexedDB.databases().then(list => list.map(d => d.name))")


def test_wiping_local_data_takes_two_taps_and_removes_everything(page):
    page.goto("/lessons/two-forces/")
    page.locator("[data-mark-done]").click()
    page.goto("/craving/", wait_until="networkidle")
    page.evaluate(PUT_CRAVING)
    page.goto("/me/")

    page.locator("[data-wipe-start]").click()
    # One tap only asks: nothing is gone yet.
    assert page.locator("[data-wipe-yes]").is_visible()
    assert "crest" in crest_databases(page)
    page.locator("[data-wipe-no]").click()
    assert "crest" in crest_databases(page)

    page.locator("[data-wipe-start]").click()
    page.locator("[data-wipe-yes]").click()
    page.locator("[data-wipe-status]").filter(has_text="Done").wait_for()
    assert "crest" not in crest_databases(page)
    assert page.evaluate("() => Object.keys(localStorage).filter(k => k.startsWith('crest:'))") == []
    page.goto("/lessons/")
    assert page.locator("[data-course-done]").inner_text() == "0"


@pytest.mark.parametrize(
    ("prefix", "locale", "zone", "shown"),
    [
        ("", "en-US", "America/Los_Angeles", "March 10, 2026"),
        ("", "en-US", "Asia/Tokyo", "March 11, 2026"),
        ("/es", "es-US", "America/Los_Angeles", "10 de marzo de 2026"),
    ],
)
def test_the_day_a_patient_joined_reads_as_the_day_on_their_phone(browser, server, prefix, locale, zone, shown):
    """The server knows the moment (02:00 UTC on 11 March); /me/ shows the
    day it was where the phone is, in the page's language and the phone's
    way of writing dates (static/js/pages/local-dates.js)."""
    name = f"joined-{secrets.token_hex(3)}"
    password = make_patients(server, name)
    server.manage(
        "shell", "-c",
        "from datetime import datetime, UTC; from clinics.models import Patient; "
        f"Patient.objects.filter(user__username={name!r}).update(created_at=datetime(2026, 3, 11, 2, tzinfo=UTC))",
    )
    context = browser.new_context(base_url=server.url, locale=locale, timezone_id=zone)
    try:
        page = context.new_page()
        sign_in(page, name, password)
        page.goto(f"{prefix}/me/")
        joined = page.locator("time[data-local-date]")
        expect(joined).to_have_text(shown)
        assert joined.get_attribute("datetime") == "2026-03-11T02:00:00+00:00"
    finally:
        context.close()
