// The outbox's queue (static/js/outbox-queue.js), with an in-memory store
// and a pretend server (outbox-fakes.mjs). Run by tests/craving/test_js.py.
import assert from "node:assert/strict";
import { test } from "node:test";
import {
  followSignIn, forget, markRejected, noteSent, queueCraving, queueLesson, retryLater, sharingRefused, sharingShown, storedWho, summaryFor, takeOut,
  waitingAccounts, whoAmI,
} from "../../static/js/outbox-queue.js";
import { ACCOUNT, patient, setUpAsked } from "./outbox-fakes.mjs";

const entry = (fields = {}) => ({
  id: "craving-1", startedAt: "2025-03-01T21:00:00.000Z", before: 8, after: 3, tool: "breathing", outcome: "eased",
  triggers: { people: [], places: ["Home"], feelings: [], halt: ["Tired"] }, note: "my own words", ...fields,
});

test("with nobody signed in nothing is queued", async () => {
  const { store, server } = await setUpAsked({ me: { signed_in: false } });
  assert.equal(await queueCraving(entry()), null);
  assert.equal(await queueLesson("two-forces", { doneAt: "2025-03-01T09:00:00.000Z" }), null);
  assert.deepEqual(store.all("outbox"), []);
  assert.equal((await storedWho()).account, null);
  assert.ok(server.requests.length >= 1);
});

test("a craving is filed under the signed-in account, without its note while notes are not shared", async () => {
  const { store } = await setUpAsked({ me: patient({ cravings: true }) });
  const item = await queueCraving(entry());
  assert.deepEqual(store.all("outbox"), [item]);
  assert.equal(item.id, "craving-1");
  assert.equal(item.account, ACCOUNT);
  assert.equal(item.state, "waiting");
  assert.equal(item.tries, 0);
  assert.deepEqual(item.triggers, { places: ["Home"], halt: ["Tired"] });
  assert.equal(item.note, null);
  assert.equal(item.intensity_before, 8);
  assert.equal(item.at, "2025-03-01T21:00:00.000Z");
});

test("a craving's note goes with it when notes are shared", async () => {
  await setUpAsked({ me: patient({ cravings: true, notes: true }) });
  assert.equal((await queueCraving(entry())).note, "my own words");
});

test("a craving is not queued while craving summaries are not shared", async () => {
  const { store } = await setUpAsked({ me: patient({ cravings: false }) });
  assert.equal(await queueCraving(entry()), null);
  assert.deepEqual(store.all("outbox"), []);
});

test("a check score waits for the lesson's completion, and travels with it", async () => {
  const { store } = await setUpAsked();
  assert.equal(await queueLesson("two-forces", { score: 2, total: 3 }), null);
  assert.deepEqual(store.all("outbox"), []);
  const item = await queueLesson("two-forces", { doneAt: "2025-03-01T09:00:00.000Z" });
  assert.deepEqual(
    { type: item.type, lesson: item.lesson, score: item.score, total: item.total, at: item.at, account: item.account },
    { type: "lesson.completed", lesson: "two-forces", score: 2, total: 3, at: "2025-03-01T09:00:00.000Z", account: ACCOUNT },
  );
  // A better score later is sent again; a worse one is not kept.
  await queueLesson("two-forces", { score: 1, total: 3 });
  assert.equal(store.all("accounts")[0].lessons["two-forces"].score, 2);
});

test("a lesson is recorded but not queued while lessons are not shared, and queued when sharing is back on", async () => {
  const { store, server } = await setUpAsked({ me: patient({ lessons: false }) });
  assert.equal(await queueLesson("two-forces", { doneAt: "2025-03-01T09:00:00.000Z" }), null);
  assert.deepEqual(store.all("outbox"), []);
  assert.ok(store.all("accounts")[0].lessons["two-forces"].doneAt);

  server.me = patient({ lessons: true });
  await whoAmI({ fresh: true });
  assert.deepEqual(store.all("outbox").map((item) => [item.type, item.lesson]), [["lesson.completed", "two-forces"]]);
});

test("offline, the last account known still files new work", async () => {
  const { store, server } = await setUpAsked({ me: patient({ cravings: true }) });
  await whoAmI({ fresh: true });
  server.me = null; // no connection
  assert.equal((await whoAmI({ fresh: true })).state, "offline");
  assert.equal((await queueCraving(entry())).account, ACCOUNT);
  assert.equal(store.all("outbox").length, 1);
});

test("signing out: the items wait, filed under their account, and nothing new is filed", async () => {
  const { server } = await setUpAsked({ me: patient({ cravings: true }) });
  await queueCraving(entry());
  server.me = { signed_in: false };
  assert.equal((await whoAmI({ fresh: true })).state, "signed-out");
  assert.equal((await storedWho()).account, null);
  assert.deepEqual(await waitingAccounts(), [ACCOUNT]);
  assert.equal(await queueCraving(entry({ id: "craving-2" })), null);
});

test("the page's word on who signed in holds until the server is asked", async () => {
  const { store, server } = await setUpAsked({ me: patient({ cravings: true }) });
  // Signed out on this phone (the cookie is gone), then offline at once.
  server.me = null;
  await followSignIn(null);
  assert.equal(await queueCraving(entry()), null);
  assert.equal(await queueLesson("two-forces", { doneAt: "2025-03-01T09:00:00.000Z" }), null);
  // Signed in again, still offline: filed under that account, without a CSRF token yet.
  await followSignIn(ACCOUNT);
  assert.equal((await storedWho()).csrf, null);
  assert.equal((await queueCraving(entry())).account, ACCOUNT);
  assert.equal(store.all("outbox").length, 1);
  // Unchanged: the server's answer, with its token, is kept.
  server.me = patient({ cravings: true });
  await whoAmI({ fresh: true });
  await followSignIn(ACCOUNT);
  assert.equal((await storedWho()).csrf, "token");
  // A staff account signed in: the server said it is not a patient's.
  server.me = { signed_in: true, patient: false, account: "staff-1", assignments: [] };
  await whoAmI({ fresh: true });
  await followSignIn("staff-1");
  assert.equal((await storedWho()).account, null);
  assert.equal(await queueLesson("two-forces", { doneAt: "2025-03-01T09:00:00.000Z" }), null);
});

test("the summary counts what waits, what was refused, and each lesson's state", async () => {
  await setUpAsked({ me: patient({ cravings: true }) });
  const craving = await queueCraving(entry());
  const first = await queueLesson("two-forces", { doneAt: "2025-03-01T09:00:00.000Z" });
  await queueLesson("pain-relief", { doneAt: "2025-03-01T10:00:00.000Z" });
  await markRejected(craving, { tool: "Unknown tool." });
  await takeOut(first);
  await noteSent(ACCOUNT, [first]);
  const summary = await summaryFor(ACCOUNT);
  assert.equal(summary.waiting, 1);
  assert.deepEqual(summary.rejected.map((item) => [item.id, item.errors]), [["craving-1", { tool: "Unknown tool." }]]);
  assert.deepEqual(summary.lessons, { "two-forces": "sent", "pain-relief": "waiting" });
  assert.ok(summary.lastSentAt);
  assert.deepEqual(summary.sharing, { lessons: true, cravings: true, notes: false });
});

test("nothing sent leaves the last send as it was", async () => {
  await setUpAsked();
  await noteSent(ACCOUNT, []);
  assert.equal((await summaryFor(ACCOUNT)).lastSentAt, null);
});

test("an item put back for later counts its tries", async () => {
  const { store } = await setUpAsked({ me: patient({ cravings: true }) });
  const item = await queueCraving(entry());
  const before = Date.now();
  await retryLater([item], (tries) => (tries + 1) * 1000);
  await retryLater([item], (tries) => (tries + 1) * 1000);
  const [again] = store.all("outbox");
  assert.equal(again.tries, 2);
  assert.ok(again.nextTryAt >= before + 2000 && again.nextTryAt <= Date.now() + 2000);
  // An item gone meanwhile (deleted by the person) stays gone.
  await forget(item.id);
  await retryLater([item], () => 1000);
  assert.deepEqual(store.all("outbox"), []);
});

test("the choices a page shows (/me/ after a change) hold for the next craving, with no question to the server", async () => {
  const { store, server } = await setUpAsked({ me: patient({ cravings: false }) });
  await whoAmI({ fresh: true });
  const asked = server.requests.length;
  await sharingShown({ account: ACCOUNT, sharing: { lessons: true, cravings: true, notes: true } });
  assert.equal(server.requests.length, asked);
  assert.equal((await queueCraving(entry())).note, "my own words");
  assert.equal(store.all("outbox").length, 1);
});

test("choices shown for another account than the one this phone knows: the server is asked who it is", async () => {
  const { server } = await setUpAsked({ me: patient({ cravings: false }) });
  await whoAmI({ fresh: true });
  server.me = patient({ account: "acct-2", cravings: true });
  await sharingShown({ account: "acct-2", sharing: { lessons: true, cravings: true, notes: false } });
  assert.equal((await storedWho()).account, "acct-2");
  assert.equal((await queueCraving(entry())).account, "acct-2");
});

test("the server's answer replaces what the phone kept, both ways", async () => {
  const { server } = await setUpAsked({ me: patient({ cravings: true, notes: false }) });
  await whoAmI({ fresh: true });
  server.me = patient({ cravings: true, notes: true });
  await whoAmI({ fresh: true });
  assert.equal((await queueCraving(entry({ id: "a" }))).note, "my own words");
  server.me = patient({ cravings: false });
  await whoAmI({ fresh: true });
  assert.equal(await queueCraving(entry({ id: "b" })), null);
});

test("a not_shared answer turns that kind off, and notes with craving summaries", async () => {
  await setUpAsked({ me: patient({ lessons: true, cravings: true, notes: true }) });
  await whoAmI({ fresh: true });
  await sharingRefused(ACCOUNT, "craving.logged");
  assert.deepEqual((await summaryFor(ACCOUNT)).sharing, { lessons: true, cravings: false, notes: false });
  assert.equal(await queueCraving(entry()), null);
  await sharingRefused(ACCOUNT, "lesson.completed");
  assert.deepEqual((await summaryFor(ACCOUNT)).sharing, { lessons: false, cravings: false, notes: false });
  assert.equal(await queueLesson("two-forces", { doneAt: "2025-03-01T09:00:00.000Z" }), null);
});
