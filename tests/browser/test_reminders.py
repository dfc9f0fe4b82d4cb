"""Reminders end to end in Chromium, offline.

A headless browser cannot subscribe to a real push service without the
internet, so the page gets a stand-in subscription: the same shape as the
browser's, with keys made by WebCrypto (a P-256 ECDH key pair and 16 random
auth bytes) and an endpoint on a small push service this test runs on
127.0.0.1 over TLS (tests/reminders/push_service.py). `send_reminders` then
posts to it for real; the test checks what arrived (VAPID, aes128gcm to the
browser's keys, neutral text, a TTL), hands it to the real service worker
with the DevTools Protocol (ServiceWorker.deliverPushMessage), and reads the
notification the worker showed and where it leads."""

import json
import time

import pytest
from py_vapid import Vapid02

from devtools.browser import PHONE, wait_for_service_worker, wait_until_resolved_true
from devtools.server import running_server
from reminders import push
from tests.reminders import push_service
from tests.reminders.push_service import Phone

from .conftest import new_page

pytestmark = pytest.mark.browser

# 09:00 in New York on a Monday, when the person's daily check-in is due.
CHECKIN_AT = "2026-05-04T13:00:00+00:00"

STAND_IN = """
(() => {
  const pushUrl = %s;
  const b64url = (bytes) => btoa(String.fromCharCode(...new Uint8Array(bytes)))
    .replace(/\\+/g, "-").replace(/\\//g, "_").replace(/=+$/, "");
  window.__permissionAsked = 0;
  const ask = Notification.requestPermission.bind(Notification);
  Notification.requestPermission = async () => { window.__permissionAsked += 1; return ask(); };
  function standIn(stored) {
    const base64 = stored.serverKey.replace(/-/g, "+").replace(/_/g, "/");
    const key = Uint8Array.from(atob(base64), (c) => c.charCodeAt(0)).buffer;
    return {
      endpoint: stored.endpoint,
      expirationTime: null,
      options: { userVisibleOnly: true, applicationServerKey: key },
      toJSON: () => ({
        endpoint: stored.endpoint, expirationTime: null, keys: { p256dh: stored.p256dh, auth: stored.auth },
      }),
      unsubscribe: async () => { localStorage.removeItem("test:push"); return true; },
    };
  }
  PushManager.prototype.getSubscription = async function () {
    const stored = JSON.parse(localStorage.getItem("test:push") || "null");
    return stored ? standIn(stored) : null;
  };
  PushManager.prototype.subscribe = async function (options) {
    const pair = await crypto.subtle.generateKey({ name: "ECDH", namedCurve: "P-256" }, true, ["deriveBits"]);
    const stored = {
      endpoint: `${pushUrl}/push/browser-${crypto.randomUUID()}`,
      p256dh: b64url(await crypto.subtle.exportKey("raw", pair.publicKey)),
      auth: b64url(crypto.getRandomValues(new Uint8Array(16))),
      jwk: await crypto.subtle.exportKey("jwk", pair.privateKey),
      serverKey: b64url(options.applicationServerKey),
    };
    localStorage.setItem("test:push", JSON.stringify(stored));
    return standIn(stored);
  };
})();
"""


@pytest.fixture(scope="module")
def pushes(tmp_path_factory):
    service, server = push_service.start(tmp_path_factory.mktemp("push"))
    yield service
    server.shutdown()


@pytest.fixture(scope="module")
def reminder_server(tmp_path_factory, pushes):
    key = Vapid02()
    key.generate_keys()
    env = {
        "CREST_VAPID_PRIVATE_KEY": push.vapid_private_raw(key),
        "CREST_VAPID_SUBJECT": "mailto:ops@crest.example",
        "CREST_PUSH_HOSTS": "fcm.googleapis.com,127.0.0.1",
        "REQUESTS_CA_BUNDLE": str(pushes.ca_file),
    }
    with running_server(tmp_path_factory.mktemp("reminders-server"), extra_env=env) as running:
        yield running


@pytest.fixture
def phone(browser, reminder_server, pushes):
    context = browser.new_context(
        base_url=reminder_server.url, timezone_id="America/New_York", permissions=["notifications"], **PHONE
    )
    context.add_init_script(STAND_IN % json.dumps(pushes.url))
    yield context
    context.close()


def subscriptions(server) -> list[dict]:
    out = server.manage(
        "shell", "-c",
        "import json; from reminders.models import Subscription as S; "
        "print(json.dumps(list(S.objects.values('endpoint', 'language', 'time_zone', 'checkin_time', "
        "'weekly_day', 'weekly_time')), default=str))",
    )
    return json.loads(out.strip().splitlines()[-1])  # after the shell's own line


def turn_on(page, path: str = "/reminders/", checkin: str = "09:00") -> dict:
    page.goto(path)
    wait_for_service_worker(page)
    page.locator("[data-reminders-toggle]:not([disabled])").wait_for(timeout=60_000)
    page.fill("#checkin-time", checkin)
    page.locator("[data-reminders-toggle]").check()
    # Generous waits: the browser tests share a busy machine.
    page.locator("[data-reminders-status]").filter(has_text=" ").wait_for(timeout=60_000)
    return json.loads(page.evaluate("localStorage.getItem('test:push')"))


def test_a_check_in_reaches_the_service_worker_once_and_leads_to_the_check_in(phone, reminder_server, pushes):
    page = new_page(phone)
    page.goto("/")
    wait_for_service_worker(page)
    assert page.evaluate("window.__permissionAsked") == 0  # nothing asked on a first visit
    page.goto("/reminders/")
    page.locator("[data-reminders-toggle]:not([disabled])").wait_for()
    assert page.evaluate("window.__permissionAsked") == 0  # nor on the reminders page until the person says yes

    stored = turn_on(page)
    assert page.evaluate("window.__permissionAsked") == 1
    assert page.locator("[data-reminders-status]").inner_text() == "Reminders are on for this phone."
    [kept] = subscriptions(reminder_server)
    assert (kept["time_zone"], kept["checkin_time"], kept["language"]) == ("America/New_York", "09:00:00", "en")

    # Every server's timer fires, several times: one message.
    for _ in range(3):
        reminder_server.manage("send_reminders", "--now", CHECKIN_AT)
    name = stored["endpoint"].rsplit("/", 1)[1]
    [got] = pushes.for_path(name)
    claims, key = got.vapid()
    assert claims["aud"] == pushes.url
    assert got.headers["content-encoding"] == "aes128gcm"
    assert int(got.headers["ttl"]) > 0
    plaintext = Phone.from_jwk(stored["jwk"], stored["auth"]).decrypt(got.body).decode()
    message = json.loads(plaintext)
    assert message["notification"]["body"] == "Time for your check-in."

    # The push service hands it to the phone: the real worker shows it.
    cdp = phone.new_cdp_session(page)
    registrations = []
    cdp.on("ServiceWorker.workerRegistrationUpdated", lambda event: registrations.extend(event["registrations"]))
    cdp.send("ServiceWorker.enable")
    deadline = time.monotonic() + 10
    while not registrations and time.monotonic() < deadline:
        page.wait_for_timeout(100)
    [registration] = [r for r in registrations if r["scopeURL"] == f"{reminder_server.url}/" and not r["isDeleted"]]
    cdp.send("ServiceWorker.deliverPushMessage", {
        "origin": reminder_server.url, "registrationId": registration["registrationId"], "data": plaintext,
    })
    [shown] = wait_until_resolved_true(
        page,
        "navigator.serviceWorker.ready.then(r => r.getNotifications())"
        ".then(list => list.map(n => ({title: n.title, body: n.body, tag: n.tag, url: n.data && n.data.url})))",
    )
    assert shown == {
        "title": "Crest", "body": "Time for your check-in.", "tag": "checkin",
        "url": f"{reminder_server.url}/check-in/",
    }
    # Where the tap leads (the click handler itself: tests/js/worker-push.test.mjs).
    page.goto(shown["url"])
    assert page.locator("h1").inner_text() == "Check-in"
    assert page.locator("a.button-craving").get_attribute("href") == "/craving/"

    # Turning reminders off removes the subscription on the server at once.
    page.goto("/reminders/")
    page.locator("[data-reminders-toggle]:not([disabled])").wait_for()
    assert page.locator("[data-reminders-toggle]").is_checked()
    page.locator("[data-reminders-toggle]").uncheck()
    page.locator("[data-reminders-status]").filter(has_text="Reminders are off").wait_for(timeout=60_000)
    assert subscriptions(reminder_server) == []
    assert page.js_errors == []


def test_wiping_this_phone_removes_its_reminders_on_the_server(phone, reminder_server):
    page = new_page(phone)
    turn_on(page, "/es/reminders/")
    [kept] = subscriptions(reminder_server)
    assert kept["language"] == "es"  # the reminder text follows the language Crest is used in
    page.goto("/es/me/")
    page.locator("[data-wipe-start]").click()
    page.locator("[data-wipe-yes]").click()
    page.locator("[data-wipe-status]").filter(has_text="Listo").wait_for(timeout=60_000)
    assert subscriptions(reminder_server) == []
    assert page.js_errors == []


# Three Friday evenings (20:00 on the phone's clock) in the last weeks, each
# with a note and triggers that must never leave the phone.
# Three Friday-evening entries in the signed-out space's log (db.js step 4).
SEED_LOG = """async () => {
  const url = performance.getEntriesByType("resource").map((e) => e.name).find((n) => /\\/js\\/db\\.[^/]*js$/.test(n));
  const { openDb } = await import(url);
  const db = await openDb();
  const fridays = [];
  const day = new Date();
  day.setHours(20, 0, 0, 0);
  while (fridays.length < 3) {
    day.setDate(day.getDate() - 1);
    if (day.getDay() === 5) fridays.push(new Date(day));
  }
  await new Promise((resolve, reject) => {
    const tx = db.transaction("cravings", "readwrite");
    fridays.forEach((at, i) => tx.objectStore("cravings").put({
      id: `entry-secret-${i}`, space: "anon", v: 1, startedAt: at.toISOString(), endedAt: null, before: 8, after: 3,
      tool: "wave",
      outcome: "passed", triggers: { people: ["Secret Person"], places: ["Secret Place"], feelings: [], halt: [] },
      note: "SECRET NOTE",
    }));
    tx.oncomplete = resolve;
    tx.onerror = () => reject(tx.error);
  });
  db.close();
  return fridays.map((d) => d.toISOString());
}"""


def test_the_risky_hours_suggestion_sends_only_the_chosen_time(phone, reminder_server):
    page = new_page(phone)
    turn_on(page)
    seeded = page.evaluate(SEED_LOG)
    sent: list[tuple[str, str, str]] = []
    phone.on("request", lambda request: sent.append((request.method, request.url, request.post_data or "")))

    page.reload()
    page.locator("[data-reminders-toggle]:not([disabled])").wait_for()
    page.locator("[data-weekly-look]").click()
    sentence = page.locator("[data-weekly-sentence]")
    sentence.filter(has_text="Fridays in the evening").wait_for(timeout=60_000)
    assert sentence.inner_text().startswith("Most of your cravings in the last 6 weeks came on Fridays in the evening.")
    assert page.locator("#weekly-day").input_value() == "4"
    assert page.locator("#weekly-time").input_value() == "19:30"
    page.fill("#weekly-time", "19:15")  # the person changes it
    page.locator("[data-weekly-use]").click()
    page.locator("[data-weekly-current-text]").filter(has_text="Friday at 19:15").wait_for(timeout=60_000)

    [kept] = subscriptions(reminder_server)
    assert (kept["weekly_day"], kept["weekly_time"]) == (4, "19:15:00")
    posts = [json.loads(body) for method, url, body in sent if method == "POST" and url.endswith("/subscriptions")]
    assert [post["reminders"] for post in posts] == [{"weekly": {"day": 4, "time": "19:15"}}]
    everything = " ".join(f"{url} {body}" for _, url, body in sent)
    for secret in ["SECRET", "Secret", "entry-secret", "wave", "passed", *seeded, *(s[:16] for s in seeded)]:
        assert secret not in everything, secret
    assert page.js_errors == []


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_the_reminder_pages(browser, reminder_server, scheme):
    from .test_accessibility import assert_no_axe_violations

    assert_no_axe_violations(
        browser, reminder_server, scheme=scheme, paths=["/reminders/", "/check-in/", "/es/reminders/", "/es/check-in/"]
    )


def test_an_iphone_in_a_safari_tab_is_told_to_add_crest_to_the_home_screen_first(browser, reminder_server):
    iphone = (
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
        "Version/18.4 Mobile/15E148 Safari/604.1"
    )
    context = browser.new_context(base_url=reminder_server.url, user_agent=iphone, **PHONE)
    # As in Safari outside a Home Screen app: no PushManager.
    context.add_init_script("delete window.PushManager;")
    try:
        page = new_page(context)
        page.goto("/reminders/")
        steps = page.locator("[data-reminders-ios]")
        steps.wait_for(state="visible")
        assert "Add to Home Screen" in steps.inner_text()
        assert page.locator("[data-reminders-form]").is_hidden()
        assert page.locator("[data-reminders-toggle]").is_disabled()
        assert page.js_errors == []
    finally:
        context.close()


def test_the_check_in_screen_keeps_answers_on_the_phone(phone):
    page = new_page(phone)
    sent = []
    phone.on("request", lambda request: sent.append(request.post_data or ""))
    page.goto("/check-in/")
    page.locator("label.chip", has_text="Okay").click()
    page.locator(".scale-choice", has_text="8").click()
    page.get_by_role("button", name="Done").click()
    assert "That is strong" in page.locator("[data-checkin-reply]").inner_text()
    # A double tap adds one entry (each tap once saved its own).
    page.locator("[data-checkin-log]").dblclick()
    page.locator("[data-checkin-saved]").filter(has_text="Added").wait_for()
    page.wait_for_timeout(300)  # a second save, if any, lands
    entries = page.evaluate("""async () => {
      const url = performance.getEntriesByType("resource").map((e) => e.name)
        .find((n) => /\\/js\\/db\\.[^/]*js$/.test(n));
      const { getAll } = await import(url);
      return getAll("cravings");
    }""")
    assert [entry["before"] for entry in entries] == [8]
    assert all(body == "" for body in sent), sent
    assert page.js_errors == []
