"""Wiping this phone's data from /me/ removes the lesson progress and the
craving log, and only after a second, deliberate tap."""

import pytest

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
