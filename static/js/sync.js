// Sending the outbox (outbox-send.js) from a page, and showing what waits.
// Sent on page load, on `online`, from "Send now", after a back-off, and by
// the service worker's Background Sync where the browser has it. The home
// page and each lesson show "2 waiting to send" / "sent to your clinic"
// and the last successful send, online and offline ([data-sync-status],
// [data-server-progress]), and what stays on the phone because it is not
// shared: only ever the items of the account this page belongs to
// (space.js), and none while Crest is locked (clinic items are hidden then;
// they are still sent). Loaded on every page by pages/app.js.
import { flush, SYNC_TAG } from "./outbox-send.js";
import { discard, onOutboxChange, sharingShown, storedWho, summaryFor, waitingAccounts, whoAmI } from "./outbox-queue.js";
import { gettext, interpolate, LOCALE, ngettext } from "./i18n.js";
import { lockStatus, onLockChange } from "./lock-state.js";
import { ACCOUNT, followServer, spaceReady } from "./space.js";

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
// without it (or the account cookie) nobody has signed in here, and
// anonymous pages ask nothing.
function maybeSignedIn() {
  return Boolean(ACCOUNT) || document.cookie.split("; ").some((part) => part.startsWith("csrftoken="));
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
async function send({ now = false, force = false } = {}) {
  if (wiped) return null;
  if (!navigator.onLine && !force) {
    // Nothing goes now; the worker sends it when the connection is back,
    // with Crest closed, if the browser has Background Sync.
    if ((await waitingAccounts()).length) askForBackgroundSync();
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

function el(tag, text, attrs = {}) {
  const node = document.createElement(tag);
  if (text !== undefined) node.textContent = text;
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  return node;
}

// Only this page's account's items, while it is signed in (a session ended
// elsewhere: the page loads again in the anonymous space, space.js).
async function render() {
  if (wiped) return;
  // A patient's account, as the outbox knows it (not a staff member's).
  const signedIn = Boolean(ACCOUNT) && (await storedWho())?.account === ACCOUNT && lastState !== "signed-out" && lastState !== "other-account";
  const shown = signedIn && (await lockStatus()) !== "locked";
  const summary = shown ? await summaryFor(ACCOUNT) : null;
  for (const block of blocks) renderBlock(block, summary);
  if (lessonLine && lessonSlug) renderLessonLine(summary);
}

function renderBlock(block, summary) {
  if (!summary) {
    block.hidden = true;
    return;
  }
  const offline = !navigator.onLine;
  const n = summary.waiting;
  let text;
  if (n) {
    text = interpolate(ngettext("%(n)s waiting to send to your clinic.", "%(n)s waiting to send to your clinic.", n), { n });
    if (offline) text += " " + gettext("They go when you are back online.");
  } else if (summary.lastSentAt) text = gettext("Everything is sent to your clinic.");
  else text = gettext("Nothing to send to your clinic yet.");
  block.querySelector("[data-sync-summary]").textContent = text;
  block.querySelector("[data-sync-last]").textContent = summary.lastSentAt ? interpolate(gettext("Last sent %(when)s."), { when: when(summary.lastSentAt) }) : "";
  const unshared = block.querySelector("[data-sync-unshared]");
  unshared.textContent = notShared(summary.sharing);
  unshared.hidden = !unshared.textContent;
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
  block.querySelector("[data-sync-now]").hidden = n === 0 && summary.rejected.length === 0;
  // Under a lesson, its own line already says whether it was sent
  // ([data-server-progress]): the block shows only while something waits
  // or was refused.
  block.hidden = block.dataset.syncStatus === "lesson" && n === 0 && summary.rejected.length === 0;
}

// "Everything is sent" is about what is shared: say what is not.
function notShared(sharing) {
  if (sharing?.lessons === false && sharing?.cravings === false) return gettext("Kept on this phone only: you do not share lessons or craving summaries with your clinic.");
  if (sharing?.lessons === false) return gettext("Kept on this phone only: you do not share lessons with your clinic.");
  if (sharing?.cravings === false) return gettext("Kept on this phone only: you do not share craving summaries with your clinic.");
  return "";
}

function renderLessonLine(summary) {
  let text = "";
  const state = summary?.lessons[lessonSlug];
  if (state === "waiting") text = gettext("Waiting to send to your clinic.");
  else if (state === "sent") text = gettext("Sent to your clinic.");
  else if (summary && summary.sharing?.lessons === false) text = gettext("Kept on this phone only: you do not share lessons with your clinic.");
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
onLockChange(() => render());
let rendering = null;
onOutboxChange(() => {
  // Coalesce bursts (a batch of answers) into one redraw.
  rendering ??= setTimeout(() => { rendering = null; render(); }, 50);
});

// The sharing choices the page shows (/me/, also right after one is
// changed there): {account, sharing}, rendered with json_script.
function sharingOnThisPage() {
  try {
    return JSON.parse(document.getElementById("sharing-choices")?.textContent || "null");
  } catch {
    return null;
  }
}

async function start() {
  await spaceReady();
  await render();
  const shown = sharingOnThisPage();
  if (shown) await sharingShown(shown);
  // Every page asks who is signed in and what they share: a choice changed
  // on another device holds from the next page on, not the next home visit,
  // and a session ended elsewhere turns this page to the anonymous space.
  else if (maybeSignedIn() && navigator.onLine) followServer(await whoAmI());
  if ((await waitingAccounts()).length) await send({ now: true });
  else await render();
}
start();
