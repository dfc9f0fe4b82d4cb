// App shell: service worker registration, the "update available" banner,
// the install button, iOS add-to-home-screen hint, the offline notice, and
// the language choice. Loaded on every page as a module (no inline script:
// strict CSP). Sending the outbox to the clinic (sync.js), reminders (a phone
// that has them keeps the server's copy up to date) and the text size control
// (text-size.js) are on every page too; read aloud where a page has it.
import "../sync.js";
import "../reminders-keep.js";
import "../text-size.js";
// Each person's data apart (space.js), and the app lock's watch (lock-state.js).
import { watchLock } from "../lock-state.js";
import { ACCOUNT, spaceReady, watchSpace } from "../space.js";

watchSpace();
watchLock();
// Just signed in, with data on the phone from before: ask what becomes of
// it. Loaded only for someone signed in.
if (ACCOUNT) {
  spaceReady()
    .then(() => import("../space-question.js"))
    .then((question) => question.askAboutAnonymousData())
    .catch(() => null);
}

document.documentElement.classList.add("js");

if (document.querySelector("read-aloud")) import("../read-aloud.js").catch(() => null);

const updateBanner = document.querySelector("[data-update-banner]");
const offlineNotice = document.querySelector("[data-offline-notice]");

function showOfflineState() {
  if (offlineNotice) offlineNotice.hidden = navigator.onLine;
}
window.addEventListener("online", showOfflineState);
window.addEventListener("offline", showOfflineState);
showOfflineState();

// --- Service worker and updates -------------------------------------------
// A new worker waits until the person taps "Update now": we never reload a
// page on our own, so nobody loses their place in the middle of an exercise.
let updateRequested = false;

function offerUpdate(worker) {
  if (!updateBanner || !worker) return;
  updateBanner.hidden = false;
  updateBanner.querySelector("[data-update-now]").addEventListener(
    "click",
    () => {
      updateRequested = true;
      worker.postMessage({ type: "SKIP_WAITING" });
    },
    { once: true },
  );
}

async function registerServiceWorker() {
  if (!("serviceWorker" in navigator)) return;
  try {
    // A module worker: it imports outbox.js itself (the worker's header says
    // why, and how phones with the earlier classic worker move over).
    const registration = await navigator.serviceWorker.register("/serviceworker.js", { type: "module", scope: "/" });
    // Only offer an update when a worker already controls the page; the very
    // first install needs no banner.
    if (registration.waiting && navigator.serviceWorker.controller) offerUpdate(registration.waiting);
    registration.addEventListener("updatefound", () => {
      const incoming = registration.installing;
      if (!incoming) return;
      incoming.addEventListener("statechange", () => {
        if (incoming.state === "installed" && navigator.serviceWorker.controller) offerUpdate(incoming);
      });
    });
    navigator.serviceWorker.addEventListener("controllerchange", () => {
      if (updateRequested) window.location.reload();
    });
  } catch (error) {
    // The app still works online without a worker; nothing to tell the person.
    console.warn("Service worker registration failed", error);
  }
}
registerServiceWorker();

// --- A reminder tapped while Crest is open -----------------------------------
// The worker asks before it moves this window to the reminder's page
// (serviceworker.js, windowStays). Words typed here and not saved yet, such
// as a check-in's note, stay: the page answers "stay" and shows a link to the
// reminder instead.
const TYPED_FIELDS = "textarea, input:not([type]), input[type=text], input[type=search]";

function unsavedWords() {
  return [...document.querySelectorAll(TYPED_FIELDS)].some(
    (field) => field.value.trim() !== "" && field.value !== field.defaultValue && !field.closest("[hidden]"),
  );
}

navigator.serviceWorker?.addEventListener("message", (event) => {
  if (event.data?.type !== "REMINDER_TAP" || !event.ports[0]) return;
  const stay = unsavedWords();
  event.ports[0].postMessage(stay ? "stay" : "go");
  const notice = document.querySelector("[data-reminder-waiting]");
  const url = new URL(event.data.url, location.origin);
  if (!stay || !notice || url.origin !== location.origin) return;
  notice.querySelector("[data-reminder-link]").href = url.href;
  notice.hidden = false;
});
navigator.serviceWorker?.startMessages();

// --- Language ----------------------------------------------------------------
// The choice is the django_language cookie (the server reads it). The switch
// link sets it on the server; setting it here too, at the tap, keeps it when
// the tap happens offline. The worker cannot read cookies, so each page
// tells it the cookie's value and its own language (it then keeps that
// language's pages for offline use): see offline/templates/offline/serviceworker.js.
const LANGUAGE_COOKIE = "django_language";
const YEAR_SECONDS = 60 * 60 * 24 * 365;

function chosenLanguage() {
  const match = document.cookie.match(new RegExp(`(?:^|; )${LANGUAGE_COOKIE}=([^;]*)`));
  return match ? decodeURIComponent(match[1]) : null;
}

function saveLanguageChoice(code) {
  const secure = location.protocol === "https:" ? "; secure" : "";
  document.cookie = `${LANGUAGE_COOKIE}=${code}; path=/; max-age=${YEAR_SECONDS}; samesite=lax${secure}`;
}

// Offline, the worker can only open the other language's page if this
// phone saved it (it keeps the pages of the languages it has used). Without
// a saved copy the switch would lead to the offline page and leave the
// choice pointing at pages that are not there: say so instead, and change
// nothing.
async function savedCopyOf(path) {
  try {
    return Boolean(await caches.match(path, { ignoreSearch: true, ignoreVary: true }));
  } catch {
    return false;
  }
}

document.querySelectorAll("[data-language-switch]").forEach((link) => {
  const code = link.dataset.languageSwitch;
  link.addEventListener("click", async (event) => {
    if (navigator.onLine || !navigator.serviceWorker?.controller) {
      saveLanguageChoice(code);
      return;
    }
    event.preventDefault();
    const twin = new URL(link.href).searchParams.get("next") || "/";
    if (await savedCopyOf(new URL(twin, location.origin).pathname)) {
      saveLanguageChoice(code);
      location.assign(link.href);
      return;
    }
    const notice = document.querySelector(`[data-language-unsaved="${code}"]`);
    if (notice) {
      notice.hidden = false;
      notice.focus();
    }
  });
});

// Once a worker is active: the language this page is in and the one chosen;
// and, from a page no worker controls, a request to be taken over (its
// request left just before the first worker was active, and it arrived
// after the worker claimed the pages open then).
async function tellTheWorker() {
  if (!("serviceWorker" in navigator)) return;
  const registration = await navigator.serviceWorker.ready;
  registration.active?.postMessage({ type: "LANGUAGE", chosen: chosenLanguage(), page: document.documentElement.lang });
  if (!navigator.serviceWorker.controller) registration.active?.postMessage({ type: "CLAIM" });
}
tellTheWorker().catch(() => null);

// --- Install ---------------------------------------------------------------
const installButton = document.querySelector("[data-install]");
let deferredPrompt = null;

window.addEventListener("beforeinstallprompt", (event) => {
  event.preventDefault();
  deferredPrompt = event;
  if (installButton) installButton.hidden = false;
});

installButton?.addEventListener("click", async () => {
  if (!deferredPrompt) return;
  installButton.hidden = true;
  deferredPrompt.prompt();
  await deferredPrompt.userChoice.catch(() => null);
  deferredPrompt = null;
});

window.addEventListener("appinstalled", () => {
  if (installButton) installButton.hidden = true;
});

// iOS Safari has no install prompt: show the manual steps instead, unless
// Crest is already running from the home screen.
const isIos = /iphone|ipad|ipod/i.test(navigator.userAgent) ||
  (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
const standalone = window.matchMedia("(display-mode: standalone)").matches || navigator.standalone === true;
const iosInstall = document.querySelector("[data-ios-install]");
if (iosInstall && isIos && !standalone) iosInstall.hidden = false;
