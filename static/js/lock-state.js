// The app lock on this phone (docs/app-lock.md): each space's lock, whether
// it is unlocked now, and the records it keeps in boxes. The cryptography is
// lock.js; the pages' controls are lock-ui.js.
//
// - A space's lock ("locks" store): lock.js's record, and the count of
//   wrong tries in a row with the time of the last (the wait after them
//   survives a reload).
// - Unlocked ("unlocked" store): the space's keys as non-extractable
//   CryptoKeys (IndexedDB keeps them by structured clone; their bytes never
//   reach JavaScript), with the time of the last use. Pages are separate
//   loads, so this is what lets a person move between them unlocked. Used
//   within IDLE_MS it is renewed; found older (Crest closed, or left, that
//   long) it is removed, and the space is locked. Locking removes it.
// - While a space is locked, its craving log and lists (the safety plan is
//   among them) are boxes in IndexedDB. A craving saved while locked is
//   sealed to the lock's public key; unlocking puts every box under the
//   data key again.
import { get, getAll, getAllFrom, put, remove, update, writeAll } from "./db.js";
import { SPACE } from "./space.js";

// The cryptography only when it is used (setting, unlocking, writing under
// a lock): most pages only ask whether a space is locked.
const cryptography = () => import("./lock.js");

export const IDLE_MS = 5 * 60_000;
export const LOCKED_STORES = ["cravings", "lists"];
const TOUCH_EVERY_MS = 15_000;
const CHANNEL = "crest-lock";

export class Locked extends Error {
  constructor() {
    super("Crest is locked.");
    this.name = "Locked";
  }
}

export function isBox(record) {
  return Boolean(record?.box && (record.box.k === "key" || record.box.k === "sealed"));
}

// How long to wait before the next try after `failures` wrong ones in a
// row: the first two are free (a slip of the thumb), then 5 s, doubling, at
// most 5 minutes. It grows, and never stops a person for good.
export function waitAfter(failures) {
  if (failures < 3) return 0;
  return Math.min(5_000 * 2 ** (failures - 3), 300_000);
}

// Where a box is kept, bound into it (lock.js `aad`).
export function boxPlace(store, space, id) {
  return `${store}\n${space}\n${id}`;
}

export async function lockOf(space = SPACE) {
  return (await get("locks", space).catch(() => null)) || null;
}

// The keys of an unlocked space used within IDLE_MS, else null (and an
// older session is removed: Crest was closed, or left, that long).
export async function keysFor(space = SPACE) {
  const session = await get("unlocked", space).catch(() => null);
  if (!session) return null;
  if (Date.now() - session.lastActive > IDLE_MS) {
    await remove("unlocked", space).catch(() => {});
    announce();
    return null;
  }
  return session.keys;
}

// "none", "locked" or "unlocked".
export async function lockStatus(space = SPACE) {
  if (!(await lockOf(space))) return "none";
  return (await keysFor(space)) ? "unlocked" : "locked";
}

// How a new record of `space` is kept: null (in the clear: no lock), or a
// function putting a value in a box (with the data key, or sealed while locked).
export async function boxFor(space = SPACE) {
  const lock = await lockOf(space);
  if (!lock) return null;
  const keys = await keysFor(space);
  const { encrypt, seal } = await cryptography();
  return keys ? (value, aad) => encrypt(keys, value, aad) : (value, aad) => seal(lock.publicKey, value, aad);
}

// Every record of `space` in the locked stores, each changed by `change`
// (a new record, null to delete, undefined to keep), in one transaction
// with `more` changes.
async function rewrite(space, change, more = []) {
  const changes = [];
  for (const store of LOCKED_STORES) {
    for (const record of await getAllFrom(store, "space", space)) {
      const next = await change(record, store);
      if (next === null) changes.push({ store, remove: record.id });
      else if (next !== undefined) changes.push({ store, put: next });
    }
  }
  await writeAll([...changes, ...more]);
}

function valueOf(record) {
  const { space, ...value } = record;
  return value;
}

// Each record of `space` under the data key: those in the clear, and those
// sealed while locked (opening many sealed boxes costs more than one key).
async function boxAll(space, keys, more = []) {
  const { encrypt, open } = await cryptography();
  return rewrite(space, async (record, store) => {
    if (isBox(record) && record.box.k === "key") return undefined;
    const where = boxPlace(store, space, record.id);
    const value = isBox(record) ? await open(keys, record.box, where).catch(() => null) : valueOf(record);
    if (value === null) return undefined; // unreadable: left as it is
    return { id: record.id, space, box: await encrypt(keys, value, where) };
  }, more);
}

function session(space, keys) {
  return { space, keys, lastActive: Date.now() };
}

// Lock this space with `secret` (lock.js secretProblem says what will do):
// everything it keeps goes into boxes, and it stays unlocked for now.
export async function setLock(secret, space = SPACE) {
  if (await lockOf(space)) throw new Error("This space has a lock already.");
  const { makeLock } = await cryptography();
  const { record, keys } = await makeLock(secret);
  await boxAll(space, keys, [
    { store: "locks", put: { ...record, space, failures: 0, failedAt: null, createdAt: new Date().toISOString() } },
    { store: "unlocked", put: session(space, keys) },
  ]);
  announce();
}

// {state: "unlocked"}, {state: "wrong", waitMs} or {state: "wait", waitMs}
// (too soon after wrong tries), or {state: "none"} (no lock).
export async function unlock(secret, space = SPACE) {
  const lock = await lockOf(space);
  if (!lock) return { state: "none" };
  const left = waitLeft(lock);
  if (left > 0) return { state: "wait", waitMs: left };
  const { openLock, WrongSecret } = await cryptography();
  let keys;
  try {
    keys = await openLock(lock, secret);
  } catch (error) {
    if (!(error instanceof WrongSecret)) throw error;
    const failures = (lock.failures || 0) + 1;
    await put("locks", { ...lock, failures, failedAt: Date.now() });
    return { state: "wrong", waitMs: waitAfter(failures) };
  }
  await boxAll(space, keys, [
    { store: "locks", put: { ...lock, failures: 0, failedAt: null } },
    { store: "unlocked", put: session(space, keys) },
  ]);
  announce();
  return { state: "unlocked" };
}

// Milliseconds before the next try is heard.
export function waitLeft(lock) {
  if (!lock?.failures) return 0;
  return Math.max(0, waitAfter(lock.failures) - (Date.now() - lock.failedAt));
}

export async function lockNow(space = SPACE) {
  await remove("unlocked", space).catch(() => {});
  announce();
}

// Turn the lock off (unlocked only): every box back in the clear.
export async function removeLock(space = SPACE) {
  const keys = await keysFor(space);
  if (!keys) throw new Locked();
  const { open } = await cryptography();
  await rewrite(space, async (record, store) => {
    if (!isBox(record)) return undefined;
    const value = await open(keys, record.box, boxPlace(store, space, record.id)).catch(() => null);
    return value === null ? null : { ...value, id: record.id, space };
  }, [{ store: "locks", remove: space }, { store: "unlocked", remove: space }]);
  announce();
}

// "Forgot the PIN": the lock and everything it kept are removed; what the
// server holds is not touched.
export async function forgetLock(space = SPACE) {
  await rewrite(space, () => null, [{ store: "locks", remove: space }, { store: "unlocked", remove: space }]);
  announce();
}

// A person is using Crest: the unlocked session is renewed (at most every
// TOUCH_EVERY_MS), unless it has run out already.
let touchedAt = 0;
export async function touch(space = SPACE) {
  if (Date.now() - touchedAt < TOUCH_EVERY_MS) return;
  touchedAt = Date.now();
  let stale = false;
  await update("unlocked", space, (found) => {
    stale = Date.now() - found.lastActive > IDLE_MS;
    return stale ? undefined : { ...found, lastActive: Date.now() };
  }).catch(() => {});
  if (stale) await keysFor(space);
}

// Only the space a page is opened in stays unlocked: another person's
// session ends when the phone changes hands.
export async function endOtherSessions(space = SPACE) {
  const sessions = await getAll("unlocked").catch(() => []);
  for (const found of sessions) if (found.space !== space) await remove("unlocked", found.space).catch(() => {});
}

// On every page (app.js): using Crest keeps it unlocked; IDLE_MS without
// use, or closed that long, locks it (keysFor removes the session and
// tells the pages).
export function watchLock() {
  endOtherSessions();
  const used = () => { touch(); };
  for (const type of ["pointerdown", "keydown", "touchstart"]) document.addEventListener(type, used, { passive: true });
  const check = () => { keysFor(); };
  setInterval(check, 20_000);
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") check(); });
}

// --- Telling every page --------------------------------------------------------

let channel = null;

function announce() {
  try {
    channel ??= new BroadcastChannel(CHANNEL);
    channel.postMessage("changed");
  } catch {
    // this page only
  }
  globalThis.dispatchEvent?.(new Event("crest:lock"));
}

export function onLockChange(callback) {
  globalThis.addEventListener?.("crest:lock", callback);
  try {
    new BroadcastChannel(CHANNEL).onmessage = callback;
  } catch {
    // this page only
  }
}
