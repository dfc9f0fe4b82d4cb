// The reminders block of the service worker (offline/templates/offline/serviceworker.js,
// between its "Reminders (Web Push)" markers), run on its own with a stand-in
// worker scope: what a push shows, and where a tap leads.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import vm from "node:vm";

const source = readFileSync(new URL("../../offline/templates/offline/serviceworker.js", import.meta.url), "utf8");
const block = source.slice(source.indexOf("// --- Reminders (Web Push): begin"), source.indexOf("// --- Reminders (Web Push): end"));
const ORIGIN = "https://crest.example";

// A subscription as the browser hands it over: toJSON() and its options.
const pushSubscription = (endpoint, key = "server-key") => ({
  endpoint,
  options: { userVisibleOnly: true, applicationServerKey: key },
  toJSON: () => ({ endpoint, expirationTime: null, keys: { p256dh: "P", auth: "A" } }),
});

function worker({ windows = [], subscribe = null } = {}) {
  const listeners = {};
  const calls = { shown: [], opened: [], focused: [], navigated: [], requests: [], subscribed: [] };
  // Crest's API, as the worker reaches it (cookies come along by themselves).
  const fetch = async (url, options = {}) => {
    calls.requests.push({ url, method: options.method || "GET", headers: options.headers || {}, body: options.body ? JSON.parse(options.body) : null });
    const body = url === "/api/v1/push/" ? { available: true, public_key: "server-key", csrf_token: "token" } : { reminders: {} };
    return new Response(JSON.stringify(body), { status: 200, headers: { "Content-Type": "application/json" } });
  };
  const self = {
    location: new URL(`${ORIGIN}/serviceworker.js`),
    addEventListener: (type, handler) => { listeners[type] = handler; },
    registration: {
      showNotification: async (title, options) => { calls.shown.push({ title, options }); },
      pushManager: {
        subscribe: async (options) => {
          calls.subscribed.push(options);
          if (!subscribe) throw new DOMException("Permission denied", "NotAllowedError");
          return subscribe;
        },
      },
    },
    clients: {
      matchAll: async () => windows,
      openWindow: async (url) => { calls.opened.push(url); return { url }; },
    },
  };
  for (const client of windows) {
    client.focus = async () => { calls.focused.push(client.url); return client; };
    client.navigate ??= async (url) => { calls.navigated.push(url); client.url = url; return client; };
  }
  vm.runInNewContext(block, { self, URL, console, fetch, JSON, MessageChannel, setTimeout, clearTimeout });
  async function fire(type, event) {
    const waits = [];
    listeners[type]({ ...event, waitUntil: (promise) => waits.push(promise) });
    await Promise.all(waits);
  }
  return { fire, calls };
}

const message = (notification) => ({ json: () => ({ web_push: 8030, notification }) });

test("a reminder shows its neutral text and carries where a tap leads", async () => {
  const { fire, calls } = worker();
  await fire("push", { data: message({ title: "Crest", body: "Es hora de su registro.", lang: "es", dir: "ltr", tag: "checkin", navigate: `${ORIGIN}/es/check-in/` }) });
  assert.equal(calls.shown.length, 1);
  const [{ title, options }] = calls.shown;
  assert.equal(title, "Crest");
  assert.equal(options.body, "Es hora de su registro.");
  assert.equal(options.lang, "es");
  assert.equal(options.tag, "checkin");
  assert.equal(options.data.url, `${ORIGIN}/es/check-in/`);
});

test("a path is taken on the worker's own origin", async () => {
  const { fire, calls } = worker();
  await fire("push", { data: message({ title: "Crest", navigate: "/check-in/" }) });
  assert.equal(calls.shown[0].options.data.url, `${ORIGIN}/check-in/`);
});

test("a tap never leads off Crest", async () => {
  const { fire, calls } = worker();
  await fire("push", { data: message({ title: "Crest", navigate: "https://elsewhere.example/x" }) });
  assert.equal(calls.shown[0].options.data.url, `${ORIGIN}/`);
  await fire("notificationclick", { notification: { close() {}, data: { url: "javascript:alert(1)" } } });
  assert.deepEqual(calls.opened, [`${ORIGIN}/`]);
});

test("an unreadable push still shows a plain notification", async () => {
  const { fire, calls } = worker();
  await fire("push", { data: { json: () => { throw new SyntaxError("not JSON"); } } });
  await fire("push", { data: null });
  assert.deepEqual(calls.shown.map((s) => [s.title, s.options.body, s.options.data.url]), [["Crest", "", `${ORIGIN}/`], ["Crest", "", `${ORIGIN}/`]]);
});

test("a tap opens the check-in in a new window when Crest is not open", async () => {
  const { fire, calls } = worker();
  let closed = false;
  await fire("notificationclick", { notification: { close() { closed = true; }, data: { url: `${ORIGIN}/check-in/` } } });
  assert.equal(closed, true);
  assert.deepEqual(calls.opened, [`${ORIGIN}/check-in/`]);
});

test("a tap focuses the check-in if it is open, or moves an open Crest window there", async () => {
  const already = worker({ windows: [{ url: `${ORIGIN}/check-in/` }] });
  await already.fire("notificationclick", { notification: { close() {}, data: { url: `${ORIGIN}/check-in/` } } });
  assert.deepEqual(already.calls.focused, [`${ORIGIN}/check-in/`]);
  assert.deepEqual(already.calls.opened, []);

  const elsewhere = worker({ windows: [{ url: `${ORIGIN}/lessons/` }] });
  await elsewhere.fire("notificationclick", { notification: { close() {}, data: { url: `${ORIGIN}/check-in/` } } });
  assert.deepEqual(elsewhere.calls.navigated, [`${ORIGIN}/check-in/`]);
  assert.deepEqual(elsewhere.calls.opened, []);

  const notOurs = worker({ windows: [{ url: `${ORIGIN}/lessons/`, navigate: async () => { throw new TypeError("not controlled"); } }] });
  await notOurs.fire("notificationclick", { notification: { close() {}, data: { url: `${ORIGIN}/check-in/` } } });
  assert.deepEqual(notOurs.calls.opened, [`${ORIGIN}/check-in/`]);
});

// A window answers the worker's question as app.js does: through the port it was handed.
const answering = (url, answer) => ({
  url,
  asked: [],
  postMessage(message, [port]) {
    this.asked.push(message);
    port.postMessage(answer);
  },
});

test("a window holding unsaved words stays where it is, and is only focused", async () => {
  const typing = answering(`${ORIGIN}/craving/`, "stay");
  const { fire, calls } = worker({ windows: [typing] });
  await fire("notificationclick", { notification: { close() {}, data: { url: `${ORIGIN}/check-in/` } } });
  assert.deepEqual(JSON.parse(JSON.stringify(typing.asked)), [{ type: "REMINDER_TAP", url: `${ORIGIN}/check-in/` }]);
  assert.deepEqual(calls.navigated, []);
  assert.deepEqual(calls.opened, []);
  assert.deepEqual(calls.focused, [`${ORIGIN}/craving/`]);
});

test("a window with nothing unsaved, or one that does not answer, goes to the reminder's page", async () => {
  const idle = answering(`${ORIGIN}/lessons/`, "go");
  const { fire, calls } = worker({ windows: [idle] });
  await fire("notificationclick", { notification: { close() {}, data: { url: `${ORIGIN}/check-in/` } } });
  assert.deepEqual(calls.navigated, [`${ORIGIN}/check-in/`]);

  const silent = { url: `${ORIGIN}/lessons/`, postMessage() {} };
  const quiet = worker({ windows: [silent] });
  await quiet.fire("notificationclick", { notification: { close() {}, data: { url: `${ORIGIN}/check-in/` } } });
  assert.deepEqual(quiet.calls.navigated, [`${ORIGIN}/check-in/`]);
});

// The push service renewed the subscription while Crest may be closed: the
// server hears of it at once (POST with "replaces"), or, with no new one to
// be had, that the old one is gone; with no old one, nothing can be matched
// and the next visit sorts it out (reminders-keep.js).
const apiCalls = (calls) => calls.requests.filter((r) => r.url === "/api/v1/push/subscriptions");

test("a renewed subscription replaces the old one on the server, with the CSRF token", async () => {
  const { fire, calls } = worker();
  await fire("pushsubscriptionchange", {
    oldSubscription: pushSubscription(`${ORIGIN}/push/old`), newSubscription: pushSubscription(`${ORIGIN}/push/new`),
  });
  const [call] = apiCalls(calls);
  assert.equal(call.method, "POST");
  assert.equal(call.headers["X-CSRFToken"], "token");
  assert.deepEqual(call.body, { endpoint: `${ORIGIN}/push/new`, expirationTime: null, keys: { p256dh: "P", auth: "A" }, replaces: `${ORIGIN}/push/old` });
});

test("with no new subscription given, the worker subscribes again with the old one's key", async () => {
  const { fire, calls } = worker({ subscribe: pushSubscription(`${ORIGIN}/push/again`) });
  await fire("pushsubscriptionchange", { oldSubscription: pushSubscription(`${ORIGIN}/push/old`, "the-key"), newSubscription: null });
  assert.deepEqual(JSON.parse(JSON.stringify(calls.subscribed)), [{ userVisibleOnly: true, applicationServerKey: "the-key" }]);
  assert.deepEqual(apiCalls(calls).map((c) => [c.method, c.body.endpoint, c.body.replaces]), [["POST", `${ORIGIN}/push/again`, `${ORIGIN}/push/old`]]);
});

test("when no new subscription can be had, the server forgets the old one", async () => {
  const { fire, calls } = worker({ subscribe: null });
  await fire("pushsubscriptionchange", { oldSubscription: pushSubscription(`${ORIGIN}/push/old`), newSubscription: null });
  assert.deepEqual(apiCalls(calls).map((c) => [c.method, c.body]), [["DELETE", { endpoint: `${ORIGIN}/push/old` }]]);
});

test("with no old subscription, nothing is sent", async () => {
  const { fire, calls } = worker({ subscribe: pushSubscription(`${ORIGIN}/push/again`) });
  await fire("pushsubscriptionchange", { oldSubscription: null, newSubscription: null });
  assert.deepEqual(calls.requests, []);
});
