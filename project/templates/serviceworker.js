/* Crest service worker. Rendered by project.views.service_worker: VERSION is a
 * hash of everything precached, so any change to a lesson, a template or a
 * static file gives a new worker and a fresh cache. */
"use strict";

const VERSION = "{{ version }}";
const PREFIX = "crest-";
const PAGES_CACHE = `${PREFIX}pages-${VERSION}`;
const STATIC_CACHE = `${PREFIX}static-${VERSION}`;
const PRECACHE_PAGES = {{ pages|safe }};
const PRECACHE_STATIC = {{ static_urls|safe }};
const OFFLINE_URL = "{% url 'offline' %}";
// A navigation that gets no answer within this time falls back to the saved
// copy: on a weak signal a person should not stare at a blank screen.
const NETWORK_TIMEOUT_MS = 4000;
// Never cached: the API, signed-in areas, and anything but GET.
const NEVER_CACHE = [/^\/api\//, /^\/clinic\//, /^\/accounts\//, /^\/admin\//, /^\/me\//, /^\/join\//];

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const [pages, assets] = await Promise.all([caches.open(PAGES_CACHE), caches.open(STATIC_CACHE)]);
    // Static URLs are hashed, so a copy the page just loaded (HTTP cache) is
    // the right one; pages are re-fetched past the HTTP cache.
    await assets.addAll(PRECACHE_STATIC);
    await pages.addAll(PRECACHE_PAGES.map((url) => new Request(url, { cache: "reload", credentials: "omit" })));
    // The first install takes control at once; later versions wait for the
    // person to tap "Update now" (see app.js), so no exercise is interrupted.
    const registrations = await self.clients.matchAll({ includeUncontrolled: true });
    if (!self.registration.active || registrations.length === 0) await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = new Set([PAGES_CACHE, STATIC_CACHE]);
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(PREFIX) && !keep.has(name)).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
});

// --- Background Sync: send the outbox when the connection is back, even
// with no Crest page open (where the browser has it: Chromium). The code is
// the pages' own outbox (static/js/db.js and outbox.js, embedded below by
// project/pwa.py). A send that fails throws, so the browser tries again
// later with its own back-off; signed out, there is nothing to retry.
{{ outbox_code|safe }}

self.addEventListener("sync", (event) => {
  if (event.tag !== CrestOutbox.SYNC_TAG) return;
  event.waitUntil((async () => {
    const result = await CrestOutbox.flush({ now: true });
    if (result.state === "offline" || result.state === "failed") throw new Error("The outbox will be sent later.");
  })());
});

function isCacheable(response) {
  if (!response || !response.ok || response.type !== "basic") return false;
  const cacheControl = response.headers.get("Cache-Control") || "";
  return !/no-store|private/.test(cacheControl);
}

function timeout(ms) {
  return new Promise((resolve) => setTimeout(() => resolve(null), ms));
}

// An exact lookup in one named cache: Chromium answers it from the cache's
// index, where ignoreSearch (or a search across every cache) reads every
// entry. Pages are stored under their path and static URLs are hashed, so
// neither needs a looser match.
async function fromCache(cacheName, request) {
  const cache = await caches.open(cacheName);
  return (await cache.match(request, { ignoreVary: true })) || null;
}

async function handleNavigation(request) {
  const url = new URL(request.url);
  const network = fetch(request).then(async (response) => {
    if (isCacheable(response) && !NEVER_CACHE.some((re) => re.test(url.pathname))) {
      const cache = await caches.open(PAGES_CACHE);
      await cache.put(url.pathname, response.clone());
    }
    return response;
  });
  const cached = await fromCache(PAGES_CACHE, url.pathname);
  try {
    // With a saved copy, wait only so long for the network; without one,
    // wait as long as the network takes.
    const response = cached ? await Promise.race([network, timeout(NETWORK_TIMEOUT_MS)]) : await network;
    // A server error (app or proxy down) must not hide the saved toolkit or
    // help page behind a "Bad Gateway".
    if (response && !(cached && response.status >= 500)) return response;
  } catch {
    // Offline: fall through to the saved copy.
  }
  return cached || (await fromCache(PAGES_CACHE, OFFLINE_URL)) || Response.error();
}

// Signed-in and account pages are never stored (shared phones), but with no
// connection they still get our offline page, not the browser's error.
async function handlePrivateNavigation(request) {
  try {
    return await fetch(request);
  } catch {
    return (await fromCache(PAGES_CACHE, OFFLINE_URL)) || Response.error();
  }
}

async function handleStatic(request) {
  const cached = await fromCache(STATIC_CACHE, request);
  if (cached) return cached;
  const response = await fetch(request);
  if (isCacheable(response)) {
    const cache = await caches.open(STATIC_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const isPrivate = NEVER_CACHE.some((re) => re.test(url.pathname));
  if (request.mode === "navigate") {
    event.respondWith(isPrivate ? handlePrivateNavigation(request) : handleNavigation(request));
  } else if (!isPrivate && url.pathname.startsWith("/static/")) {
    event.respondWith(handleStatic(request));
  }
});
