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

function worker({ windows = [] } = {}) {
  const listeners = {};
  const calls = { shown: [], opened: [], focused: [], navigated: [] };
  const self = {
    location: new URL(`${ORIGIN}/serviceworker.js`),
    addEventListener: (type, handler) => { listeners[type] = handler; },
    registration: { showNotification: async (title, options) => { calls.shown.push({ title, options }); } },
    clients: {
      matchAll: async () => windows,
      openWindow: async (url) => { calls.opened.push(url); return { url }; },
    },
  };
  for (const client of windows) {
    client.focus = async () => { calls.focused.push(client.url); return client; };
    client.navigate ??= async (url) => { calls.navigated.push(url); client.url = url; return client; };
  }
  vm.runInNewContext(block, { self, URL, console });
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
