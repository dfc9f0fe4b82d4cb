"""The outbox in a real Chromium against the production-mode server: work
done offline reaches the clinic exactly once when the connection comes back,
on the page the person is on, through a failed first send; it survives a
reload offline; and on a shared phone nobody sends anyone else's."""

import contextlib
import json
import re
import secrets

import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import expect

from devtools.browser import wait_for_service_worker

from .test_clinic_story import sign_in
from .test_craving import log_craving

pytestmark = pytest.mark.browser

SETUP = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from clinics import services
from clinics.models import Clinic, Membership, Patient
from lessons.models import Lesson
clinic, _ = Clinic.objects.get_or_create(slug='sync', defaults={'name': 'Sync Clinic'})
staff, _ = User.objects.get_or_create(username='sync-staff')
Membership.objects.get_or_create(user=staff, defaults={'clinic': clinic, 'role': 'clinician'})
for name in __PATIENTS__:
    user = User.objects.create_user(name, password='__PASSWORD__')
    patient = Patient.objects.create(user=user, clinic=clinic, label=name.upper(), shares_cravings=True)
    services.assignments_create(clinician=staff, clinic=clinic, patients=[patient],
                                lessons=[Lesson.objects.get(slug='two-forces')],
                                due_date=timezone.localdate() + timedelta(days=3))
"""

ON_SERVER = """
import json
from clinics.models import CravingSummary, LessonProgress, SyncedItem
def rows(name):
    mine = {'patient__user__username': name}
    return {
        'items': sorted(str(i) for i in SyncedItem.objects.filter(**mine).values_list('id', flat=True)),
        'lessons': {
            p.lesson.slug: [p.score, p.total]
            for p in LessonProgress.objects.filter(**mine).select_related('lesson')
        },
        'cravings': sorted(
            [c.intensity_before, c.tool, c.triggers, c.note] for c in CravingSummary.objects.filter(**mine)
        ),
    }
print(json.dumps({name: rows(name) for name in __PATIENTS__}))
"""


def with_db(body: str) -> str:
    """A page script with Crest's own IndexedDB helpers (db.js) in `db`."""
    return """async () => {
  const url = performance.getEntriesByType("resource")
    .map((e) => e.name)
    .find((n) => /\\/js\\/db\\.[^/]*js$/.test(n));
  const db = await import(url);
  """ + body + "\n}"


OUTBOX = with_db("""return (await db.getAll("outbox"))
    .map((item) => ({ id: item.id, type: item.type, state: item.state, account: item.account }));""")


def make_patients(server, *names: str) -> str:
    password = f"pass-{secrets.token_hex(8)}"
    server.manage("shell", "-c", SETUP.replace("__PATIENTS__", repr(list(names))).replace("__PASSWORD__", password))
    return password


def on_server(server, *names: str) -> dict:
    script = ON_SERVER.replace("__PATIENTS__", repr(list(names)))
    return json.loads(server.manage("shell", "-v", "0", "-c", script).strip())


def sync_status(page):
    return page.locator("[data-sync-status]")


def finish_lesson(page, slug: str, *, wrong: int = 0) -> int:
    page.goto(f"/lessons/{slug}/")
    # A reflection ([data-unscored]) has no right answer and is not counted.
    reflections = page.locator("[data-question][data-unscored]")
    for i in range(reflections.count()):
        reflections.nth(i).locator("input").first.check()
    questions = page.locator("[data-question]:not([data-unscored])")
    total = questions.count()
    for i in range(total):
        questions.nth(i).locator("input:not([data-correct])" if i < wrong else "input[data-correct]").first.check()
    page.click("[data-mark-done]")
    expect(page.locator("[data-done-message]")).to_contain_text("Saved")
    return total


def test_offline_work_arrives_exactly_once_from_the_lesson_page_through_a_failed_first_send(context, page, server):
    name = f"sync-{secrets.token_hex(3)}"
    password = make_patients(server, name)
    sign_in(page, name, password)
    page.goto("/")
    page.locator('[data-assigned-lesson="two-forces"]').wait_for()
    wait_for_service_worker(page)

    # Offline: the assigned lesson with its check (one answer wrong), an
    # unassigned one, and two cravings with their summaries shared.
    context.set_offline(True)
    total = finish_lesson(page, "two-forces", wrong=1)
    expect(sync_status(page)).to_contain_text("1 waiting to send")
    other_total = finish_lesson(page, "pain-relief")
    log_craving(page, before=8, tool="breathing", after=3, triggers=("Stressed",), note="private words")
    log_craving(page, before=6, tool="grounding", after=5, triggers=("Tired",))

    # A reload offline keeps every item.
    page.goto("/lessons/two-forces/")
    expect(sync_status(page)).to_contain_text("4 waiting to send")
    expect(sync_status(page)).to_contain_text("They go when you are back online")
    expect(page.locator("[data-server-progress]")).to_have_text("Waiting to send to your clinic.")
    page.reload()
    expect(sync_status(page)).to_contain_text("4 waiting to send")
    assert len(page.evaluate(OUTBOX)) == 4
    assert on_server(server, name)[name]["items"] == []

    # Back online on the same lesson page (no visit home). The first send
    # reaches the server and is stored, but its answer is lost (a 500 on the
    # way back); the retry must then store nothing twice.
    sends: list[int] = []

    def first_answer_lost(route):
        response = route.fetch()
        sends.append(response.status)
        if len(sends) == 1:
            route.fulfill(status=500, body="Bad gateway")
        else:
            route.fulfill(response=response)

    context.route("**/api/v1/sync", first_answer_lost)
    context.set_offline(False)
    expect(sync_status(page)).to_contain_text("Everything is sent to your clinic", timeout=30_000)
    expect(sync_status(page)).to_contain_text("Last sent today at")
    expect(page.locator("[data-server-progress]")).to_have_text("Sent to your clinic.")
    assert len(sends) >= 2 and sends[0] == 200
    assert page.evaluate(OUTBOX) == []

    held = on_server(server, name)[name]
    assert len(held["items"]) == 4
    assert held["lessons"] == {"two-forces": [total - 1, total], "pain-relief": [other_total, other_total]}
    # Summaries shared, note text not (its own opt-in is off).
    assert held["cravings"] == [[6, "grounding", ["Tired"], ""], [8, "breathing", ["Stressed"], ""]]

    # The home screen reads the assignment as done, with the score.
    page.goto("/")
    status = page.locator('[data-assigned-lesson="two-forces"] [data-assigned-status]')
    expect(status).to_have_text(f"Done · {total - 1} of {total} right")
    assert page.js_errors == []


def test_a_second_account_on_the_same_phone_sends_nothing_of_the_firsts(context, page, server):
    first, second = f"first-{secrets.token_hex(3)}", f"second-{secrets.token_hex(3)}"
    password = make_patients(server, first, second)
    sync_requests: list[dict] = []
    context.on(
        "request",
        lambda request: sync_requests.append(request.all_headers()) if request.url.endswith("/api/v1/sync") else None,
    )

    sign_in(page, first, password)
    page.goto("/")
    page.locator('[data-assigned-lesson="two-forces"]').wait_for()
    wait_for_service_worker(page)
    first_account = page.evaluate("fetch('/api/v1/me/assignments/').then(r => r.json()).then(d => d.account)")

    # The first person finishes a lesson offline; meanwhile their session
    # ends (signed out everywhere from another device).
    context.set_offline(True)
    finish_lesson(page, "two-forces")
    expect(sync_status(page)).to_contain_text("1 waiting to send")
    server.manage(
        "shell", "-c",
        "from accounts.models import User; from accounts.services import sessions_end_all; "
        f"sessions_end_all(user=User.objects.get(username={first!r}))",
    )
    context.set_offline(False)
    page.goto("/")
    # The server says nobody is signed in: the page turns to the signed-out
    # space, where nothing of the first person's shows (issue 20).
    page.wait_for_function("() => !document.cookie.includes('crest_account=')")
    page.wait_for_load_state("networkidle")
    expect(sync_status(page)).to_be_hidden()

    # The second person signs in on the same phone and finishes a lesson.
    sign_in(page, second, password)
    page.goto("/")
    page.locator('[data-assigned-lesson="two-forces"]').wait_for()
    finish_lesson(page, "pain-relief")
    expect(page.locator("[data-server-progress]")).to_have_text("Sent to your clinic.", timeout=15_000)

    held = on_server(server, first, second)
    assert held[first]["items"] == [] and held[first]["lessons"] == {}
    assert list(held[second]["lessons"]) == ["pain-relief"]
    assert all(headers.get("x-crest-account") != first_account for headers in sync_requests)
    outbox = page.evaluate(OUTBOX)
    assert [(item["account"], item["state"]) for item in outbox] == [(first_account, "waiting")]
    expect(sync_status(page)).not_to_contain_text("waiting")

    # The first person signs in again: their item goes, once.
    page.context.clear_cookies()
    sign_in(page, first, password)
    page.goto("/lessons/two-forces/")
    expect(page.locator("[data-server-progress]")).to_have_text("Sent to your clinic.", timeout=15_000)
    assert list(on_server(server, first)[first]["lessons"]) == ["two-forces"]
    assert page.evaluate(OUTBOX) == []


ASKING_WHO = re.compile(r"/api/v1/me/assignments/")


def test_a_lesson_finished_before_the_phone_knows_who_signed_in_reaches_their_clinic(context, page, server):
    """The connection drops right after signing in, before the phone has
    asked the server who that is: a lesson finished then is kept for this
    sign-in and sent for them once the server can be asked."""
    name = f"early-{secrets.token_hex(3)}"
    password = make_patients(server, name)
    page.goto("/")
    wait_for_service_worker(page)
    context.route(ASKING_WHO, lambda route: route.abort())
    sign_in(page, name, password)
    total = finish_lesson(page, "two-forces")
    # The sign-in's answer named the account (the crest_account cookie): the
    # lesson waits in the outbox, filed under it.
    assert [(item["type"], item["state"]) for item in page.evaluate(OUTBOX)] == [("lesson.completed", "waiting")]
    assert on_server(server, name)[name]["lessons"] == {}

    context.unroute(ASKING_WHO)
    page.goto("/")
    status = page.locator('[data-assigned-lesson="two-forces"] [data-assigned-status]')
    expect(status).to_have_text(f"Done · {total} of {total} right", timeout=15_000)
    assert on_server(server, name)[name]["lessons"] == {"two-forces": [total, total]}
    assert page.evaluate(OUTBOX) == []
    assert page.js_errors == []


def test_a_lesson_finished_before_signing_in_is_not_sent_for_whoever_signs_in(context, page, server):
    """Someone on a shared phone, not signed in, finishes a lesson while the
    server cannot be asked; then a patient signs in and keeps that data with
    their account: it is theirs on the phone, and still not sent to the clinic."""
    name = f"later-{secrets.token_hex(3)}"
    password = make_patients(server, name)
    page.goto("/accounts/login/")  # a CSRF cookie, as any visit to the sign-in page leaves
    wait_for_service_worker(page)
    context.route(ASKING_WHO, lambda route: route.abort())
    finish_lesson(page, "pain-relief")
    assert page.evaluate(OUTBOX) == []
    context.unroute(ASKING_WHO)
    sign_in(page, name, password)
    page.goto("/")
    page.locator('[data-assigned-lesson="two-forces"]').wait_for()
    with page.expect_navigation():  # the page reloads once the data has moved
        page.get_by_role("button", name="Keep it with my account").click()
    page.goto("/lessons/pain-relief/")
    expect(page.locator("[data-mark-done]")).to_have_text("Done ✓")
    expect(sync_status(page)).not_to_contain_text("waiting")
    assert page.evaluate(OUTBOX) == []
    assert on_server(server, name)[name]["lessons"] == {}



def test_a_lesson_kept_from_before_signing_in_goes_to_the_clinic_when_the_person_says_so(context, page, server):
    """Done signed out, then kept with the account: not sent by itself (the
    test above). The lesson page then offered nothing: "Done ✓" cannot be
    pressed again, so the clinic saw an assigned lesson the person had read
    as overdue for good. One tap on "Tell my clinic I did this" sends it,
    with its check score."""
    name = f"tell-{secrets.token_hex(3)}"
    password = make_patients(server, name)
    page.goto("/accounts/login/")
    wait_for_service_worker(page)
    total = finish_lesson(page, "two-forces")
    tell = page.get_by_role("button", name="Tell my clinic I did this")
    expect(tell).to_be_hidden()  # nobody signed in: no clinic to tell
    sign_in(page, name, password)
    page.goto("/")
    page.locator('[data-assigned-lesson="two-forces"]').wait_for()
    with page.expect_navigation():
        page.get_by_role("button", name="Keep it with my account").click()
    page.goto("/lessons/two-forces/")
    expect(page.locator("[data-mark-done]")).to_have_text("Done ✓")
    expect(tell).to_be_visible()
    assert on_server(server, name)[name]["lessons"] == {}

    tell.click()
    expect(tell).to_be_hidden()
    for _ in range(50):
        if on_server(server, name)[name]["lessons"]:
            break
        page.wait_for_timeout(200)
    assert on_server(server, name)[name]["lessons"] == {"two-forces": [total, total]}
    page.reload()
    expect(page.locator("[data-mark-done]")).to_have_text("Done ✓")
    expect(tell).to_be_hidden()
    assert page.js_errors == []


def test_anonymous_use_sends_nothing(context, page, server):
    requests: list[str] = []
    context.on("request", lambda request: requests.append(request.url) if "/api/" in request.url else None)
    page.goto("/")
    wait_for_service_worker(page)
    finish_lesson(page, "two-forces")
    log_craving(page, before=5, tool="breathing", after=2)
    page.goto("/")
    assert sync_status(page).is_hidden()
    assert page.evaluate(OUTBOX) == []
    assert not [url for url in requests if url.endswith("/api/v1/sync")]
    assert page.js_errors == []


DATABASES = "() => indexedDB.databases().then(list => list.map(d => d.name))"


def test_wiping_the_phone_clears_the_outbox_and_crests_caches(context, page, server):
    """A send under way when the person removes Crest's data must not make
    the database anew when its answer arrives (seen in CI: the wipe said
    "Done" and the "crest" database was back)."""
    name = f"wipe-{secrets.token_hex(3)}"
    password = make_patients(server, name)
    sign_in(page, name, password)
    page.goto("/")
    page.locator('[data-assigned-lesson="two-forces"]').wait_for()  # the phone knows who is signed in
    wait_for_service_worker(page)
    context.set_offline(True)
    finish_lesson(page, "two-forces")
    [item] = page.evaluate(OUTBOX)
    held = []
    # Held before the phone is back online: coming online sends at once.
    context.route("**/api/v1/sync", lambda route: held.append(route))  # the send waits, unanswered
    context.set_offline(False)
    before = len(held)
    page.goto("/me/")
    for _ in range(100):
        if len(held) > before:
            break
        page.wait_for_timeout(100)
    assert len(held) > before, "the /me/ page did not try to send its waiting item"
    page.locator("[data-wipe-start]").click()
    page.locator("[data-wipe-yes]").click()
    page.locator("[data-wipe-status]").filter(has_text="Done").wait_for()
    # Now the send's answer arrives: the page must not write it anywhere.
    body = json.dumps({"results": [{"id": item["id"], "status": "stored", "errors": {}}]})
    for route in held:  # the page's request, and the service worker's on its behalf
        with contextlib.suppress(PlaywrightError):  # a send from the page before /me/ went with that page
            route.fulfill(status=200, content_type="application/json", body=body)
    for _ in range(20):  # a write would follow the answer within a few ticks
        assert page.evaluate(DATABASES) == []
        page.wait_for_timeout(100)
    assert page.evaluate("() => caches.keys()") == []
    assert on_server(server, name)[name]["items"] == []


def test_the_service_worker_never_makes_the_database(context, page, server):
    """Background Sync runs the outbox in the service worker: on a phone
    whose Crest data was removed (or never stored), it finds nothing to send
    and leaves no database behind."""
    page.goto("/")
    wait_for_service_worker(page)
    assert page.evaluate(DATABASES) == ["crest"]  # the page made it
    page.evaluate("""() => new Promise((resolve, reject) => {
      const request = indexedDB.deleteDatabase("crest");
      request.onsuccess = resolve;
      request.onerror = () => reject(request.error);
      request.onblocked = () => reject(new Error("blocked"));
    })""")
    # The worker's sync handler runs the outbox (imported by the module
    # worker, out of reach of evaluate): count its openings of IndexedDB,
    # then have Chromium fire a real sync event.
    [worker] = context.service_workers
    worker.evaluate("""() => {
      const open = indexedDB.open.bind(indexedDB);
      self.opened = 0;
      indexedDB.open = (...args) => { self.opened += 1; return open(...args); };
    }""")
    dispatch_sync_event(context, page, server.url, "crest-outbox")
    for _ in range(100):
        if worker.evaluate("() => self.opened") > 0:
            break
        page.wait_for_timeout(100)
    assert worker.evaluate("() => self.opened") > 0, "the sync event did not run the outbox"
    for _ in range(10):  # the aborted upgrade settles within a few ticks
        assert page.evaluate(DATABASES) == []
        page.wait_for_timeout(100)


def dispatch_sync_event(context, page, origin: str, tag: str) -> None:
    """What Chromium does when the connection comes back (Background Sync)."""
    cdp = context.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    for _ in range(50):
        if registrations:
            break
        page.wait_for_timeout(100)
    [registration] = [r for r in registrations if not r.get("isDeleted")]
    cdp.send(
        "ServiceWorker.dispatchSyncEvent",
        {"origin": origin, "registrationId": registration["registrationId"], "tag": tag, "lastChance": False},
    )


def test_a_quiz_legend_sits_inside_its_card_on_a_phone(page):
    """A fieldset's legend is drawn across its top border by default."""
    page.goto("/lessons/two-forces/")
    boxes = page.evaluate("""() => [...document.querySelectorAll('[data-question]')].map((q) => {
      const card = q.getBoundingClientRect();
      const legend = q.querySelector('legend').getBoundingClientRect();
      return [card.top, legend.top, parseFloat(getComputedStyle(q).borderTopWidth)];
    })""")
    assert boxes
    for card_top, legend_top, border in boxes:
        assert legend_top >= card_top + border, (card_top, legend_top)


SYNC_TAG = "crest-outbox"  # static/js/outbox-send.js
SYNC_TAGS = "() => navigator.serviceWorker.ready.then((registration) => registration.sync.getTags())"


def test_work_done_offline_asks_for_background_sync_to_send_it_with_crest_closed(context, page, server):
    """Background Sync sends the outbox when the connection comes back, with
    Crest closed, but only if a page asked for it. Pages asked only after a
    send that failed: offline (as the phone knows) they sent nothing and
    asked nothing, so a lesson finished offline waited for the next visit."""
    name = f"bgsync-{secrets.token_hex(3)}"
    sign_in(page, name, make_patients(server, name))
    page.goto("/")
    page.locator('[data-assigned-lesson="two-forces"]').wait_for()
    wait_for_service_worker(page)
    assert SYNC_TAG not in page.evaluate(SYNC_TAGS)

    context.set_offline(True)
    finish_lesson(page, "two-forces")
    expect(sync_status(page)).to_contain_text("1 waiting to send")
    for _ in range(50):
        if SYNC_TAG in page.evaluate(SYNC_TAGS):
            break
        page.wait_for_timeout(100)
    assert SYNC_TAG in page.evaluate(SYNC_TAGS)
