// "Data on this phone" on /me/. Removing Crest's data takes every
// localStorage key of ours ("crest:…"), the IndexedDB database (craving log,
// lists, the outbox and what it knows of accounts), and Crest's caches
// (the service worker is unregistered too, and installs afresh on the next
// visit). Two taps, so nobody wipes their log by accident. The card also
// says whether the browser has agreed to keep the data (storage.js).
import { DB_NAME, letGo } from "./db.js";
import { gettext } from "./i18n.js";
import { askToKeep, isKept } from "./storage.js";

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
  const start = root.querySelector("[data-wipe-start]");
  const confirmRow = root.querySelector("[data-wipe-confirm]");
  const status = root.querySelector("[data-wipe-status]");

  start.addEventListener("click", () => {
    confirmRow.hidden = false;
    start.hidden = true;
    root.querySelector("[data-wipe-no]").focus();
  });
  root.querySelector("[data-wipe-no]").addEventListener("click", () => {
    confirmRow.hidden = true;
    start.hidden = false;
    start.focus();
  });
  root.querySelector("[data-wipe-yes]").addEventListener("click", async () => {
    confirmRow.hidden = true;
    window.dispatchEvent(new Event("crest:wiped")); // sync.js stops sending and redrawing
    await letGo(); // nothing on this page opens the database again
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
    start.hidden = false;
  });
}
