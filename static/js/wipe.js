// "Remove Crest's data from this phone" on /me/: every localStorage key of
// ours ("crest:…") and the IndexedDB database (craving log, lists). Two taps,
// so nobody wipes their log by accident.
import { DB_NAME } from "./db.js";
import { gettext } from "./i18n.js";

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
    clearLocalStorage();
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
