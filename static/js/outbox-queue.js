// The outbox's queue: everything this phone will send to the clinic, in one
// IndexedDB store (db.js, step 2), each item filed under the account that
// made it. The sender (outbox-send.js) sends it to POST /api/v1/sync.
//
// - Each item has a UUID, the time it happened and the account that made it.
//   Items are sent only while that same account is signed in (the server
//   checks the X-Crest-Account header too), so on a shared phone nobody
//   sends anyone else's; with nobody signed in, nothing is queued at all.
// - An item leaves the queue only when the server has answered it: stored,
//   duplicate (kept before) or not_shared. A rejected item stays, marked,
//   for the person to see. A failed send puts items back for later.
// - Who is signed in comes from GET /api/v1/me/assignments/ (the pages are
//   cached and the same for everyone) and, between two answers, from the
//   page (followSignIn: the cookie the sign-in and sign-out answers set);
//   the last word is kept in "meta", so a page offline still files new
//   items under the right account.
// - What they share (lessons, craving summaries, notes) decides what is
//   queued at all. The server's word is the choice: its answer to that same
//   question, the /me/ page that shows (and changes) the choices, and a
//   sync answer "not_shared" each replace what this phone kept.
//
// The service worker imports this file too (through outbox-send.js), for
// Background Sync (offline/templates/offline/serviceworker.js): no DOM here.
import { get, getAll, getAllFrom, put, remove, uuid } from "./db.js";

const ME_URL = "/api/v1/me/assignments/";
const CHANNEL = "crest-outbox";

// Storage, network and the other pages go through here: IndexedDB (db.js),
// fetch and a BroadcastChannel in the browser; Node's unit tests
// (tests/js/outbox-queue.test.mjs) give an in-memory store, a pretend
// server and no channel instead.
const queueIo = { get, getAll, getAllFrom, put, remove, uuid, fetch: (...args) => fetch(...args), tellOtherPages };

export function queueIoForTests(replacements) {
  Object.assign(queueIo, replacements);
  mePromise = null;
}

// --- Who is signed in --------------------------------------------------------

const WHO = "who";
// One question per page load; the service worker lives longer, so an
// answer is reused for a few seconds only.
const WHO_FOR_MS = 10_000;
let mePromise = null;
let meAskedAt = 0;

export async function storedWho() {
  try {
    return (await queueIo.get("meta", WHO)) || null;
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
    const response = await queueIo.fetch(url, { credentials: "same-origin", headers: { Accept: "application/json" } });
    if (response.ok) data = await response.json();
  } catch {
    data = null;
  }
  if (!data) return { state: "offline", who: await storedWho(), data: null };
  if (!data.patient) {
    // Nobody (or no patient: `notPatient` names a staff account) signed in:
    // each item waits, filed under its account, for that account to sign in again.
    await saveMeta({ key: WHO, account: null, notPatient: data.account || null, checkedAt: new Date().toISOString() });
    return { state: "signed-out", who: null, data };
  }
  const who = { key: WHO, account: data.account, csrf: data.csrf_token, checkedAt: new Date().toISOString() };
  await saveMeta(who);
  await noteSharing(who, data.sharing);
  return { state: "signed-in", who, data };
}

// The page's word on who is signed in (space.js: the crest_account cookie,
// which the sign-in and sign-out answers set at once), kept until the
// server is next asked: work done offline right after signing in is filed
// under that account, and nothing is filed under someone who signed out.
export async function followSignIn(account) {
  const stored = await storedWho();
  if ((stored?.account || null) === account) return;
  if (account && stored?.notPatient === account) return; // nothing to send for staff
  await saveMeta({ key: WHO, account, csrf: null, checkedAt: null });
}

async function saveMeta(record) {
  try {
    await queueIo.put("meta", record);
  } catch {
    // storage blocked: the phone just cannot queue anything
  }
}

// --- What this phone knows of each account -------------------------------------

async function accountRecord(account) {
  return (await queueIo.get("accounts", account).catch(() => null)) || { account, lessons: {}, lastSentAt: null, sharing: null };
}

// What the account shares, as the server last said ({lessons, cravings,
// notes}; null before it has said).
async function sharingOf(account) {
  return (await accountRecord(account)).sharing;
}

// The server's word on what `who` shares. Sharing of lessons turned back
// on: the server deleted what it had, so send again every lesson this
// account finished on this phone.
async function noteSharing(who, sharing) {
  const record = await accountRecord(who.account);
  const wasOff = record.sharing && record.sharing.lessons === false;
  record.sharing = sharing;
  await queueIo.put("accounts", record).catch(() => {});
  if (wasOff && sharing.lessons) {
    for (const [slug, lesson] of Object.entries(record.lessons)) {
      if (lesson.doneAt) await enqueue(lessonFields(slug, lesson), who);
    }
  }
}

// A page that shows the choices ({account, sharing}: /me/, and so the page
// right after one is changed there) is the server's word too. For an
// account this phone does not know as signed in, ask who it is.
export async function sharingShown({ account, sharing }) {
  const who = await storedWho();
  if (who?.account !== account) return whoAmI({ fresh: true });
  return noteSharing(who, sharing);
}

// The server answered "not_shared" for an item of this type: that kind is
// not shared now, whatever this phone thought (a choice changed elsewhere
// while it was offline). Craving notes go only with their summaries.
export async function sharingRefused(account, type) {
  const refused = type === "lesson.completed" ? { lessons: false } : { cravings: false, notes: false };
  await noteSharing({ account }, { ...(await sharingOf(account)), ...refused });
}

function lessonFields(slug, { doneAt, score, total }) {
  const scored = Number.isInteger(score) && Number.isInteger(total);
  return { type: "lesson.completed", at: doneAt || new Date().toISOString(), lesson: slug, score: scored ? score : null, total: scored ? total : null };
}

// --- Putting things in -----------------------------------------------------------

// A lesson finished (with its check score, if taken), for the signed-in account.
export async function queueLesson(slug, fields = {}) {
  const who = await signedInWho();
  return who ? recordLesson(who, slug, fields) : null;
}

async function recordLesson(who, slug, { doneAt, score, total } = {}) {
  const record = await accountRecord(who.account);
  const lesson = record.lessons[slug] || {};
  if (doneAt && !lesson.doneAt) lesson.doneAt = doneAt;
  if (Number.isInteger(score) && (!Number.isInteger(lesson.score) || score > lesson.score)) Object.assign(lesson, { score, total });
  record.lessons[slug] = lesson;
  await queueIo.put("accounts", record).catch(() => {});
  if (!lesson.doneAt) return null; // a check before "Mark as done" travels with the completion
  return enqueue(lessonFields(slug, { ...lesson, doneAt: doneAt || new Date().toISOString() }), who);
}

// Done on this phone but never queued for the signed-in account, which
// shares lessons: done signed out and kept with the account (never sent by
// itself), or the page left before the outbox had it. lesson.js offers to
// tell the clinic.
export async function lessonUntold(slug) {
  const who = await signedInWho();
  if (!who || (await sharingOf(who.account))?.lessons === false) return false;
  return !(await accountRecord(who.account)).lessons[slug]?.doneAt;
}

// A craving log entry, summarised, if the account shares craving summaries;
// its note only if they share notes too. The entry's own id is the item's.
export async function queueCraving(entry) {
  const who = await signedInWho();
  const sharing = who && (await sharingOf(who.account));
  if (!sharing?.cravings) return null;
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
    note: sharing.notes && entry.note ? entry.note : null,
  }, who);
}

// The person deleted a craving entry: a summary not yet sent goes with it.
export async function forget(id) {
  await queueIo.remove("outbox", id).catch(() => {});
  announce();
}

// Stop trying to send an item (the person's choice, for a rejected one).
export const discard = forget;

// The account signed in on this phone as last known (the server's answer,
// or the page's cookie since: followSignIn), or null.
async function signedInWho() {
  const stored = await storedWho();
  return stored?.account ? stored : null;
}

async function enqueue(fields, who) {
  if (fields.type === "lesson.completed" && (await sharingOf(who.account))?.lessons === false) return null;
  const item = { id: fields.id || queueIo.uuid(), ...fields, account: who.account, state: "waiting", tries: 0, nextTryAt: 0, createdAt: new Date().toISOString() };
  try {
    await queueIo.put("outbox", item);
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
  const [items, record] = await Promise.all([queueIo.getAllFrom("outbox", "account", account).catch(() => []), accountRecord(account)]);
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
  const items = await outboxItems();
  return [...new Set(items.map((item) => item.account))];
}

// Every item, of every account (none when storage is blocked).
export function outboxItems() {
  return queueIo.getAll("outbox").catch(() => []);
}

// --- What the sender learned -------------------------------------------------------

// The server refused the item (a field, or the whole batch): it stays, with
// the reasons, until the person sends it again or lets it go.
export async function markRejected(item, errors) {
  await queueIo.put("outbox", { ...item, state: "rejected", errors }).catch(() => {});
}

// The server answered the item: it leaves the queue.
export async function takeOut(item) {
  await queueIo.remove("outbox", item.id).catch(() => {});
}

// The server kept these items (now, or before): the account's last send, and
// each lesson among them, is "sent".
export async function noteSent(account, items) {
  const record = await accountRecord(account);
  const now = new Date().toISOString();
  if (items.length) record.lastSentAt = now;
  for (const item of items) {
    if (item.type === "lesson.completed") {
      record.lessons[item.lesson] = { ...(record.lessons[item.lesson] || { doneAt: item.at }), sentAt: now };
    }
  }
  await queueIo.put("accounts", record).catch(() => {});
}

// No answer for these items: try again after `waitFor(tries)` milliseconds,
// counted from each item's tries so far (as stored now, not as sent).
export async function retryLater(items, waitFor) {
  for (const item of items) {
    const fresh = await queueIo.get("outbox", item.id).catch(() => null);
    if (!fresh) continue;
    await queueIo.put("outbox", { ...fresh, tries: fresh.tries + 1, nextTryAt: Date.now() + waitFor(fresh.tries) }).catch(() => {});
  }
}

// --- Telling every page (and the service worker) that something changed -------------

let channel = null;

function tellOtherPages() {
  try {
    channel ??= new BroadcastChannel(CHANNEL);
    channel.postMessage("changed");
  } catch {
    // no BroadcastChannel: this page still re-renders itself
  }
}

export function announce() {
  queueIo.tellOtherPages();
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
