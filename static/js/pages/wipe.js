// "Data on this phone" on /me/, two ways, each two taps so nobody wipes
// their log by accident:
// - "Remove my data": this page's space only (space.js: the signed-in
//   account's, or the signed-out data): its craving log and lists, its lock,
//   its lesson progress and check-in in progress, and, for an account, what
//   waits in the outbox and what the phone knows of it. Everyone else's stays.
// - "Remove all of Crest": everyone's. Turns reminders off (the server
//   forgets this phone's subscription), and takes every localStorage key of
//   ours ("crest:…"), the IndexedDB database, and Crest's caches (the
//   service worker is unregistered too, and installs afresh on the next visit).
// The card also says whether the browser has agreed to keep the data (storage.js).
import { DB_NAME, getAllFrom, letGo, writeAll } from "../db.js";
import { gettext } from "../i18n.js";
import { LOCKED_STORES } from "../lock-state.js";
import { announce } from "../outbox-queue.js";
import { remindersOff } from "../push.js";
import { ACCOUNT, DRAFT_KEY, PROGRESS_KEY, SPACE, spaceKey } from "../space.js";
import { askToKeep, isKept } from "../storage.js";

const root = document.querySelector("[data-wipe-local]");

function deleteDatabase(name) {
  return new Promise((resolve, reject) => {
    if (!("indexedDB" in globalThis)) {
      resolve();
      return;
    }
    const request = indexedDB.deleteDatabase(name);
    request.onsuccess = () => resolve();
    request.onerror = () => reject(request.error);
    // Another open Crest tab holds the database: it is deleted once that tab
    // closes, so say so rather than hang.
    request.onblocked = () => reject(new Error("blocked"));
  });
}

function clearLocalStorage() {
  try {
    Object.keys(localStorage)
      .filter((key) => key.startsWith("crest:"))
      .forEach((key) => localStorage.removeItem(key));
  } catch {
    // storage unavailable: nothing of ours is kept there either
  }
}

async function clearCaches() {
  try {
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith("crest-")).map((name) => caches.delete(name)));
    const registrations = await navigator.serviceWorker?.getRegistrations?.() ?? [];
    await Promise.all(registrations.map((registration) => registration.unregister()));
  } catch {
    // no caches API or worker: nothing of ours is kept there
  }
}

async function removeThisSpace() {
  const changes = [];
  for (const store of LOCKED_STORES) {
    for (const record of await getAllFrom(store, "space", SPACE)) changes.push({ store, remove: record.id });
  }
  changes.push({ store: "locks", remove: SPACE }, { store: "unlocked", remove: SPACE }, { store: "meta", remove: `asked:${SPACE}` });
  if (ACCOUNT) {
    for (const item of await getAllFrom("outbox", "account", ACCOUNT)) changes.push({ store: "outbox", remove: item.id });
    changes.push({ store: "accounts", remove: ACCOUNT });
  }
  await writeAll(changes);
  for (const key of [PROGRESS_KEY, DRAFT_KEY]) {
    try { localStorage.removeItem(spaceKey(key)); } catch { /* nothing kept */ }
  }
  announce(); // the "sending to your clinic" card redraws
}

function twoTaps(root, prefix, action) {
  const start = root.querySelector(`[data-${prefix}-start]`);
  const confirmRow = root.querySelector(`[data-${prefix}-confirm]`);
  start.addEventListener("click", () => {
    confirmRow.hidden = false;
    start.hidden = true;
    root.querySelector(`[data-${prefix}-no]`).focus();
  });
  root.querySelector(`[data-${prefix}-no]`).addEventListener("click", () => {
    confirmRow.hidden = true;
    start.hidden = false;
    start.focus();
  });
  root.querySelector(`[data-${prefix}-yes]`).addEventListener("click", async () => {
    confirmRow.hidden = true;
    await action(root.querySelector(`[data-${prefix}-status]`));
    start.hidden = false;
  });
}

const mine = document.querySelector("[data-wipe-mine]");
if (mine) {
  twoTaps(mine, "wipe-mine", async (status) => {
    try {
      await removeThisSpace();
      status.textContent = ACCOUNT ? gettext("Done. Your data is no longer on this phone.") : gettext("Done. The signed-out data is no longer on this phone.");
    } catch {
      status.textContent = gettext("It could not be removed. Please try again.");
    }
  });
}

const keptLine = document.querySelector("[data-storage-kept]");
const keepButton = document.querySelector("[data-storage-ask]");

async function showKept() {
  if (!keptLine) return;
  const kept = await isKept();
  if (kept === null) {
    keptLine.textContent = gettext("This browser does not say whether it keeps Crest’s data when space runs low.");
  } else if (kept) {
    keptLine.textContent = gettext("This browser has agreed to keep Crest’s data: it will not clear it to free up space.");
  } else {
    keptLine.textContent = gettext("This browser may clear Crest’s data if the phone runs low on space. Crest asked it to keep the data once you saved something here.");
  }
  if (keepButton) keepButton.hidden = kept !== false;
}
keepButton?.addEventListener("click", async () => {
  await askToKeep({ again: true });
  showKept();
});
showKept();

if (root) {
  twoTaps(root, "wipe", async (status) => {
    window.dispatchEvent(new Event("crest:wiped")); // sync.js stops sending and redrawing
    await letGo(); // nothing on this page opens the database again
    await remindersOff().catch(() => null); // the server forgets this phone's reminders too
    clearLocalStorage();
    await clearCaches();
    try {
      await deleteDatabase(DB_NAME);
      status.textContent = gettext("Done. Crest’s data is no longer on this phone.");
    } catch (error) {
      status.textContent = error.message === "blocked"
        ? gettext("Almost done. Close Crest in any other tab to finish removing the craving log.")
        : gettext("The craving log could not be removed. Please try again.");
    }
  });
}
