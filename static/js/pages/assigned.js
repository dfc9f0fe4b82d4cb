// "Assigned by your clinic" on the home screen and the lessons list. These
// pages are cached by the service worker and must be the same for everyone,
// so the block ships empty and hidden; for a signed-in patient it is filled
// in here (textContent only). Offline or signed out, it simply stays hidden.
// While Crest is locked (lock-state.js) it is hidden too, and the notice
// with the unlock form stands in its place.
// Each assignment's status comes from the server (Assignment.Status): the
// phone shows it, and adds only what it knows better: a lesson done here
// whose news is still waiting in the outbox.
import { onOutboxChange, storedWho, summaryFor, whoAmI } from "../outbox-queue.js";
import { gettext, interpolate, LOCALE } from "../i18n.js";
import { lockStatus, onLockChange } from "../lock-state.js";
import { ACCOUNT } from "../space.js";

const section = document.querySelector("[data-assigned]");

function formatDate(isoDate) {
  const date = new Date(`${isoDate}T00:00:00`);
  return Number.isNaN(date.getTime()) ? isoDate : date.toLocaleDateString(LOCALE, { day: "numeric", month: "short" });
}

const due = (item) => ({ date: formatDate(item.due_date) });
const STATUS_TEXT = {
  done: (item) => (item.total != null
    ? interpolate(gettext("Done · %(score)s of %(total)s right"), { score: item.score, total: item.total })
    : gettext("Done")),
  open: (item) => interpolate(gettext("Due %(date)s"), due(item)),
  due_today: () => gettext("Due today"),
  overdue: (item) => interpolate(gettext("Was due %(date)s"), due(item)),
  not_shared: (item) => interpolate(gettext("Due %(date)s · you do not share lessons with your clinic"), due(item)),
};

function statusText(item, waiting) {
  if (waiting && item.status !== "done") return gettext("Done on this phone · waiting to send to your clinic");
  return (STATUS_TEXT[item.status] || STATUS_TEXT.open)(item);
}

function render(data, summary) {
  const list = section.querySelector("[data-assigned-list]");
  const empty = section.querySelector("[data-assigned-empty]");
  list.replaceChildren();
  for (const item of data.assignments) {
    const li = document.createElement("li");
    li.className = "lesson-item";
    li.dataset.assignedLesson = item.slug;
    if (item.status === "done") li.classList.add("is-done");
    const link = document.createElement("a");
    link.href = item.url;
    const title = document.createElement("span");
    title.className = "lesson-title";
    title.textContent = item.title;
    const meta = document.createElement("span");
    meta.className = "lesson-meta";
    meta.dataset.assignedStatus = item.status;
    meta.textContent = statusText(item, summary?.lessons[item.slug] === "waiting");
    link.append(title, meta);
    li.append(link);
    if (item.note) {
      const note = document.createElement("p");
      note.className = "lesson-summary";
      note.textContent = interpolate(gettext("Note from your clinic: %(note)s"), { note: item.note });
      li.append(note);
    }
    list.append(li);
  }
  if (empty) empty.hidden = data.assignments.length > 0;
  section.hidden = false;
}

let notice = null;

// Locked: the clinic's lessons and notes are not on the page at all.
async function locked() {
  const patient = Boolean(ACCOUNT) && (await storedWho())?.account === ACCOUNT;
  const isLocked = patient && (await lockStatus()) === "locked";
  if (isLocked) {
    section.hidden = true;
    section.querySelector("[data-assigned-list]").replaceChildren();
    if (!notice) {
      // The unlock form's code only when it is needed (most homes are not locked).
      const { lockedNotice } = await import("../lock-ui.js");
      notice ??= lockedNotice(gettext("What your clinic assigned is locked."));
      section.before(notice);
    }
  } else {
    notice?.remove();
    notice = null;
  }
  return isLocked;
}

async function refresh({ fresh = false } = {}) {
  if (!section || (await locked())) return;
  const { data, who } = await whoAmI({ fresh });
  if (await locked()) return;
  if (!data?.patient) {
    section.hidden = data ? true : section.hidden; // offline: keep what is shown
    return;
  }
  render(data, await summaryFor(who.account));
}

refresh();
// Coming back to the page (back button, bfcache), or the outbox has sent
// something: show what changed.
window.addEventListener("pageshow", (event) => { if (event.persisted) refresh({ fresh: true }); });
onLockChange(() => refresh());
let pending = null;
onOutboxChange(() => {
  clearTimeout(pending);
  pending = setTimeout(() => refresh({ fresh: true }), 300);
});
