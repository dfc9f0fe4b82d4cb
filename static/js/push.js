// This phone's reminders: the browser's push subscription, the server's copy
// of it (/api/v1/push/, reminders/views.py) and what the phone remembers
// of both (localStorage "crest:reminders": the endpoint, the time zone and
// language last told to the server, and the settings it answered with).
// Used by the reminders page (reminders.js), every page (reminders-keep.js)
// and "Remove Crest's data from this phone" (wipe.js).
import { LANGUAGE } from "./i18n.js";
import { phoneTimeZone } from "./risky-hours.js";

const KEY = "crest:reminders";
const API = "/api/v1/push/";

export function saved() {
  try {
    const value = JSON.parse(localStorage.getItem(KEY) || "null");
    return value && typeof value.endpoint === "string" ? value : null;
  } catch {
    return null;
  }
}

export function remember(endpoint, reminders) {
  const value = { endpoint, time_zone: phoneTimeZone(), language: LANGUAGE, reminders, checked: Date.now() };
  try { localStorage.setItem(KEY, JSON.stringify(value)); } catch { /* the server still has it */ }
  return value;
}

export function forget() {
  try { localStorage.removeItem(KEY); } catch { /* nothing kept */ }
}

// What the phone can do: "ok", "ios-install" (an iPhone or iPad in a Safari
// tab: web push reaches only a Home Screen app), "unsupported" or "denied".
export function support() {
  const isIos = /iphone|ipad|ipod/i.test(navigator.userAgent) || (navigator.platform === "MacIntel" && navigator.maxTouchPoints > 1);
  const standalone = window.matchMedia?.("(display-mode: standalone)").matches || navigator.standalone === true;
  if (!("serviceWorker" in navigator) || !("PushManager" in window) || !("Notification" in window)) {
    return isIos && !standalone ? "ios-install" : "unsupported";
  }
  return Notification.permission === "denied" ? "denied" : "ok";
}

let config = null;

// The server's public key and a CSRF token (pages are cached for everyone,
// so they carry none). null offline.
export async function serverConfig() {
  if (!config) {
    config = fetch(API, { credentials: "same-origin", cache: "no-store" })
      .then((response) => (response.ok ? response.json() : null))
      .catch(() => null);
  }
  const answer = await config;
  if (!answer) config = null;
  return answer;
}

// One call to the subscriptions API: {status, body}; status 0 offline.
export async function call(method, body) {
  const answer = await serverConfig();
  if (!answer) return { status: 0, body: null };
  try {
    const response = await fetch(`${API}subscriptions`, {
      method,
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", "X-CSRFToken": answer.csrf_token },
      body: JSON.stringify(body),
    });
    const text = await response.text();
    return { status: response.status, body: text ? JSON.parse(text) : null };
  } catch {
    return { status: 0, body: null };
  }
}

// The reminder settings of a server answer, as a POST sends them back.
export function settingsOnly(reminders) {
  const { checkin, weekly, lessons, quiet } = reminders || {};
  return Object.fromEntries(Object.entries({ checkin, weekly, lessons, quiet }).filter(([, v]) => v !== undefined));
}

export function phoneState() {
  return { time_zone: phoneTimeZone(), language: LANGUAGE };
}

async function registration() {
  if (!("serviceWorker" in navigator)) return null;
  return navigator.serviceWorker.getRegistration("/").catch(() => null);
}

export async function browserSubscription() {
  const found = await registration();
  return found?.pushManager ? found.pushManager.getSubscription().catch(() => null) : null;
}

function keyBytes(base64url) {
  const text = atob(base64url.replace(/-/g, "+").replace(/_/g, "/"));
  return Uint8Array.from(text, (c) => c.charCodeAt(0));
}

function sameKey(a, b) {
  if (!a) return false;
  const x = new Uint8Array(a);
  return x.length === b.length && x.every((byte, i) => byte === b[i]);
}

// The browser's subscription for the server's key: an old one made for
// another key is dropped first (the browser refuses a second key).
export async function browserSubscribe(publicKey) {
  const ready = await navigator.serviceWorker.ready;
  const key = keyBytes(publicKey);
  let subscription = await ready.pushManager.getSubscription();
  if (subscription && !sameKey(subscription.options?.applicationServerKey, key)) {
    await subscription.unsubscribe().catch(() => null);
    subscription = null;
  }
  return subscription || ready.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
}

// Reminders off on this phone, every way: the server forgets it (when it can
// be reached; if not, the push service's 410 makes it forget later), the
// browser drops the subscription, the phone forgets its note.
export async function remindersOff() {
  const subscription = await browserSubscription();
  const endpoints = new Set([subscription?.endpoint, saved()?.endpoint].filter(Boolean));
  for (const endpoint of endpoints) await call("DELETE", { endpoint });
  await subscription?.unsubscribe().catch(() => null);
  forget();
}
