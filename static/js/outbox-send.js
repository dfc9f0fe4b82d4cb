// The outbox's sender: what waits in the queue (outbox-queue.js) for the
// signed-in account goes to POST /api/v1/sync in batches; each answer
// decides what becomes of its item; a failed send backs off (BACKOFF_S).
//
// Pages send through sync.js; the service worker imports `flush` and
// `SYNC_TAG` for Background Sync, so no DOM here.
import { announce, markRejected, noteSent, outboxItems, retryLater, sharingRefused, takeOut, whoAmI } from "./outbox-queue.js";

export const SYNC_TAG = "crest-outbox";
const SYNC_URL = "/api/v1/sync";
const BATCH_ITEMS = 100;
const BATCH_BYTES = 200 * 1024; // the server takes up to 256 KB
const BACKOFF_S = [5, 15, 60, 300, 900, 3600];

// The network goes through here; Node's unit tests
// (tests/js/outbox-send.test.mjs) give a pretend server instead.
const sendIo = { fetch: (...args) => fetch(...args) };

export function sendIoForTests(replacements) {
  Object.assign(sendIo, replacements);
}

// Send what is due for the signed-in account. Automatic retries wait out
// each item's back-off; a page load, the `online` event or Background Sync
// (`now`) send every waiting item at once; "Send now" (`force`) tries the
// rejected ones again too. Resolves to {state: "idle" | "sent" | "offline" |
// "failed" | "signed-out" | "other-account", nextTryAt}.
export function flush({ now = false, force = false } = {}) {
  const run = () => sendDue({ now: now || force, force });
  // One sender at a time across tabs and the service worker, where the
  // browser can say so; the server keeps each item once either way.
  if (globalThis.navigator?.locks?.request) return navigator.locks.request("crest-outbox-send", run);
  return run();
}

async function sendDue({ now: sendAll, force }) {
  const all = await outboxItems();
  if (!all.length) return { state: "idle" };
  const { state, who } = await whoAmI();
  // No answer: ask again in a while. Signed out: wait for a sign-in.
  if (state === "offline") return { state, nextTryAt: Date.now() + 30_000 };
  if (state !== "signed-in") return { state, nextTryAt: null };
  const now = Date.now();
  const due = all
    .filter((item) => item.account === who.account)
    .filter((item) => force || (item.state === "waiting" && (sendAll || item.nextTryAt <= now)))
    .sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
  let result = { state: "idle" };
  for (const batch of batches(due)) {
    result = await sendBatch(batch, who);
    if (result.state !== "sent") break;
  }
  announce();
  const left = await outboxItems();
  return { ...result, nextTryAt: soonest(left.filter((item) => item.account === who.account)) };
}

function soonest(items) {
  const times = items.filter((item) => item.state === "waiting").map((item) => item.nextTryAt);
  return times.length ? Math.min(...times) : null;
}

// What the server sees of an item: without the phone's own bookkeeping.
function wire(item) {
  const { account, state, tries, nextTryAt, createdAt, errors, ...sent } = item;
  return sent;
}

function* batches(items) {
  let batch = [];
  let bytes = 0;
  for (const item of items) {
    const size = JSON.stringify(wire(item)).length * 3; // worst case for UTF-8
    if (batch.length && (batch.length === BATCH_ITEMS || bytes + size > BATCH_BYTES)) {
      yield batch;
      batch = [];
      bytes = 0;
    }
    batch.push(item);
    bytes += size;
  }
  if (batch.length) yield batch;
}

async function sendBatch(batch, who) {
  let response;
  try {
    response = await sendIo.fetch(SYNC_URL, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": who.csrf || "", "X-Crest-Account": who.account },
      body: JSON.stringify({ items: batch.map(wire) }),
    });
  } catch {
    await backOff(batch);
    return { state: "offline" };
  }
  if (response.status === 401) return { state: "signed-out" };
  if (response.status === 409) return { state: "other-account" };
  if (response.status === 403 || response.status >= 500 || response.status === 429) {
    // 403: signed out elsewhere, or a stale CSRF token; the next try asks again.
    await backOff(batch);
    return { state: "failed" };
  }
  const data = await response.json().catch(() => null);
  if (!response.ok || !Array.isArray(data?.results)) {
    // The batch as a whole was refused (400, 413, 415): keep and show it.
    const reason = data?.error || `The server answered ${response.status}.`;
    for (const item of batch) await markRejected(item, { batch: reason });
    return { state: "failed" };
  }
  const byId = new Map(data.results.map((result) => [result.id, result]));
  const answered = [];
  const kept = [];
  const notShared = new Set();
  for (const item of batch) {
    const result = byId.get(item.id);
    if (!result) continue;
    if (result.status === "rejected") {
      await markRejected(item, result.errors || {});
      continue;
    }
    answered.push(item);
    if (result.status === "not_shared") notShared.add(item.type);
    else kept.push(item);
  }
  // Written down first, taken out after: a page closed between the two
  // leaves an item still waiting (sent again, answered "duplicate"), never
  // one gone with no word of it.
  await noteSent(who.account, kept);
  // Not kept, and not to be claimed as sent: the choice is the server's.
  for (const type of notShared) await sharingRefused(who.account, type);
  for (const item of answered) await takeOut(item);
  const unanswered = batch.filter((item) => !byId.has(item.id));
  if (unanswered.length) await backOff(unanswered);
  return { state: "sent" };
}

function backOff(items) {
  return retryLater(items, (tries) => {
    const wait = BACKOFF_S[Math.min(tries, BACKOFF_S.length - 1)] * 1000;
    // A little jitter, so many phones coming back online do not all retry at once.
    return wait + Math.round(wait * 0.2 * Math.random());
  });
}
