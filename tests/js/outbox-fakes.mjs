// What the outbox's unit tests give it instead of IndexedDB and the network:
// an in-memory store with db.js's calls, and a pretend Crest server.
import { queueIoForTests, whoAmI } from "../../static/js/outbox-queue.js";
import { sendIoForTests } from "../../static/js/outbox-send.js";

const KEYS = { outbox: "id", accounts: "account", meta: "key" };

// db.js's get/getAll/getAllFrom/put/remove over Maps. Values are copied in
// and out, as IndexedDB does, so a test cannot pass by sharing an object.
export function memoryStore() {
  const stores = Object.fromEntries(Object.keys(KEYS).map((name) => [name, new Map()]));
  const copy = (value) => (value === undefined ? undefined : structuredClone(value));
  return {
    stores,
    all: (name) => [...stores[name].values()].map(copy),
    get: async (name, key) => copy(stores[name].get(key)),
    getAll: async (name) => [...stores[name].values()].map(copy),
    getAllFrom: async (name, index, key) => [...stores[name].values()].filter((value) => value[index] === key).map(copy),
    put: async (name, value) => { stores[name].set(value[KEYS[name]], copy(value)); },
    remove: async (name, key) => { stores[name].delete(key); },
  };
}

export const json = (status, body) => new Response(JSON.stringify(body), { status, headers: { "Content-Type": "application/json" } });

export const ACCOUNT = "acct-1";

// The server's answer to GET /api/v1/me/assignments/ for a patient.
export function patient({ account = ACCOUNT, lessons = true, cravings = false, notes = false } = {}) {
  return { signed_in: true, patient: true, account, sharing: { lessons, cravings, notes }, csrf_token: "token", assignments: [] };
}

// A pretend Crest: `me` is what /api/v1/me/assignments/ answers (an object,
// or null for no connection); `sync(items, request)` answers a batch with
// a Response (default: every item stored). Every request is kept in
// `requests`.
export function fakeServer({ me = patient(), sync } = {}) {
  const server = {
    me,
    requests: [],
    batches: [],
    sync: sync || ((items) => json(200, { results: items.map((item) => ({ id: item.id, status: "stored", errors: {} })) })),
    async fetch(url, options = {}) {
      server.requests.push({ url, options });
      if (url.startsWith("/api/v1/me/assignments/")) {
        if (server.me === null) throw new TypeError("Failed to fetch");
        return json(200, server.me);
      }
      if (url === "/api/v1/sync") {
        const items = JSON.parse(options.body).items;
        server.batches.push(items);
        return server.sync(items, options);
      }
      return json(404, { error: "not found" });
    },
  };
  return server;
}

// A fresh store and server for one test, wired into both halves.
export function setUp(serverOptions) {
  const store = memoryStore();
  const server = fakeServer(serverOptions);
  const fetch = (...args) => server.fetch(...args);
  let n = 0;
  const told = [];
  queueIoForTests({ ...store, fetch, uuid: () => `uuid-${(n += 1)}`, tellOtherPages: () => told.push("changed") });
  sendIoForTests({ fetch });
  return { store, server, told };
}

// The same, once the page has asked the server who is signed in (every
// page does, sync.js), as a page does before a person can log anything.
export async function setUpAsked(serverOptions) {
  const setting = setUp(serverOptions);
  await whoAmI({ fresh: true });
  return setting;
}

// A new page (or a worker start): the answer to "who is signed in" is asked
// afresh, not reused from a moment ago.
export function newPage() {
  queueIoForTests({});
}
