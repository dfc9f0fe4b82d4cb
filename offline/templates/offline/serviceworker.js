/* Crest service worker. Rendered by offline.views.service_worker: VERSION
 * names the content (every lesson) and the deploy (templates, translations,
 * static files, code): offline/precache.py. Any change gives a new worker
 * and a fresh cache.
 *
 * An ES module: static/js/app.js registers it with {type: "module"}, so it
 * imports the pages' own outbox code (static/js/outbox-send.js, outbox-queue.js and db.js, at
 * their hashed URLs) for Background Sync, with no copy or conversion.
 * Module service workers are in Chromium since 91 and Safari (iOS) since 15
 * (2021), Firefox since 147 (January 2026). A browser without them fails
 * the registration and Crest works online only; Background Sync, the reason
 * for the import, is Chromium's alone anyway. A phone that installed the
 * classic worker of earlier releases gets this one as an ordinary update:
 * registering with another type is an update of the same registration (same
 * URL, same scope), installed when the person taps "Update now"; the
 * browser's own update checks, made with the old type, fail on `import` and
 * leave the old worker in place until a page registers the new one.
 * (https://w3c.github.io/ServiceWorker/#register-algorithm) */
import { flush, SYNC_TAG } from "{{ outbox_url }}";

const VERSION = "{{ version }}";
const PREFIX = "crest-";
const PAGES_CACHE = `${PREFIX}pages-${VERSION}`; // earlierCaches("pages")
const STATIC_CACHE = `${PREFIX}static-${VERSION}`; // earlierCaches("static")
// Kept from one version to the next: the language the person chose, and
// the languages whose pages this phone keeps (see "Languages" below).
const PREFS_CACHE = `${PREFIX}prefs`;
const CHOSEN_LANGUAGE_KEY = "/__crest/language";
const KEPT_LANGUAGES_KEY = "/__crest/kept-languages";
// Each language's pages, the same pages in the same order: English at the
// plain URLs, Spanish under /es/ (plus its string catalog for the scripts).
const PRECACHE_PAGES = {{ pages|safe }};
const PRECACHE_STATIC = {{ static_urls|safe }};
// True where static URLs carry a hash of the file (production's storage).
const STATIC_URLS_NAME_THEIR_CONTENT = {{ static_hashed|yesno:"true,false" }};
const OFFLINE_URLS = {{ offline_urls|safe }};
// How the server decides a page's language (offline.i18n.worker_config):
// the default language, each other language's prefix, and the paths with one
// address whatever the language.
const LANGUAGE_RULE = {{ languages|safe }};
const DEFAULT_LANGUAGE = LANGUAGE_RULE.default;
const LANGUAGES = [DEFAULT_LANGUAGE, ...Object.keys(LANGUAGE_RULE.prefixes)];
// A navigation that gets no answer within this time falls back to the saved
// copy: on a weak signal a person should not stare at a blank screen.
const NETWORK_TIMEOUT_MS = 4000;
// Never cached: the API, signed-in areas, and anything but GET; in every language.
const PRIVATE_AREAS = ["api", "clinic", "accounts", "admin", "me", "join", "language"];

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

// offline.i18n.page_language: the language whose prefix the path starts with.
function pathLanguage(pathname) {
  return Object.keys(LANGUAGE_RULE.prefixes).find((code) => pathname.startsWith(LANGUAGE_RULE.prefixes[code])) || DEFAULT_LANGUAGE;
}

// /es/clinic/ is /clinic/ in Spanish.
function withoutPrefix(pathname) {
  const prefix = LANGUAGE_RULE.prefixes[pathLanguage(pathname)];
  return prefix ? pathname.slice(prefix.length - 1) : pathname;
}

function isPrivate(pathname) {
  const bare = withoutPrefix(pathname);
  return PRIVATE_AREAS.some((area) => bare.startsWith(`/${area}/`));
}

// One language's pages go into the cache the first time a page in that
// language is used on this phone (and on every new version after that).
async function keepLanguage(code, cacheName = PAGES_CACHE) {
  if (!LANGUAGES.includes(code)) return;
  const kept = (await readPref(KEPT_LANGUAGES_KEY)) || [];
  const cache = await caches.open(cacheName);
  if (kept.includes(code) && (await cache.match(PRECACHE_PAGES[code][0]))) return;
  await fillPages(cache, PRECACHE_PAGES[code], []);
  if (!kept.includes(code)) await writePref(KEPT_LANGUAGES_KEY, [...kept, code]);
}

// --- Updating: only what changed comes over the network -----------------------
// A new version fills fresh caches while the one it replaces still holds the
// last copies (the old caches go at "activate"). A page is asked for with
// the ETag of the copy the phone has (If-None-Match): an unchanged page is a
// 304 with no body, from the proxy's cache (docs/speed.md), and the phone
// keeps its copy. A static file's URL names its content (a hash) in
// production, so an earlier copy is taken with no request at all.
async function earlierCaches(kind) {
  const current = `${PREFIX}${kind}-${VERSION}`;
  const names = (await caches.keys()).filter((name) => name.startsWith(`${PREFIX}${kind}-`) && name !== current);
  return Promise.all(names.map((name) => caches.open(name)));
}

async function earlierCopy(earlier, url) {
  for (const cache of earlier) {
    const copy = await cache.match(url);
    if (copy) return copy;
  }
  return null;
}

async function fetchPage(url, earlier) {
  const copy = await earlierCopy(earlier, url);
  const etag = copy?.headers.get("ETag");
  // "no-store": past the browser's HTTP cache both ways, so a 304 is ours to read.
  const response = await fetch(new Request(url, {
    cache: etag ? "no-store" : "reload", credentials: "omit", headers: etag ? { "If-None-Match": etag } : {},
  }));
  if (response.status === 304 && copy) return copy;
  if (!response.ok) throw new TypeError(`Could not keep ${url} (${response.status})`);
  return response;
}

// All or nothing, as Cache.addAll: a version whose pages did not all arrive
// fails its install, and the phone keeps the version it has.
async function fillPages(cache, urls, earlier) {
  const responses = await Promise.all(urls.map((url) => fetchPage(url, earlier)));
  await Promise.all(responses.map((response, i) => cache.put(urls[i], response)));
}

async function fillStatic(cache, urls, earlier) {
  const missing = [];
  for (const url of urls) {
    const copy = STATIC_URLS_NAME_THEIR_CONTENT ? await earlierCopy(earlier, url) : null;
    if (copy) await cache.put(url, copy);
    else missing.push(url);
  }
  // The page just loaded most of these (the HTTP cache): the right copies.
  await cache.addAll(missing);
}

self.addEventListener("install", (event) => {
  event.waitUntil((async () => {
    await fillStatic(await caches.open(STATIC_CACHE), PRECACHE_STATIC, await earlierCaches("static"));
    // The languages this phone already keeps, and the one it wants now.
    const kept = (await readPref(KEPT_LANGUAGES_KEY)) || [];
    const languages = new Set([...kept.filter((code) => LANGUAGES.includes(code)), await wantedLanguage()]);
    const urls = [...languages].flatMap((code) => PRECACHE_PAGES[code]);
    await fillPages(await caches.open(PAGES_CACHE), urls, await earlierCaches("pages"));
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
  // A page that arrived after the first install's claim (pages/app.js).
  if (event.data?.type === "CLAIM") event.waitUntil(self.clients.claim());
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
// the pages' own outbox (static/js/outbox-send.js, imported above). A send that
// fails throws, so the browser tries again later with its own back-off;
// signed out, there is nothing to retry.
self.addEventListener("sync", (event) => {
  if (event.tag !== SYNC_TAG) return;
  event.waitUntil((async () => {
    const result = await flush({ now: true });
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
    if (isCacheable(response) && !isPrivate(url.pathname)) {
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
// app.js at the tap, and by the server when it is reached). With no saved
// copy of it (app.js says so before the tap gets here, unless the phone
// thought it was online), the old choice stays: every page would otherwise
// lead to the offline page.
async function handleLanguageSwitch(request, url) {
  const code = url.pathname.split("/")[2];
  const previous = await readPref(CHOSEN_LANGUAGE_KEY);
  if (LANGUAGES.includes(code)) await writePref(CHOSEN_LANGUAGE_KEY, code);
  try {
    return await fetch(request);
  } catch {
    const next = url.searchParams.get("next") || "";
    const home = LANGUAGES.includes(code) ? PRECACHE_PAGES[code][0] : "/";
    const target = new URL(next.startsWith("/") && !next.startsWith("//") ? next : home, self.location.origin);
    if (!(await fromCache(target.pathname))) await writePref(CHOSEN_LANGUAGE_KEY, previous);
    return Response.redirect(target.href, 302);
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
  if (pathLanguage(url.pathname) === DEFAULT_LANGUAGE && !LANGUAGE_RULE.oneAddress.some((path) => url.pathname.startsWith(path))) {
    const wanted = await wantedLanguage();
    if (wanted !== DEFAULT_LANGUAGE) return Response.redirect(new URL(`/${wanted}${url.pathname}${url.search}`, url).href, 302);
  }
  return isPrivate(url.pathname) ? handlePrivateNavigation(request) : handleNavigation(request);
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
  if (request.mode === "navigate") {
    event.respondWith(respondToNavigation(request, url));
  } else if (!isPrivate(url.pathname) && url.pathname.startsWith("/static/")) {
    event.respondWith(handleStatic(request));
  } else if (PRECACHED_OTHER.has(url.pathname)) {
    event.respondWith(handlePrecached(request, url));
  }
});

// --- Reminders (Web Push): begin ---------------------------------------------
// One self-contained block (issue 19): it uses nothing else in this file.
// reminders/services.py sends each reminder as a declarative push message,
// {"web_push": 8030, "notification": {title, body, lang, dir, tag, navigate}}:
// Safari 18.4+ can show that by itself; everywhere else this handler shows
// it. The text is neutral (the server's job); `navigate` is where a tap
// leads, and only a page of Crest's own origin is ever opened. Chrome wants
// a notification for every push (userVisibleOnly), so a message that cannot
// be read still shows a plain "Crest" one. tests/js/worker-push.test.mjs runs
// this block on its own; tests/browser/test_reminders.py delivers to it.
const REMINDER_ICON = "/static/icons/icon-192.png";

function reminderUrl(navigate) {
  try {
    const url = new URL(typeof navigate === "string" ? navigate : "/", self.location.origin);
    if (url.origin === self.location.origin) return url.href;
  } catch {
    // not a URL: go home
  }
  return new URL("/", self.location.origin).href;
}

function reminderNotification(data) {
  let message = null;
  try {
    message = data ? data.json() : null;
  } catch {
    message = null;
  }
  const n = message && message.web_push === 8030 && message.notification && typeof message.notification.title === "string"
    ? message.notification : {};
  return {
    title: n.title || "Crest",
    options: {
      body: typeof n.body === "string" ? n.body : "",
      lang: typeof n.lang === "string" ? n.lang : "",
      dir: ["ltr", "rtl", "auto"].includes(n.dir) ? n.dir : "auto",
      tag: typeof n.tag === "string" && n.tag ? n.tag : "crest",
      icon: REMINDER_ICON,
      data: { url: reminderUrl(n.navigate) },
    },
  };
}

self.addEventListener("push", (event) => {
  const { title, options } = reminderNotification(event.data);
  event.waitUntil(self.registration.showNotification(title, options));
});

// Before a tap moves an open window, the window is asked (static/js/pages/app.js):
// one holding words typed and not saved yet, such as a check-in's note,
// answers "stay" and shows a link to the reminder's page instead. A window
// that does not answer within a second (no app.js: an older page) is moved.
const ASK_MS = 1000;

function windowStays(client, url) {
  return new Promise((resolve) => {
    const channel = new MessageChannel();
    const done = (answer) => {
      clearTimeout(timer);
      channel.port1.close();
      resolve(answer === "stay");
    };
    const timer = setTimeout(done, ASK_MS);
    channel.port1.onmessage = (event) => done(event.data);
    try {
      client.postMessage({ type: "REMINDER_TAP", url }, [channel.port2]);
    } catch {
      done();
    }
  });
}

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const url = reminderUrl(event.notification.data && event.notification.data.url);
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const open = windows.find((client) => client.url === url);
    if (open) return open.focus();
    // A Crest window already open goes to the page, unless it holds unsaved
    // words; otherwise a new one opens.
    for (const client of windows) {
      if (await windowStays(client, url)) return client.focus();
      try {
        const moved = await client.navigate(url);
        if (moved) return moved.focus();
      } catch {
        // not ours to move (not controlled by this worker): try the next
      }
    }
    return self.clients.openWindow(url);
  })());
});

// The push service renewed this phone's subscription (or ended it), perhaps
// with Crest closed: the server hears of it at once, so the next reminder
// reaches the new one (reminders/views.py: a POST that "replaces" the old
// endpoint keeps its settings and what was already sent). The old endpoint
// is the proof, as for a delete; a browser that gives none leaves it to the
// next visit (static/js/reminders-keep.js).
const PUSH_API = "/api/v1/push/";

async function renewReminders(old, fresh) {
  if (!old || !old.endpoint) return;
  let next = fresh;
  if (!next && old.options && old.options.applicationServerKey) {
    const again = { userVisibleOnly: true, applicationServerKey: old.options.applicationServerKey };
    next = await self.registration.pushManager.subscribe(again).catch(() => null);
  }
  const config = await fetch(PUSH_API, { credentials: "same-origin", cache: "no-store" })
    .then((response) => (response.ok ? response.json() : null));
  if (!config || !config.csrf_token) return;
  const body = next ? { ...next.toJSON(), replaces: old.endpoint } : { endpoint: old.endpoint };
  await fetch(`${PUSH_API}subscriptions`, {
    method: next ? "POST" : "DELETE",
    credentials: "same-origin",
    headers: { "Content-Type": "application/json", "X-CSRFToken": config.csrf_token },
    body: JSON.stringify(body),
  });
}

self.addEventListener("pushsubscriptionchange", (event) => {
  event.waitUntil(renewReminders(event.oldSubscription, event.newSubscription).catch(() => null));
});
// --- Reminders (Web Push): end -----------------------------------------------
