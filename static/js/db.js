// The one IndexedDB database Crest keeps on the device ("crest").
// Stores are added by appending a step to UPGRADES: step i upgrades a
// database from version i to i + 1, so a phone that skipped releases runs
// every missing step in order. Never edit a step that has shipped.
//
// The service worker runs this same file (project/pwa.py embeds it), so
// nothing here may touch the page: no document, no window, no localStorage.
//
// Everything here fails soft: if IndexedDB is missing or blocked (some
// private modes), openDb() rejects and callers show a short message; the
// tools themselves keep working.

export const DB_NAME = "crest";

const UPGRADES = [
  // 1: the craving log, and the person's own lists (reasons, people, distractions).
  (db) => {
    const cravings = db.createObjectStore("cravings", { keyPath: "id" });
    cravings.createIndex("startedAt", "startedAt");
    const lists = db.createObjectStore("lists", { keyPath: "id" });
    lists.createIndex("kind", "kind");
  },
  // 2: the outbox (what waits to be sent to the clinic, each item filed under
  // the account that made it), what this phone knows of each account
  // ("accounts": sharing choices, lessons done, last send) and of who is
  // signed in ("meta").
  (db) => {
    const outbox = db.createObjectStore("outbox", { keyPath: "id" });
    outbox.createIndex("account", "account");
    db.createObjectStore("accounts", { keyPath: "account" });
    db.createObjectStore("meta", { keyPath: "key" });
  },
];

export const DB_VERSION = UPGRADES.length;

let opening = null;
let letGoForGood = false;

// "Remove Crest's data from this phone" (wipe.js): this page closes the
// database and never opens it again, so a write still on its way (a send
// that was under way, a redraw) cannot make the database anew after it is
// deleted. The next page load starts afresh.
export async function letGo() {
  letGoForGood = true;
  const pending = opening;
  opening = null;
  const db = await pending?.catch(() => null);
  db?.close();
}

// The service worker only works on a database a page has made. It never
// makes one: if the database is not there (never made, or just deleted by
// "remove Crest's data"), the upgrade is aborted, which leaves no database
// behind. Checked inside the open request itself, so no delete can slip in
// between a check and the open.
const IN_WORKER = typeof document === "undefined";

export function openDb() {
  if (letGoForGood) return Promise.reject(new Error("Crest's data was removed from this phone"));
  if (opening) return opening;
  opening = new Promise((resolve, reject) => {
    if (!("indexedDB" in globalThis)) {
      reject(new Error("IndexedDB is not available"));
      return;
    }
    let request;
    try {
      request = indexedDB.open(DB_NAME, DB_VERSION);
    } catch (error) {
      reject(error);
      return;
    }
    request.onupgradeneeded = (event) => {
      const db = request.result;
      if (IN_WORKER && event.oldVersion === 0) {
        request.transaction.abort();
        return;
      }
      for (let version = event.oldVersion; version < DB_VERSION; version += 1) {
        UPGRADES[version](db, request.transaction);
      }
    };
    request.onsuccess = () => {
      const db = request.result;
      if (letGoForGood) {
        db.close();
        reject(new Error("Crest's data was removed from this phone"));
        return;
      }
      // Another tab (or a newer release, or a wipe) wants the database:
      // step aside so it is not blocked; the next call opens it again.
      db.onversionchange = () => {
        db.close();
        opening = null;
      };
      resolve(db);
    };
    request.onerror = () => reject(IN_WORKER && request.error?.name === "AbortError" ? new Error("No Crest database on this phone") : request.error);
    request.onblocked = () => reject(new Error("The database is busy in another tab"));
  });
  opening.catch(() => { opening = null; });
  return opening;
}

function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

// Resolve writes only when the transaction commits: then the data is on disk.
async function write(storeName, action) {
  const db = await openDb();
  return new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, "readwrite");
    let result;
    done(action(tx.objectStore(storeName))).then((value) => { result = value; }, () => {});
    tx.oncomplete = () => resolve(result);
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("Transaction aborted"));
  });
}

export async function getAll(storeName) {
  const db = await openDb();
  return done(db.transaction(storeName).objectStore(storeName).getAll());
}

export async function get(storeName, key) {
  const db = await openDb();
  return done(db.transaction(storeName).objectStore(storeName).get(key));
}

export function put(storeName, value) {
  return write(storeName, (store) => store.put(value));
}

export function remove(storeName, key) {
  return write(storeName, (store) => store.delete(key));
}

export function clear(storeName) {
  return write(storeName, (store) => store.clear());
}

export function getAllFrom(storeName, indexName, key) {
  return openDb().then((db) => done(db.transaction(storeName).objectStore(storeName).index(indexName).getAll(key)));
}

// A UUID for every record, so the sync can later send it idempotently.
// crypto.randomUUID needs a secure context and a recent browser; fall back
// to the same format from getRandomValues.
export function uuid() {
  if (globalThis.crypto?.randomUUID) return crypto.randomUUID();
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}
