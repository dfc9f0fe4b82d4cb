// The one IndexedDB database Crest keeps on the device ("crest").
// Stores are added by appending a step to UPGRADES: step i upgrades a
// database from version i to i + 1, so a phone that skipped releases runs
// every missing step in order. Never edit a step that has shipped.
//
// The service worker imports this same file (through outbox-send.js), so
// nothing here may touch the page: no document, no window, no localStorage.
//
// Everything here fails soft: if IndexedDB is missing or blocked (some
// private modes), openDb() rejects and callers show a short message; the
// tools themselves keep working.

export const DB_NAME = "crest";

// Whose data a record is (docs/shared-phone.md): each account signed in on
// this phone has its own space, and nobody signed in is one more.
export const ANONYMOUS = "anon";
export function spaceOf(account) {
  return account ? `account:${account}` : ANONYMOUS;
}

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
  // 3: no index that nothing reads. The log is read whole and sorted in
  // memory (craving-log.js), the lists read whole and filtered (lists.js).
  (db, tx) => {
    tx.objectStore("cravings").deleteIndex("startedAt");
    tx.objectStore("lists").deleteIndex("kind");
  },
  // 4: each person's data apart, and the app lock (docs/shared-phone.md,
  // docs/app-lock.md). The log and the lists are read one space at a time
  // ("space" index). What was kept before is filed under the account the
  // phone last knew as signed in now (meta "who"), else the anonymous space:
  // whoever used the phone last still sees it. That space is noted
  // ("legacy-space") for the old localStorage keys too (space.js).
  // "locks": each space's lock (salt, wrapped keys); "unlocked": an unlocked
  // space's keys as non-extractable CryptoKeys, with its last activity.
  (db, tx) => {
    const cravings = tx.objectStore("cravings");
    const lists = tx.objectStore("lists");
    cravings.createIndex("space", "space");
    lists.createIndex("space", "space");
    db.createObjectStore("locks", { keyPath: "space" });
    db.createObjectStore("unlocked", { keyPath: "space" });
    const meta = tx.objectStore("meta");
    meta.get("who").onsuccess = (event) => {
      const who = event.target.result;
      const space = spaceOf(who?.account);
      meta.put({ key: "legacy-space", space });
      for (const store of [cravings, lists]) {
        store.openCursor().onsuccess = (found) => {
          const cursor = found.target.result;
          if (!cursor) return;
          if (!cursor.value.space) cursor.update({ ...cursor.value, space });
          cursor.continue();
        };
      }
    };
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

// One record changed in place, in one transaction, so nothing can come
// between the read and the write (the app lock's last use must never bring
// back a session that was just removed). `change(value)` gives the new
// value, or undefined to leave it; a missing record is left missing.
export async function update(storeName, key, change) {
  const db = await openDb();
  await new Promise((resolve, reject) => {
    const tx = db.transaction(storeName, "readwrite");
    const store = tx.objectStore(storeName);
    store.get(key).onsuccess = (event) => {
      const value = event.target.result;
      const next = value === undefined ? undefined : change(value);
      if (next !== undefined) store.put(next);
    };
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("Transaction aborted"));
  });
}

// Several writes in one transaction: all kept, or none (the lock encrypts a
// space's records in one go). `changes`: [{store, put}] or [{store, remove}].
export async function writeAll(changes) {
  if (!changes.length) return;
  const db = await openDb();
  const names = [...new Set(changes.map((change) => change.store))];
  await new Promise((resolve, reject) => {
    const tx = db.transaction(names, "readwrite");
    for (const change of changes) {
      const store = tx.objectStore(change.store);
      if ("put" in change) store.put(change.put);
      else store.delete(change.remove);
    }
    tx.oncomplete = () => resolve();
    tx.onerror = () => reject(tx.error);
    tx.onabort = () => reject(tx.error || new Error("Transaction aborted"));
  });
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
