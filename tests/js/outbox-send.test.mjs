// The outbox's sender (static/js/outbox-send.js): batches, answers and
// back-off, against a pretend server (outbox-fakes.mjs). Run by
// tests/craving/test_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import { queueCraving, queueIoForTests, queueLesson, summaryFor } from "../../static/js/outbox-queue.js";
import { flush } from "../../static/js/outbox-send.js";
import { ACCOUNT, json, newPage, patient, setUp, setUpAsked } from "./outbox-fakes.mjs";

const craving = (id, fields = {}) => ({
  id, startedAt: "2025-03-01T21:00:00.000Z", before: 8, after: 3, tool: "breathing", outcome: "eased", triggers: {}, note: "", ...fields,
});

async function queueCravings(n, fields) {
  for (let i = 0; i < n; i += 1) await queueCraving(craving(`c-${String(i).padStart(3, "0")}`, fields));
}

test("nothing waiting: nothing is sent, nobody is asked", async () => {
  const { server } = setUp();
  assert.deepEqual(await flush({ now: true }), { state: "idle" });
  assert.deepEqual(server.requests, []);
});

test("what is sent: only the item's own fields, with the account and the CSRF token in the headers", async () => {
  const { store, server, told } = await setUpAsked({ me: patient({ cravings: true }) });
  await queueCraving(craving("c-1"));
  const result = await flush({ now: true });
  assert.deepEqual(result, { state: "sent", nextTryAt: null });
  const [batch] = server.batches;
  assert.deepEqual(batch, [{
    id: "c-1", type: "craving.logged", at: "2025-03-01T21:00:00.000Z", intensity_before: 8, intensity_after: 3,
    tool: "breathing", outcome: "eased", triggers: {}, note: null,
  }]);
  const { headers } = server.requests.find((request) => request.url === "/api/v1/sync").options;
  assert.equal(headers["X-Crest-Account"], ACCOUNT);
  assert.equal(headers["X-CSRFToken"], "token");
  assert.deepEqual(store.all("outbox"), []);
  assert.ok((await summaryFor(ACCOUNT)).lastSentAt);
  assert.ok(told.length >= 2); // queued, then sent: the other pages redraw
});

test("a lesson the server kept is marked sent", async () => {
  await setUpAsked();
  await queueLesson("two-forces", { doneAt: "2025-03-01T09:00:00.000Z" });
  await flush({ now: true });
  assert.deepEqual((await summaryFor(ACCOUNT)).lessons, { "two-forces": "sent" });
});

test("only the signed-in account's items are sent", async () => {
  const { store, server } = await setUpAsked({ me: patient({ cravings: true }) });
  await queueCraving(craving("mine"));
  await store.put("outbox", { ...store.stores.outbox.get("mine"), id: "theirs", account: "acct-2" });
  await flush({ now: true });
  assert.deepEqual(server.batches.map((batch) => batch.map((item) => item.id)), [["mine"]]);
  assert.deepEqual(store.all("outbox").map((item) => [item.id, item.account]), [["theirs", "acct-2"]]);
});

test("many items go in batches of at most 100, oldest first", async () => {
  const { server, store } = await setUpAsked({ me: patient({ cravings: true }) });
  await queueCravings(150);
  await flush({ now: true });
  assert.deepEqual(server.batches.map((batch) => batch.length), [100, 50]);
  assert.equal(server.batches[0][0].id, "c-000");
  assert.deepEqual(store.all("outbox"), []);
});

test("a batch stays under 200 KB, counting three bytes a character", async () => {
  const { server } = await setUpAsked({ me: patient({ cravings: true, notes: true }) });
  await queueCravings(60, { note: "x".repeat(2000) });
  await flush({ now: true });
  assert.ok(server.batches.length > 1);
  for (const batch of server.batches) assert.ok(JSON.stringify(batch).length * 3 <= 200 * 1024 + 3 * 2200);
  assert.equal(server.batches.flat().length, 60);
});

test("a rejected item stays, with its reasons, until sent again by hand", async () => {
  const { store, server } = await setUpAsked({ me: patient({ cravings: true }) });
  server.sync = (items) => json(200, { results: items.map((item) => ({ id: item.id, status: "rejected", errors: { tool: "Unknown tool." } })) });
  await queueCraving(craving("c-1"));
  assert.equal((await flush({ now: true })).state, "sent");
  assert.deepEqual(store.all("outbox").map((item) => [item.state, item.errors]), [["rejected", { tool: "Unknown tool." }]]);
  assert.equal((await summaryFor(ACCOUNT)).lastSentAt, null);
  // Automatic sends leave it; "Send now" tries it again.
  await flush({ now: true });
  assert.equal(server.batches.length, 1);
  server.sync = (items) => json(200, { results: items.map((item) => ({ id: item.id, status: "stored", errors: {} })) });
  await flush({ force: true });
  assert.deepEqual(store.all("outbox"), []);
});

test("a batch refused as a whole marks every item with the reason", async () => {
  const { store, server } = await setUpAsked({ me: patient({ cravings: true }) });
  server.sync = () => json(413, { error: "At most 100 items per batch." });
  await queueCravings(2);
  assert.equal((await flush({ now: true })).state, "failed");
  assert.deepEqual(store.all("outbox").map((item) => item.errors), [{ batch: "At most 100 items per batch." }, { batch: "At most 100 items per batch." }]);
});

test("a server error backs off, longer each time, and automatic sends wait it out", async () => {
  const { store, server } = await setUpAsked({ me: patient({ cravings: true }) });
  server.sync = () => new Response("Bad gateway", { status: 502 });
  await queueCraving(craving("c-1"));
  const start = Date.now();
  const result = await flush({ now: true });
  assert.equal(result.state, "failed");
  let [item] = store.all("outbox");
  assert.equal(item.tries, 1);
  assert.ok(item.nextTryAt >= start + 5000 && item.nextTryAt <= Date.now() + 6000, "5 s, plus up to a fifth");
  assert.equal(result.nextTryAt, item.nextTryAt);

  await flush(); // not due yet: nothing sent
  assert.equal(server.batches.length, 1);
  await flush({ now: true });
  [item] = store.all("outbox");
  assert.equal(item.tries, 2);
  assert.ok(item.nextTryAt >= Date.now() + 14_000, "then 15 s");
});

test("no connection: the items back off and the result says offline", async () => {
  const { store, server } = await setUpAsked({ me: patient({ cravings: true }) });
  await queueCraving(craving("c-1"));
  await flush({ now: true }).catch(() => null);
  server.sync = () => { throw new TypeError("Failed to fetch"); };
  await queueCraving(craving("c-2"));
  assert.equal((await flush({ now: true })).state, "offline");
  assert.deepEqual(store.all("outbox").map((item) => [item.id, item.tries]), [["c-2", 1]]);
});

test("the server cannot be asked who is signed in: nothing is sent, and it asks again in 30 s", async () => {
  const { server } = await setUpAsked({ me: patient({ cravings: true }) });
  await queueCraving(craving("c-1"));
  server.me = null;
  newPage();
  const before = Date.now();
  const result = await flush({ now: true });
  assert.equal(result.state, "offline");
  assert.ok(result.nextTryAt >= before + 30_000);
  assert.deepEqual(server.batches, []);
});

test("signed out (401) or someone else signed in (409): the items wait untouched", async () => {
  for (const [status, state] of [[401, "signed-out"], [409, "other-account"]]) {
    const { store, server } = await setUpAsked({ me: patient({ cravings: true }) });
    server.sync = () => json(status, { error: "no" });
    await queueCraving(craving("c-1"));
    assert.equal((await flush({ now: true })).state, state);
    assert.deepEqual(store.all("outbox").map((item) => [item.state, item.tries]), [["waiting", 0]]);
  }
});

test("items the answer leaves out are tried again later", async () => {
  const { store, server } = await setUpAsked({ me: patient({ cravings: true }) });
  server.sync = (items) => json(200, { results: [{ id: items[0].id, status: "duplicate", errors: {} }] });
  await queueCravings(2);
  assert.equal((await flush({ now: true })).state, "sent");
  assert.deepEqual(store.all("outbox").map((item) => [item.id, item.tries]), [["c-001", 1]]);
  assert.ok((await summaryFor(ACCOUNT)).lastSentAt, "a duplicate was kept before: it counts as sent");
});

test("an item the server does not keep (not shared) leaves the queue, is not counted as sent, and that kind is off from then on", async () => {
  const { store, server } = await setUpAsked({ me: patient({ cravings: true, notes: true }) });
  server.sync = (items) => json(200, { results: items.map((item) => ({ id: item.id, status: "not_shared", errors: {} })) });
  await queueCraving(craving("c-1"));
  await flush({ now: true });
  assert.deepEqual(store.all("outbox"), []);
  const summary = await summaryFor(ACCOUNT);
  assert.equal(summary.lastSentAt, null);
  assert.deepEqual(summary.sharing, { lessons: true, cravings: false, notes: false });
  assert.equal(await queueCraving(craving("c-2")), null);
});

// Seen in CI: the page moved on while the answer was being written down. The
// item had left the queue, but the account had no word of the send, and the
// home page said "Nothing to send to your clinic yet." A closed page keeps
// only the writes it finished: after every possible cut, each answered item
// must still be waiting (sent again; the server says "duplicate") or be
// recorded as the server's answer says.
test("a page closed while the answer is written down never loses the word of what was sent", async () => {
  for (const status of ["stored", "not_shared"]) {
    for (let kept = 0; kept < 6; kept += 1) {
      const { store, server } = await setUpAsked({ me: patient({ cravings: true }) });
      await queueCraving(craving("c-1"));
      await queueLesson("two-forces", { doneAt: "2025-03-01T09:00:00.000Z" });
      let writes = null; // counted from the answer on; past `kept`, the page is gone
      const closing = (write) => async (...args) => {
        if (writes !== null && (writes += 1) > kept) throw new DOMException("The page was closed", "AbortError");
        return write(...args);
      };
      queueIoForTests({ put: closing(store.put), remove: closing(store.remove) });
      server.sync = (items) => {
        writes = 0;
        return json(200, { results: items.map((item) => ({ id: item.id, status, errors: {} })) });
      };
      await flush({ now: true });
      queueIoForTests({ put: store.put, remove: store.remove });
      const where = `answer ${status}, ${kept} writes finished`;
      const summary = await summaryFor(ACCOUNT);
      const waiting = new Set(store.all("outbox").filter((item) => item.state === "waiting").map((item) => item.type));
      if (status === "stored") {
        assert.ok(waiting.has("craving.logged") || summary.lastSentAt, where);
        assert.ok(["waiting", "sent"].includes(summary.lessons["two-forces"]), where);
      } else {
        assert.ok(waiting.has("craving.logged") || summary.sharing.cravings === false, where);
        assert.ok(waiting.has("lesson.completed") || summary.sharing.lessons === false, where);
        assert.equal(summary.lastSentAt, null, where);
      }
    }
  }
});
