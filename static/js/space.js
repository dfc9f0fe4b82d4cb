// Whose data this page shows (docs/shared-phone.md). Everything Crest keeps
// on the phone about a person lives in a space: one per account signed in
// on this phone, and one for nobody signed in (db.js ANONYMOUS).
//
// The pages are cached and the same for everyone, so they cannot say who is
// signed in. The server does, in the `crest_account` cookie
// (accounts/middleware.py): the account's opaque id, set by the sign-in and
// join answers, removed by the sign-out answer itself, so a person who signs
// out drops to the anonymous space at once, even if the phone goes offline
// the next moment; offline, the cookie is the last word the phone had. A
// session ended elsewhere is noticed at the next question to the API (every
// page asks, sync.js): its answer removes the cookie, and the page loads
// again in the anonymous space.
//
// A page keeps the space it was opened in: if the cookie changes under it
// (another tab signed in or out), it loads again rather than mix two
// people's data.
import { get, spaceOf } from "./db.js";
import { followSignIn } from "./outbox-queue.js";

const COOKIE = "crest_account";
const ACCOUNT_ID = /^[0-9a-f]{24}$/;

export function cookieAccount() {
  const part = String(globalThis.document?.cookie || "").split("; ").find((c) => c.startsWith(`${COOKIE}=`));
  const value = part?.slice(COOKIE.length + 1);
  return value && ACCOUNT_ID.test(value) ? value : null;
}

export const ACCOUNT = cookieAccount();
export const SPACE = spaceOf(ACCOUNT);

// What a person keeps in localStorage, one key per space (spaceKey):
// lesson progress and quiz results (progress.js), and the craving check-in
// in progress (craving-flow.js).
export const PROGRESS_KEY = "crest:lessons:v1";
export const DRAFT_KEY = "crest:craving-draft:v1";

export function spaceKey(base, space = SPACE) {
  return `${base}:${space}`;
}

// Kept before there were spaces, under one key for everyone: filed under
// the space db.js step 4 chose for the old records ("legacy-space"), merged
// with what that space has (its own wins).
const LEGACY_KEYS = {
  [PROGRESS_KEY]: (old, now) => ({ ...old, ...now }),
  [DRAFT_KEY]: (old, now) => now,
};

function readJson(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

async function adoptLegacyKeys() {
  const found = Object.keys(LEGACY_KEYS).filter((key) => readJson(key) !== null);
  if (!found.length) return;
  const noted = await get("meta", "legacy-space").catch(() => null);
  const space = noted?.space || SPACE;
  for (const key of found) {
    const target = spaceKey(key, space);
    const now = readJson(target);
    try {
      localStorage.setItem(target, JSON.stringify(now === null ? readJson(key) : LEGACY_KEYS[key](readJson(key), now)));
      localStorage.removeItem(key);
    } catch {
      // storage full or blocked: tried again on the next page
    }
  }
}

let readying = null;

// Once per page, before its data is read: the outbox files new items under
// this space's account (or none), and old keys have found their space.
export function spaceReady() {
  readying ??= Promise.all([followSignIn(ACCOUNT).catch(() => null), adoptLegacyKeys().catch(() => null)]);
  return readying;
}

// The server's answer to "who is signed in?" (outbox-queue.js whoAmI). It
// removes the cookie itself when nobody is (the API's answer does too); a
// page opened in another space loads again.
export function followServer(answer) {
  if (answer?.data?.signed_in === false && cookieAccount()) {
    document.cookie = `${COOKIE}=; path=/; max-age=0; samesite=lax`;
  }
  stayInSpace();
}

export function stayInSpace() {
  if (cookieAccount() !== ACCOUNT) location.reload();
}

// Another tab may have signed in or out while this one was in the background.
export function watchSpace() {
  document.addEventListener("visibilitychange", () => { if (document.visibilityState === "visible") stayInSpace(); });
  window.addEventListener("pageshow", (event) => { if (event.persisted) stayInSpace(); });
  window.addEventListener("focus", stayInSpace);
}
