// Sending the outbox (outbox.js) from a page, and showing what waits.
// Sent on page load, on `online`, from "Send now", after a back-off, and by
// the service worker's Background Sync where the browser has it. The home
// page and each lesson show "2 waiting to send" / "sent to your clinic"
// and the last successful send, online and offline ([data-sync-status],
// [data-server-progress]). Loaded on every page by app.js.
import { discard, flush, onOutboxChange, storedWho, summaryFor, SYNC_TAG, waitingAccounts, whoAmI } from "./outbox.js";
import { gettext, interpolate, LOCALE, ngettext } from "./i18n.js";

const blocks = [...document.querySelectorAll("[data-sync-status]")];
const lessonLine = document.querySelector("[data-server-progress]");
const lessonSlug = document.querySelector("[data-lesson-page]")?.dataset.lessonPage;
let lastState = null;
let retryTimer = null;

const KIND = { "lesson.completed": gettext("A finished lesson"), "craving.logged": gettext("A craving summary") };

function when(iso) {
  const date = new Date(iso);
  const today = date.toDateString() === new Date().toDateString();
  const time = date.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" });
  if (today) return interpolate(gettext("today at %(time)s"), { time });
  return interpolate(gettext("%(day)s at %(time)s"), { day: date.toLocaleDateString(LOCALE, { day: "numeric", month: "short" }), time });
}

// Django sets the CSRF cookie only for pages with a form and for patients:
// without it nobody has signed in here, and anonymous pages ask nothing.
function maybeSignedIn() {
  return document.cookie.split("; ").some((part) => part.startsWith("csrftoken="));
}

async function askForBackgroundSync() {
  try {
    const registration = await navigator.serviceWorker?.getRegistration();
    await registration?.sync?.register(SYNC_TAG);
  } catch {
    // no Background Sync: page loads and `online` still send
  }
}

// After "remove Crest's data from this phone" (wipe.js) this page must not
// touch the database again: opening it would make it anew.
let wiped = false;
window.addEventListener("crest:wiped", () => {
  wiped = true;
  clearTimeout(retryTimer);
});

// `now`: a page load, `online`, something just queued: send every waiting
// item. The retry timer sends only what its back-off allows.
export async function send({ now = false, force = false } = {}) {
  if (wiped) return null;
  if (!navigator.onLine && !force) {
    await render();
    return null;
  }
  const result = await flush({ now, force }).catch(() => ({ state: "failed" }));
  if (wiped) return null; // a send under way when the data was removed
  lastState = result.state;
  clearTimeout(retryTimer);
  if (result.nextTryAt && !["signed-out", "other-account"].includes(result.state)) {
    // Back off, then try again while this page is open.
    retryTimer = setTimeout(() => send(), Math.min(Math.max(result.nextTryAt - Date.now(), 1000), 3_600_000));
  }
  if (result.state === "offline" || result.state === "failed") askForBackgroundSync();
  await render();
  return result;
}

async function whoseItems() {
  const who = await storedWho();
  if (who?.account) return { account: who.account, signedIn: lastState !== "signed-out" && lastState !== "other-account" };
  // Signed out: still show that something waits (and ask to sign in), for
  // the account that made it, never sending it.
  const accounts = await waitingAccounts();
  return { account: who?.previous && accounts.includes(who.previous) ? who.previous : null, signedIn: false };
}

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

async function render() {
  if (wiped) return;
  const { account, signedIn } = await whoseItems();
  const summary = account ? await summaryFor(account) : null;
  for (const block of blocks) renderBlock(block, summary, signedIn);
  if (lessonLine && lessonSlug) renderLessonLine(summary, signedIn);
}

function renderBlock(block, summary, signedIn) {
  if (!summary || (!signedIn && !summary.waiting && !summary.rejected.length)) {
    block.hidden = true;
    return;
  }
  const offline = !navigator.onLine;
  const n = summary.waiting;
  let text;
  if (n && !signedIn) {
    text = interpolate(ngettext("%(n)s waiting to send to your clinic. Sign in to send it.", "%(n)s waiting to send to your clinic. Sign in to send them.", n), { n });
  } else if (n) {
    text = interpolate(ngettext("%(n)s waiting to send to your clinic.", "%(n)s waiting to send to your clinic.", n), { n });
    if (offline) text += " " + gettext("They go when you are back online.");
  } else if (summary.lastSentAt) text = gettext("Everything is sent to your clinic.");
  else text = gettext("Nothing to send to your clinic yet.");
  block.querySelector("[data-sync-summary]").textContent = text;
  block.querySelector("[data-sync-last]").textContent = summary.lastSentAt ? interpolate(gettext("Last sent %(when)s."), { when: when(summary.lastSentAt) }) : "";
  const list = block.querySelector("[data-sync-rejected]");
  list.replaceChildren(...summary.rejected.map((item) => {
    const reasons = Object.values(item.errors || {}).join(" ");
    const li = el("li", interpolate(gettext("%(what)s from %(when)s was not accepted: %(reasons)s. It stays on this phone."), {
      what: KIND[item.type] || gettext("An item"), when: when(item.at), reasons: reasons || gettext("no reason given"),
    }) + " ");
    const drop = el("button", gettext("Don’t send it"), { type: "button", class: "button-small" });
    drop.addEventListener("click", async () => { await discard(item.id); render(); });
    li.append(drop);
    return li;
  }));
  list.hidden = summary.rejected.length === 0;
  block.querySelector("[data-sync-now]").hidden = !signedIn || (n === 0 && summary.rejected.length === 0);
  block.querySelector("[data-sync-signin]").hidden = signedIn || n === 0;
  block.hidden = false;
}

function renderLessonLine(summary, signedIn) {
  let text = "";
  const state = summary?.lessons[lessonSlug];
  if (state === "waiting") text = signedIn ? gettext("Waiting to send to your clinic.") : gettext("Waiting to send to your clinic: sign in to send it.");
  else if (state === "sent") text = gettext("Sent to your clinic.");
  else if (summary && signedIn && summary.sharing?.lessons === false) text = gettext("Kept on this phone only: you do not share lessons with your clinic.");
  lessonLine.textContent = text;
  lessonLine.hidden = !text;
}

document.addEventListener("click", (event) => {
  const button = event.target.closest?.("[data-sync-now]");
  if (!button) return;
  button.disabled = true;
  send({ force: true }).finally(() => { button.disabled = false; });
});

window.addEventListener("online", () => send({ now: true }));
window.addEventListener("crest:queued", () => send({ now: true }));
window.addEventListener("offline", () => render());
window.addEventListener("pageshow", (event) => { if (event.persisted) send({ now: true }); });
let rendering = null;
onOutboxChange(() => {
  // Coalesce bursts (a batch of answers) into one redraw.
  rendering ??= setTimeout(() => { rendering = null; render(); }, 50);
});

async function start() {
  await render();
  const who = await storedWho();
  if (!who?.account && maybeSignedIn() && navigator.onLine) await whoAmI();
  if ((await waitingAccounts()).length) await send({ now: true });
  else await render();
}
start();
