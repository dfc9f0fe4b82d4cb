"""The app lock (issue 20) in a real Chromium: set with a PIN on /me/, it
keeps the craving log and notes, the lists, the safety plan and the clinic's
items encrypted and hidden until the PIN is entered; Help now, the craving
tools and the lessons never ask for it; the outbox keeps sending; wrong PINs
wait longer and longer; "Forgot your PIN?" removes the lock and what it kept."""

import json
import re
import secrets
import statistics
import time

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from devtools.browser import PHONE, wait_for_service_worker

from .test_clinic_story import sign_in
from .test_craving import add_reason, log_craving, open_finish, screen, wait_ready
from .test_sync import make_patients, on_server, sync_status, with_db

pytestmark = pytest.mark.browser

PIN = "482913"
NOTE = "Walked past the old corner on Fifth Street"
NOTE_WHILE_LOCKED = "Called Marisol instead of going out"
REASON = "Ana's graduation in June"
WARNING = "Skipping meals at Dad's"
SECRETS = (NOTE, NOTE_WHILE_LOCKED, REASON, WARNING, "Fifth Street", "Marisol", "graduation", "Skipping meals")


def lock_card(page):
    return page.locator("[data-phone-lock]")


def set_lock(page, secret: str = PIN) -> None:
    page.goto("/me/")
    card = lock_card(page)
    expect(card).to_have_attribute("data-ready", "none")
    card.get_by_label("New PIN or passphrase").fill(secret)
    card.get_by_label("The same again").fill(secret)
    card.get_by_role("button", name="Lock Crest with this PIN").click()
    expect(card.locator("[data-lock-status]")).to_contain_text("Done.", timeout=30_000)
    expect(card).to_have_attribute("data-ready", "unlocked")


def lock_now(page) -> None:
    page.goto("/me/")
    lock_card(page).get_by_role("button", name="Lock now").click()
    expect(lock_card(page)).to_have_attribute("data-ready", "locked")


def open_log(page):
    page.goto("about:blank")
    page.goto("/craving/#log")
    wait_ready(page)
    return screen(page, "log")


def unlock(where, secret: str = PIN) -> None:
    notice = where.locator("[data-locked-notice]")
    notice.get_by_label("PIN or passphrase").fill(secret)
    notice.get_by_role("button", name="Unlock").click()


def write_plan(page, warning: str) -> None:
    page.goto("/craving/safety-plan/")
    page.wait_for_function("() => document.querySelector('[data-safety-plan]')?.dataset.ready === 'true'")
    page.get_by_label("My warning signs").fill(warning)
    page.get_by_role("button", name="Save my plan").click()
    expect(page.locator("[data-plan-status]")).to_have_text("Saved on this phone.")


# Everything the phone keeps for this site, as text: every IndexedDB store
# (bytes decoded, so plaintext inside a buffer would show), localStorage,
# sessionStorage and every response in Cache Storage.
DUMP = """async () => {
  const bytes = (v) => new Uint8Array(v.buffer || v, v.byteOffset || 0, v.byteLength);
  const text = (value) => JSON.stringify(value, (key, v) => {
    if (v instanceof ArrayBuffer || ArrayBuffer.isView(v)) {
      const raw = bytes(v);
      return new TextDecoder().decode(raw) + " " + new TextDecoder("utf-16le").decode(raw.slice(0, raw.length & ~1));
    }
    if (v instanceof CryptoKey) return `CryptoKey(${v.type}, extractable=${v.extractable})`;
    return v;
  });
  const out = { indexedDB: {}, localStorage: {}, sessionStorage: {}, caches: {} };
  for (const { name } of await indexedDB.databases()) {
    const db = await new Promise((resolve, reject) => {
      const open = indexedDB.open(name);
      open.onsuccess = () => resolve(open.result);
      open.onerror = () => reject(open.error);
    });
    for (const store of db.objectStoreNames) {
      out.indexedDB[`${name}/${store}`] = text(await new Promise((resolve, reject) => {
        const request = db.transaction(store).objectStore(store).getAll();
        request.onsuccess = () => resolve(request.result);
        request.onerror = () => reject(request.error);
      }));
    }
    db.close();
  }
  for (const [key, value] of Object.entries(localStorage)) out.localStorage[key] = value;
  for (const [key, value] of Object.entries(sessionStorage)) out.sessionStorage[key] = value;
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      out.caches[`${name} ${request.url}`] = await (await cache.match(request)).text();
    }
  }
  return out;
}"""

RECORDS = with_db("""return {
  cravings: await db.getAll("cravings"), lists: await db.getAll("lists"),
  locks: (await db.getAll("locks")).map(({ space, iterations, kind }) => ({ space, iterations, kind })),
  unlocked: (await db.getAll("unlocked")).map((session) => session.space),
};""")

# PBKDF2 at the lock's own rounds, as an unlock runs it (lock.js openLock).
TIME_UNLOCK = """async (pin) => {
  const find = (re) => performance.getEntriesByType("resource").map((e) => e.name).find((n) => re.test(n));
  const lock = await import(find(/\\/js\\/lock\\.[^/]*js$/));
  const db = await import(find(/\\/js\\/db\\.[^/]*js$/));
  const [record] = await db.getAll("locks");
  const times = [];
  for (let i = 0; i < 3; i += 1) {
    const started = performance.now();
    await lock.openLock(record, pin);
    times.push(performance.now() - started);
  }
  return { iterations: record.iterations, times };
}"""


def a_patient_who_shares_summaries(page, server) -> str:
    name = f"lock-{secrets.token_hex(3)}"
    password = make_patients(server, name)  # craving summaries shared, notes not
    sign_in(page, name, password)
    page.goto("/")
    page.locator('[data-assigned-lesson="two-forces"]').wait_for()
    return name


def test_while_locked_no_note_text_is_anywhere_on_the_phone_and_the_outbox_still_sends(context, page, server):
    name = a_patient_who_shares_summaries(page, server)
    wait_for_service_worker(page)
    log_craving(page, before=8, tool="breathing", after=3, triggers=("Stressed",), note=NOTE)
    add_reason(page, REASON)
    write_plan(page, WARNING)
    set_lock(page)

    timing = page.evaluate(TIME_UNLOCK, PIN)
    assert timing["iterations"] >= 600_000
    print(f"\nunlock (PBKDF2-SHA-256, {timing['iterations']} rounds) in this Chromium: "
          f"{', '.join(f'{t:.0f}' for t in timing['times'])} ms, median {statistics.median(timing['times']):.0f} ms")

    lock_now(page)
    # Logged while locked: no PIN asked; sealed; its summary still goes.
    log_craving(page, before=9, tool="grounding", after=4, triggers=("Lonely",), note=NOTE_WHILE_LOCKED)
    log = screen(page, "log")
    expect(log.locator("[data-locked-notice]")).to_contain_text("Your craving log is locked.")
    expect(log.locator(".entry")).to_have_count(0)
    deadline = time.monotonic() + 20
    while len(on_server(server, name)[name]["cravings"]) < 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    assert sorted(on_server(server, name)[name]["cravings"]) == [
        [8, "breathing", ["Stressed"], ""], [9, "grounding", ["Lonely"], ""],
    ]

    dump = page.evaluate(DUMP)
    whole = json.dumps(dump, ensure_ascii=False)
    assert "crest/cravings" in dump["indexedDB"] and dump["caches"], "the dump saw the stores and the caches"
    for secret in SECRETS:
        assert secret not in whole, secret
    records = page.evaluate(RECORDS)
    assert records["unlocked"] == []
    [lock] = records["locks"]
    assert (lock["iterations"], lock["kind"]) == (timing["iterations"], "pin")
    for record in records["cravings"] + records["lists"]:
        assert set(record) == {"id", "space", "box"}, record

    # Unlocked, everything is there, the craving logged while locked too.
    log = open_log(page)
    unlock(log)
    expect(log.locator(".entry-note")).to_have_text([NOTE_WHILE_LOCKED, NOTE], timeout=15_000)
    page.goto("/craving/#reasons")
    wait_ready(page)
    expect(screen(page, "reasons").locator(".own-text")).to_have_text([REASON])
    page.goto("/craving/safety-plan/")
    expect(page.locator('[data-plan-show="warning-signs"] li')).to_have_text([WARNING])
    assert page.js_errors == []


def test_the_clinics_items_are_hidden_while_locked(context, page, server):
    a_patient_who_shares_summaries(page, server)
    set_lock(page)
    lock_now(page)
    page.goto("/")
    notice = page.locator("[data-locked-notice]")
    expect(notice).to_contain_text("What your clinic assigned is locked.")
    page.wait_for_load_state("networkidle")
    expect(page.locator("[data-assigned]")).to_be_hidden()
    expect(sync_status(page)).to_be_hidden()
    assert page.locator("[data-assigned-lesson]").count() == 0
    unlock(page)
    expect(page.locator('[data-assigned-lesson="two-forces"]')).to_be_visible(timeout=15_000)
    expect(notice).to_have_count(0)


def test_help_the_craving_tools_and_the_lessons_never_ask_for_the_pin(context, page):
    page.goto("/")
    wait_for_service_worker(page)
    set_lock(page)
    lock_now(page)
    context.set_offline(True)

    page.goto("/help/")
    expect(page.locator("a[href='tel:988']").first).to_be_visible()
    page.goto("/craving/")
    wait_ready(page)
    page.get_by_role("button", name="I’m having a craving").click()
    screen(page, "rate").locator('[data-rate="8"]').click()
    for tool in ("wave", "breathing", "grounding"):
        page.goto(f"/craving/#{tool}")
        expect(screen(page, tool)).to_be_visible()
        expect(screen(page, tool).locator("[data-locked-notice]")).to_have_count(0)
    page.goto("/lessons/two-forces/")
    page.locator("[data-mark-done]").click()
    expect(page.locator("[data-done-message]")).to_contain_text("Saved")
    assert page.locator("[data-locked-notice]").count() == 0
    # The lists are what is locked in the toolkit.
    page.goto("/craving/#reasons")
    wait_ready(page)
    expect(screen(page, "reasons").locator("[data-locked-notice]")).to_contain_text("Your reasons are locked.")
    expect(screen(page, "reasons").locator("[data-list-form]")).to_be_hidden()
    assert page.js_errors == []


def test_wrong_pins_wait_longer_and_longer_and_never_for_good(context, page):
    page.clock.install()  # the waits pass in an instant
    page.goto("/")
    set_lock(page)
    log_craving(page, before=7, tool="breathing", after=2, note=NOTE)
    lock_now(page)
    log = open_log(page)
    notice = log.locator("[data-locked-notice]")
    status = notice.locator("[data-unlock-status]")
    button = notice.get_by_role("button", name="Unlock")
    for _ in range(2):  # a slip of the thumb costs nothing
        unlock(log, "111111")
        expect(status).to_have_text("That is not the PIN or passphrase for this lock.", timeout=15_000)
        expect(button).to_be_enabled()
    unlock(log, "222222")
    expect(status).to_contain_text(re.compile(r"You can try again in [45] seconds?\."), timeout=15_000)
    expect(button).to_be_disabled()
    # A reload does not reset the wait.
    log = open_log(page)
    notice = log.locator("[data-locked-notice]")
    expect(notice.get_by_role("button", name="Unlock")).to_be_disabled()
    expect(notice.locator("[data-unlock-status]")).to_contain_text("You can try again in")
    page.clock.fast_forward(5_000)
    expect(notice.get_by_role("button", name="Unlock")).to_be_enabled()
    unlock(log, "333333")  # the fourth wrong one waits twice as long
    expect(notice.locator("[data-unlock-status]")).to_contain_text(re.compile(r"in (9|10) seconds\."), timeout=15_000)
    page.clock.fast_forward(4_000)
    expect(notice.get_by_role("button", name="Unlock")).to_be_disabled()
    page.clock.fast_forward(6_000)
    expect(notice.get_by_role("button", name="Unlock")).to_be_enabled()
    unlock(log)
    expect(log.locator(".entry-note")).to_have_text([NOTE], timeout=15_000)
    assert page.js_errors == []


def test_forgot_pin_warns_then_removes_the_lock_and_what_it_kept_and_not_the_servers(context, page, server):
    name = a_patient_who_shares_summaries(page, server)
    log_craving(page, before=6, tool="breathing", after=2, note=NOTE)
    page.goto("/")
    expect(sync_status(page)).to_contain_text("Everything is sent", timeout=15_000)
    add_reason(page, REASON)
    set_lock(page)
    lock_now(page)

    log = open_log(page)
    notice = log.locator("[data-locked-notice]")
    notice.get_by_role("button", name="Forgot your PIN or passphrase?").click()
    warning = notice.locator("[data-forgot-confirm]")
    expect(warning).to_contain_text("Nobody can open what the lock keeps without the PIN")
    expect(warning).to_contain_text("What your clinic has is not touched")
    warning.get_by_role("button", name="Keep trying").click()
    expect(warning).to_be_hidden()
    assert page.evaluate(RECORDS)["locks"]  # nothing removed yet

    notice.get_by_role("button", name="Forgot your PIN or passphrase?").click()
    warning.get_by_role("button", name="Remove the lock and what it keeps").click()
    expect(log.locator("[data-locked-notice]")).to_have_count(0, timeout=15_000)
    expect(log.locator("[data-log-empty]")).to_be_visible()
    records = page.evaluate(RECORDS)
    assert (records["cravings"], records["lists"], records["locks"]) == ([], [], [])
    page.goto("/me/")
    expect(lock_card(page)).to_have_attribute("data-ready", "none")
    assert on_server(server, name)[name]["cravings"] == [[6, "breathing", [], ""]]
    assert page.js_errors == []


def test_crest_locks_when_closed_or_left_for_a_few_minutes(context, page):
    page.goto("/")
    set_lock(page)
    log_craving(page, before=7, tool="breathing", after=2, note=NOTE)
    # Unlocked: moving between pages asks nothing.
    log = open_log(page)
    expect(log.locator(".entry-note")).to_have_text([NOTE])

    # Closed for six minutes (the last use was then): locked on the next load.
    page.evaluate(with_db("""const [session] = await db.getAll("unlocked");
      await db.put("unlocked", { ...session, lastActive: Date.now() - 6 * 60_000 });"""))
    log = open_log(page)
    expect(log.locator("[data-locked-notice]")).to_be_visible()
    assert page.evaluate(RECORDS)["unlocked"] == []

    # Left open and unused: locked in place, the notes taken off the page.
    # (The phone's clock from here: six minutes pass in an instant. It takes
    # the page's performance entries, which with_db reads, so no more of it.)
    page.clock.install()
    log = open_log(page)
    unlock(log)
    expect(log.locator(".entry-note")).to_have_text([NOTE], timeout=15_000)
    page.clock.fast_forward("06:00")
    expect(log.locator("[data-locked-notice]")).to_be_visible()
    expect(log.locator(".entry-note")).to_have_count(0)
    assert page.js_errors == []


def test_a_pin_too_short_is_refused_and_a_passphrase_works(page):
    page.goto("/me/")
    card = lock_card(page)
    expect(card).to_have_attribute("data-ready", "none")
    card.get_by_label("New PIN or passphrase").fill("12345")
    card.get_by_label("The same again").fill("12345")
    card.get_by_role("button", name="Lock Crest with this PIN").click()
    expect(card.locator("[data-lock-status]")).to_have_text("A PIN needs at least 6 digits.")
    card.get_by_label("New PIN or passphrase").fill("river lamp quiet")
    card.get_by_label("The same again").fill("river lamp quite")
    card.get_by_role("button", name="Lock Crest with this PIN").click()
    expect(card.locator("[data-lock-status]")).to_contain_text("not the same")
    set_lock(page, "river lamp quiet")
    lock_now(page)
    log = open_log(page)
    unlock(log, "river lamp quiet")
    expect(log.locator("[data-locked-notice]")).to_have_count(0, timeout=15_000)
    # Turned off: nothing in a box any more.
    add_reason(page, REASON)
    page.goto("/me/")
    lock_card(page).get_by_role("button", name="Turn the lock off").click()
    expect(lock_card(page)).to_have_attribute("data-ready", "none")
    assert [item["text"] for item in page.evaluate(RECORDS)["lists"]] == [REASON]


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_the_lock_controls(browser, server, scheme):
    context = browser.new_context(base_url=server.url, color_scheme=scheme, **PHONE)
    page = context.new_page()
    axe = Axe()
    try:
        page.goto("/me/")
        expect(lock_card(page)).to_have_attribute("data-ready", "none")
        page.locator(".lock-facts summary").click()
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
        set_lock(page)
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
        lock_now(page)
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
        log = open_log(page)
        log.locator("[data-locked-notice]").get_by_role("button", name="Forgot your PIN or passphrase?").click()
        results = axe.run(page)
        assert results.violations_count == 0, results.generate_report()
    finally:
        context.close()


def test_the_lock_speaks_spanish(page):
    page.goto("/")
    set_lock(page)
    lock_now(page)
    page.goto("/es/craving/#log")
    wait_ready(page)
    notice = screen(page, "log").locator("[data-locked-notice]")
    expect(notice).to_contain_text("Su registro de ansias está bloqueado.")
    notice.get_by_label("PIN o frase de contraseña").fill("000000")
    notice.get_by_role("button", name="Desbloquear").click()
    status = notice.locator("[data-unlock-status]")
    expect(status).to_have_text("Ese no es el PIN ni la frase de este bloqueo.", timeout=15_000)
    notice.get_by_role("button", name="¿Olvidó su PIN o su frase de contraseña?").click()
    expect(notice.get_by_role("button", name="Quitar el bloqueo y lo que guarda")).to_be_visible()
    page.goto("/es/me/")
    expect(lock_card(page).get_by_role("heading")).to_have_text("Bloquear Crest con un PIN")


def test_a_note_being_typed_is_taken_off_the_screen_when_crest_locks(context, page):
    """Left open in the middle of an entry, Crest locks in place after a few
    minutes, and the log and lists leave the page. The note being typed on
    the finish screen stayed there, readable by whoever picked the phone up."""
    page.goto("/")
    set_lock(page)
    page.clock.install()
    finish = open_finish(page)
    finish.get_by_label("Note").fill(NOTE)
    finish.get_by_text("What was going on?").click()
    finish.locator("label.chip", has_text=re.compile(r"^Stressed$")).click()

    page.clock.fast_forward("06:00")
    expect(finish.get_by_label("Note")).to_have_value("", timeout=15_000)
    assert finish.locator("label.chip:has(input:checked)", has_text="Stressed").count() == 0
    # The check-in goes on: its rating is its draft's (no note is ever there).
    expect(finish.locator('input[name="before"][value="8"]')).to_be_checked()
    assert page.js_errors == []
