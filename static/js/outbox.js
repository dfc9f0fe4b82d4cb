// The outbox: everything this phone sends to the clinic, in one IndexedDB
// store (db.js, step 2), sent in batches to POST /api/v1/sync.
//
// - Each item has a UUID, the time it happened and the account that made it.
//   Items are sent only while that same account is signed in (the server
//   checks the X-Crest-Account header too), so on a shared phone nobody
//   sends anyone else's; with nobody signed in, nothing is queued at all.
// - An item leaves the outbox only when the server has answered it: stored,
//   duplicate (kept before) or not_shared. A rejected item stays, marked,
//   for the person to see. A failed send backs off (BACKOFF_S) per item.
// - Who is signed in comes from GET /api/v1/me/assignments/ (the pages are
//   cached and the same for everyone); the last answer is kept in "meta",
//   so a page offline still files new items under the right account.
//
// The service worker runs this file too, for Background Sync (project/pwa.py
// embeds it after db.js): no DOM here, and the line naming db.js below
// stays a single line.
import { get, getAll, getAllFrom, put, remove, uuid } from "./db.js";

export const SYNC_TAG = "crest-outbox";
const ME_URL = "/api/v1/me/assignments/";
const SYNC_URL = "/api/v1/sync";
const BATCH_ITEMS = 100;
const BATCH_BYTES = 200 * 1024; // the server takes up to 256 KB
const BACKOFF_S = [5, 15, 60, 300, 900, 3600];
const CHANNEL = "crest-outbox";

// --- Who is signed in --------------------------------------------------------

const WHO = "who";
// One question per page load; the service worker lives longer, so an
// answer is reused for a few seconds only.
const WHO_FOR_MS = 10_000;
let mePromise = null;
let meAskedAt = 0;

export async function storedWho() {
  try {
    return (await get("meta", WHO)) || null;
  } catch {
    return null;
  }
}

// Ask the server who is signed in. Resolves to {state, who, data}: state is
// "signed-in" (a patient), "signed-out" (nobody, or not a patient) or
// "offline" (no answer; `who` is then the last one known). One request per
// page unless `fresh`.
export function whoAmI({ fresh = false } = {}) {
  if (!mePromise || fresh || Date.now() - meAskedAt > WHO_FOR_MS) {
    meAskedAt = Date.now();
    mePromise = askWho();
  }
  return mePromise;
}

async function askWho() {
  let data = null;
  try {
    // Lesson titles and links in the page's language (none in the worker).
    const lang = globalThis.document?.documentElement.lang;
    const url = lang ? `${ME_URL}?lang=${encodeURIComponent(lang)}` : ME_URL;
    const response = await fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.ok) data = await response.json();
  } catch {
    data = null;
  }
  if (!data) return { state: "offline", who: await storedWho(), data: null };
  if (!data.patient) {
    // Keep the name of the account last signed in: its items wait for it.
    const before = await storedWho();
    await saveMeta({ key: WHO, account: null, previous: before?.account || before?.previous || null, checkedAt: new Date().toISOString() });
    // Nobody signed in with this cookie: no lesson kept for a sign-in can be
    // claimed any more (the next sign-in renews the cookie).
    await saveMeta({ key: UNCLAIMED, lessons: [] });
    return { state: "signed-out", who: null, data };
  }
  const who = { key: WHO, account: data.account, sharing: data.sharing, csrf: data.csrf_token, checkedAt: new Date().toISOString() };
  await saveMeta(who);
  await noteSharing(who);
  if (globalThis.document) await claimUnclaimed(who);
  return { state: "signed-in", who, data };
}

async function saveMeta(record) {
  try {
    await put("meta", record);
  } catch {
    // storage blocked: the phone just cannot queue anything
  }
}

// --- What this phone knows of each account -------------------------------------

async function accountRecord(account) {
  return (await get("accounts", account).catch(() => null)) || { account, lessons: {}, lastSentAt: null, sharing: null };
}

// Sharing of lessons turned back on: the server deleted what it had, so
// send again every lesson this account finished on this phone.
async function noteSharing(who) {
  const record = await accountRecord(who.account);
  const wasOff = record.sharing && record.sharing.lessons === false;
  record.sharing = who.sharing;
  await put("accounts", record).catch(() => {});
  if (wasOff && who.sharing.lessons) {
    for (const [slug, lesson] of Object.entries(record.lessons)) {
      if (lesson.doneAt) await enqueue(lessonFields(slug, lesson), who);
    }
  }
}

function lessonFields(slug, { doneAt, score, total }) {
  const scored = Number.isInteger(score) && Number.isInteger(total);
  return { type: "lesson.completed", at: doneAt || new Date().toISOString(), lesson: slug, score: scored ? score : null, total: scored ? total : null };
}

export async function accountState(account) {
  return account ? accountRecord(account) : null;
}

// --- Putting things in -----------------------------------------------------------

// A lesson finished (with its check score, if taken), for the signed-in
// account; kept for them if the phone could not yet learn who that is.
export async function queueLesson(slug, fields = {}) {
  const { who, unknown } = await signedInWho();
  if (who) return recordLesson(who, slug, fields);
  if (unknown) await keepUnclaimed(slug, fields);
  return null;
}

async function recordLesson(who, slug, { doneAt, score, total } = {}) {
  const record = await accountRecord(who.account);
  const lesson = record.lessons[slug] || {};
  if (doneAt && !lesson.doneAt) lesson.doneAt = doneAt;
  if (Number.isInteger(score) && (!Number.isInteger(lesson.score) || score > lesson.score)) Object.assign(lesson, { score, total });
  record.lessons[slug] = lesson;
  await put("accounts", record).catch(() => {});
  if (!lesson.doneAt) return null; // a check before "Mark as done" travels with the completion
  return enqueue(lessonFields(slug, { ...lesson, doneAt: doneAt || new Date().toISOString() }), who);
}

// A craving log entry, summarised, if the account shares craving summaries;
// its note only if they share notes too. The entry's own id is the item's.
export async function queueCraving(entry) {
  const { who } = await signedInWho();
  if (!who || !who.sharing?.cravings) return null;
  const triggers = {};
  for (const [kind, labels] of Object.entries(entry.triggers || {})) if (labels.length) triggers[kind] = labels;
  return enqueue({
    id: entry.id,
    type: "craving.logged",
    at: entry.startedAt,
    intensity_before: entry.before,
    intensity_after: entry.after,
    tool: entry.tool,
    outcome: entry.outcome,
    triggers,
    note: who.sharing.notes && entry.note ? entry.note : null,
  }, who);
}

// The person deleted a craving entry: a summary not yet sent goes with it.
export async function forget(id) {
  await remove("outbox", id).catch(() => {});
  announce();
}

// Stop trying to send an item (the person's choice, for a rejected one).
export const discard = forget;

// {who, unknown}: `unknown` when the server could not be asked (offline).
async function signedInWho() {
  const stored = await storedWho();
  if (stored?.account) return { who: stored, unknown: false };
  // Signed in on another page just now (the login page is never cached)?
  if (globalThis.navigator?.onLine === false) return { who: null, unknown: true };
  const { state, who } = await whoAmI({ fresh: true });
  // Offline, `who` is the last answer kept, which may be "nobody".
  return { who: who?.account ? who : null, unknown: state === "offline" };
}

// --- Work done before the phone knows who signed in -----------------------------

// Right after signing in, the connection can drop before the phone has asked
// the server who that is. A lesson finished then is kept under a mark of
// this sign-in: a hash of the CSRF cookie, which Django renews at every
// sign-in. When the server next names the account, in a page with the same
// cookie, the lesson is theirs and goes into the outbox. A mark from an
// earlier sign-in, or from a visit with nobody signed in, is never claimed:
// on a shared phone nobody gets anyone else's work. Pages only (the service
// worker cannot read cookies).
const UNCLAIMED = "unclaimed";

async function signInMark() {
  const cookie = globalThis.document?.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  if (!cookie || !globalThis.crypto?.subtle) return null;
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(cookie));
  return Array.from(new Uint8Array(digest), (byte) => byte.toString(16).padStart(2, "0")).join("");
}

async function keepUnclaimed(slug, fields) {
  const mark = await signInMark();
  if (!mark) return;
  const kept = (await get("meta", UNCLAIMED).catch(() => null)) || { key: UNCLAIMED, lessons: [] };
  kept.lessons.push({ mark, slug, fields });
  await saveMeta(kept);
}

async function claimUnclaimed(who) {
  const kept = await get("meta", UNCLAIMED).catch(() => null);
  if (!kept?.lessons.length) return;
  const mark = await signInMark();
  await saveMeta({ key: UNCLAIMED, lessons: [] });
  for (const lesson of kept.lessons) {
    if (mark && lesson.mark === mark) await recordLesson(who, lesson.slug, lesson.fields);
  }
}

async function enqueue(fields, who) {
  if (who.sharing && fields.type === "lesson.completed" && who.sharing.lessons === false) return null;
  const item = { id: fields.id || uuid(), ...fields, account: who.account, state: "waiting", tries: 0, nextTryAt: 0, createdAt: new Date().toISOString() };
  try {
    await put("outbox", item);
  } catch {
    return null;
  }
  announce();
  // For the page that queued it (sync.js): send now if there is a connection.
  globalThis.dispatchEvent?.(new Event("crest:queued"));
  return item;
}

// --- What is waiting -----------------------------------------------------------

// {waiting, rejected, lessons: {slug: "waiting" | "sent"}, lastSentAt} for one account.
export async function summaryFor(account) {
  if (!account) return null;
  const [items, record] = await Promise.all([getAllFrom("outbox", "account", account).catch(() => []), accountRecord(account)]);
  const lessons = {};
  for (const [slug, lesson] of Object.entries(record.lessons)) if (lesson.sentAt) lessons[slug] = "sent";
  for (const item of items) if (item.type === "lesson.completed" && item.state === "waiting") lessons[item.lesson] = "waiting";
  return {
    waiting: items.filter((item) => item.state === "waiting").length,
    rejected: items.filter((item) => item.state === "rejected"),
    lessons,
    lastSentAt: record.lastSentAt,
    sharing: record.sharing,
  };
}

export async function waitingAccounts() {
  const items = await getAll("outbox").catch(() => []);
  return [...new Set(items.map((item) => item.account))];
}

// --- Sending --------------------------------------------------------------------

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
  const all = await getAll("outbox").catch(() => []);
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
  const left = await getAll("outbox").catch(() => []);
  return { ...result, nextTryAt: soonest(left.filter((item) => item.account === who.account)) };
}

function soonest(items) {
  const times = items.filter((item) => item.state === "waiting").map((item) => item.nextTryAt);
  return times.length ? Math.min(...times) : null;
}

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
    response = await fetch(SYNC_URL, {
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
  let data = null;
  try {
    data = await response.json();
  } catch {
    data = null;
  }
  if (!response.ok || !Array.isArray(data?.results)) {
    // The batch as a whole was refused (400, 413, 415): keep and show it.
    const reason = data?.error || `The server answered ${response.status}.`;
    for (const item of batch) await put("outbox", { ...item, state: "rejected", errors: { batch: reason } }).catch(() => {});
    return { state: "failed" };
  }
  const byId = new Map(data.results.map((result) => [result.id, result]));
  const record = await accountRecord(who.account);
  const now = new Date().toISOString();
  let answered = 0;
  for (const item of batch) {
    const result = byId.get(item.id);
    if (!result) continue;
    answered += 1;
    if (result.status === "rejected") {
      await put("outbox", { ...item, state: "rejected", errors: result.errors || {} }).catch(() => {});
      continue;
    }
    await remove("outbox", item.id).catch(() => {});
    if (result.status === "not_shared") continue;
    record.lastSentAt = now;
    if (item.type === "lesson.completed") {
      record.lessons[item.lesson] = { ...(record.lessons[item.lesson] || { doneAt: item.at }), sentAt: now };
    }
  }
  await put("accounts", record).catch(() => {});
  if (answered < batch.length) await backOff(batch.filter((item) => !byId.has(item.id)));
  return { state: "sent" };
}

async function backOff(items) {
  for (const item of items) {
    const fresh = await get("outbox", item.id).catch(() => null);
    if (!fresh) continue;
    const wait = BACKOFF_S[Math.min(fresh.tries, BACKOFF_S.length - 1)] * 1000;
    // A little jitter, so many phones coming back online do not all retry at once.
    const jitter = Math.round(wait * 0.2 * Math.random());
    await put("outbox", { ...fresh, tries: fresh.tries + 1, nextTryAt: Date.now() + wait + jitter }).catch(() => {});
  }
}

// --- Telling every page (and the service worker) that something changed -------------

let channel = null;

function announce() {
  try {
    channel ??= new BroadcastChannel(CHANNEL);
    channel.postMessage("changed");
  } catch {
    // no BroadcastChannel: this page still re-renders itself
  }
  globalThis.dispatchEvent?.(new Event("crest:outbox"));
}

export function onOutboxChange(callback) {
  globalThis.addEventListener?.("crest:outbox", callback);
  try {
    const listener = new BroadcastChannel(CHANNEL);
    listener.onmessage = callback;
  } catch {
    // same page only
  }
}
