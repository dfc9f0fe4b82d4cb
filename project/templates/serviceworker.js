/* Crest service worker. Rendered by project.views.service_worker: VERSION is a
 * hash of everything precached, so any change to a lesson, a template, a
 * translation or a static file gives a new worker and a fresh cache. */
"use strict";

const VERSION = "{{ version }}";
const PREFIX = "crest-";
const PAGES_CACHE = `${PREFIX}pages-${VERSION}`;
const STATIC_CACHE = `${PREFIX}static-${VERSION}`;
// Kept from one version to the next: the language the person chose, and
// the languages whose pages this phone keeps (see "Languages" below).
const PREFS_CACHE = `${PREFIX}prefs`;
const CHOSEN_LANGUAGE_KEY = "/__crest/language";
const KEPT_LANGUAGES_KEY = "/__crest/kept-languages";
// Each language's pages, the same pages in the same order: English at the
// plain URLs, Spanish under /es/ (plus its string catalog for the scripts).
const PRECACHE_PAGES = {{ pages|safe }};
const PRECACHE_STATIC = {{ static_urls|safe }};
const DEFAULT_LANGUAGE = "{{ default_language }}";
const LANGUAGES = Object.keys(PRECACHE_PAGES);
const OFFLINE_URLS = {{ offline_urls|safe }};
// A navigation that gets no answer within this time falls back to the saved
// copy: on a weak signal a person should not stare at a blank screen.
const NETWORK_TIMEOUT_MS = 4000;
// Never cached: the API, signed-in areas, and anything but GET; in every language.
const PRIVATE_AREAS = ["api", "clinic", "accounts", "admin", "me", "join", "language"];
const LANGUAGE_PREFIX = `(?:(?:${LANGUAGES.filter((code) => code !== DEFAULT_LANGUAGE).join("|")})\\/)?`;
const NEVER_CACHE = PRIVATE_AREAS.map((area) => new RegExp(`^\\/${LANGUAGE_PREFIX}${area}\\/`));
// Paths with one address whatever the language: never sent to a language twin.
const UNTRANSLATED = [/^\/api\//, /^\/admin\//, /^\/language\//, /^\/static\//, /^\/healthz$/, /^\/serviceworker\.js$/];

// --- Languages ---------------------------------------------------------------
// The server sends a page asked for without a prefix (/, /help/, the
// installed app's start_url) to its /es/ twin when the saved choice — or,
// with none, the browser — says Spanish (project/middleware.py). The worker
// does the same before it looks at the network, so it holds offline too.
// It keeps a copy of the choice here (a worker cannot read cookies): from
// the /language/<code>/ link the switch uses, and from every page load
// (app.js sends the cookie's value).
async function readPref(key) {
  const response = await (await caches.open(PREFS_CACHE)).match(key);
  return response ? response.json() : null;
}

async function writePref(key, value) {
  const cache = await caches.open(PREFS_CACHE);
  if (value === null) await cache.delete(key);
  else await cache.put(key, new Response(JSON.stringify(value), { headers: { "Content-Type": "application/json" } }));
}

function browserLanguage() {
  for (const tag of self.navigator.languages || []) {
    const base = tag.toLowerCase().split("-")[0];
    if (LANGUAGES.includes(base)) return base;
  }
  return DEFAULT_LANGUAGE;
}

async function wantedLanguage() {
  const chosen = await readPref(CHOSEN_LANGUAGE_KEY);
  return LANGUAGES.includes(chosen) ? chosen : browserLanguage();
}

function pathLanguage(pathname) {
  return LANGUAGES.find((code) => code !== DEFAULT_LANGUAGE && (pathname === `/${code}/` || pathname.startsWith(`/${code}/`))) || DEFAULT_LANGUAGE;
}

// One language's pages go into the cache the first time a page in that
// language is used on this phone (and on every new version after that).
async function keepLanguage(code, cacheName = PAGES_CACHE) {
  if (!LANGUAGES.includes(code)) return;
  const kept = (await readPref(KEPT_LANGUAGES_KEY)) || [];
  const cache = await caches.open(cacheName);
  if (kept.includes(code) && (await cache.match(PRECACHE_PAGES[code][0]))) return;
  await cache.addAll(PRECACHE_PAGES[code].map((url) => new Request(url, { cache: "reload", credentials: "omit" })));
  if (!kept.includes(code)) await writePref(KEPT_LANGUAGES_KEY, [...kept, code]);
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    const assets = await caches.open(STATIC_CACHE);
    // Static URLs are hashed, so a copy the page just loaded (HTTP cache) is
    // the right one; pages are re-fetched past the HTTP cache.
    await assets.addAll(PRECACHE_STATIC);
    // The languages this phone already keeps, and the one it wants now.
    const kept = (await readPref(KEPT_LANGUAGES_KEY)) || [];
    const languages = new Set([...kept.filter((code) => LANGUAGES.includes(code)), await wantedLanguage()]);
    const pages = await caches.open(PAGES_CACHE);
    await pages.addAll([...languages].flatMap((code) => PRECACHE_PAGES[code]).map((url) => new Request(url, { cache: "reload", credentials: "omit" })));
    await writePref(KEPT_LANGUAGES_KEY, [...languages]);
    // The first install takes control at once; later versions wait for the
    // person to tap "Update now" (see app.js), so no exercise is interrupted.
    const registrations = await self.clients.matchAll({ includeUncontrolled: true });
    if (!self.registration.active || registrations.length === 0) await self.skipWaiting();
  })());
});

self.addEventListener("activate", (event) => {
  event.waitUntil((async () => {
    const keep = new Set([PAGES_CACHE, STATIC_CACHE, PREFS_CACHE]);
    const names = await caches.keys();
    await Promise.all(names.filter((name) => name.startsWith(PREFIX) && !keep.has(name)).map((name) => caches.delete(name)));
    await self.clients.claim();
  })());
});

self.addEventListener("message", (event) => {
  if (event.data?.type === "SKIP_WAITING") self.skipWaiting();
  // Every page says which language it is in and what the cookie holds.
  if (event.data?.type === "LANGUAGE") {
    const { chosen, page } = event.data;
    event.waitUntil((async () => {
      await writePref(CHOSEN_LANGUAGE_KEY, LANGUAGES.includes(chosen) ? chosen : null);
      await keepLanguage(page);
    })());
  }
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

async function fromCache(request) {
  return (await caches.match(request, { ignoreSearch: true, ignoreVary: true })) || null;
}

// The offline page in the page's language, or any we have.
async function offlinePage(pathname) {
  for (const url of [OFFLINE_URLS[pathLanguage(pathname)], ...Object.values(OFFLINE_URLS)]) {
    const cached = await fromCache(url);
    if (cached) return cached;
  }
  return Response.error();
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
  const cached = await fromCache(url.pathname);
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
  return cached || offlinePage(url.pathname);
}

// Signed-in and account pages are never stored (shared phones), but with no
// connection they still get our offline page, not the browser's error.
async function handlePrivateNavigation(request) {
  try {
    return await fetch(request);
  } catch {
    return offlinePage(new URL(request.url).pathname);
  }
}

// The switch: /language/<code>/?next=<the page in that language>. Noted
// here first, so the page it leads to is not sent back to the old language;
// offline, the worker goes to that page itself (the cookie is set by
// app.js at the tap, and by the server when it is reached).
async function handleLanguageSwitch(request, url) {
  const code = url.pathname.split("/")[2];
  if (LANGUAGES.includes(code)) await writePref(CHOSEN_LANGUAGE_KEY, code);
  try {
    return await fetch(request);
  } catch {
    const next = url.searchParams.get("next") || "";
    const home = LANGUAGES.includes(code) ? PRECACHE_PAGES[code][0] : "/";
    const target = next.startsWith("/") && !next.startsWith("//") ? next : home;
    return Response.redirect(new URL(target, self.location.origin).href, 302);
  }
}

async function handleStatic(request) {
  const cached = await fromCache(request);
  if (cached) return cached;
  const response = await fetch(request);
  if (isCacheable(response)) {
    const cache = await caches.open(STATIC_CACHE);
    await cache.put(request, response.clone());
  }
  return response;
}

async function respondToNavigation(request, url) {
  if (url.pathname.startsWith("/language/")) return handleLanguageSwitch(request, url);
  if (pathLanguage(url.pathname) === DEFAULT_LANGUAGE && !UNTRANSLATED.some((re) => re.test(url.pathname))) {
    const wanted = await wantedLanguage();
    if (wanted !== DEFAULT_LANGUAGE) return Response.redirect(new URL(`/${wanted}${url.pathname}${url.search}`, url).href, 302);
  }
  const isPrivate = NEVER_CACHE.some((re) => re.test(url.pathname));
  return isPrivate ? handlePrivateNavigation(request) : handleNavigation(request);
}

// Precached files that are neither pages nor static files (a language's
// string catalog): from the cache, which each new version fills afresh.
async function handlePrecached(request, url) {
  return (await fromCache(url.pathname)) || fetch(request);
}

const PRECACHED_OTHER = new Set(Object.values(PRECACHE_PAGES).flat().filter((path) => path.endsWith(".js")));

self.addEventListener("fetch", (event) => {
  const { request } = event;
  if (request.method !== "GET") return;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin) return;
  const isPrivate = NEVER_CACHE.some((re) => re.test(url.pathname));
  if (request.mode === "navigate") {
    event.respondWith(respondToNavigation(request, url));
  } else if (!isPrivate && url.pathname.startsWith("/static/")) {
    event.respondWith(handleStatic(request));
  } else if (PRECACHED_OTHER.has(url.pathname)) {
    event.respondWith(handlePrecached(request, url));
  }
});
