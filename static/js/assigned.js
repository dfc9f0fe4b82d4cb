// "From your clinic" on the home screen and the lessons list. These pages are
// cached by the service worker and must be the same for everyone, so the
// block ships empty and hidden; for a signed-in patient it is filled in here
// (textContent only). Offline or signed out, it simply stays hidden.
import { fetchAssignments, progressItem, sendProgress } from "./clinic-api.js";
import { readProgress } from "./progress.js";
import { gettext, interpolate, LOCALE } from "./i18n.js";

const section = document.querySelector("[data-assigned]");

function formatDate(isoDate) {
  const date = new Date(`${isoDate}T00:00:00`);
  return Number.isNaN(date.getTime()) ? isoDate : date.toLocaleDateString(LOCALE, { day: "numeric", month: "short" });
}

function statusText(item, local, sharing) {
  if (item.done) {
    return item.total != null
      ? interpolate(gettext("Done · %(score)s of %(total)s right"), { score: item.score, total: item.total })
      : gettext("Done");
  }
  if (local?.doneAt) return sharing ? gettext("Done on this phone · not sent to your clinic yet") : gettext("Done on this phone · not shared");
  const due = { date: formatDate(item.due_date) };
  return item.overdue ? interpolate(gettext("Was due %(date)s"), due) : interpolate(gettext("Due %(date)s"), due);
}

function render(data) {
  const list = section.querySelector("[data-assigned-list]");
  const empty = section.querySelector("[data-assigned-empty]");
  list.replaceChildren();
  const local = readProgress();
  for (const item of data.assignments) {
    const li = document.createElement("li");
    li.className = "lesson-item";
    li.dataset.assignedLesson = item.slug;
    if (item.done) li.classList.add("is-done");
    const link = document.createElement("a");
    link.href = item.url;
    const title = document.createElement("span");
    title.className = "lesson-title";
    title.textContent = item.title;
    const meta = document.createElement("span");
    meta.className = "lesson-meta";
    meta.dataset.assignedStatus = "";
    meta.textContent = statusText(item, local[item.slug], data.sharing !== false);
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

// A lesson done on this phone whose news never reached the clinic (offline
// at the time, a dropped request): send it again now. The server keeps one
// record per lesson, so repeating is safe. Returns true if anything changed.
async function resendMissing(data) {
  if (data.sharing === false) return false;
  const local = readProgress();
  let changed = false;
  for (const item of data.assignments) {
    const mine = local[item.slug];
    if (item.done || !mine?.doneAt) continue;
    const answer = await sendProgress(progressItem(item.slug, mine));
    if (answer?.recorded) {
      Object.assign(item, { done: true, score: answer.score, total: answer.total });
      changed = true;
    }
  }
  return changed;
}

async function refresh() {
  if (!section) return;
  const data = await fetchAssignments();
  if (!data || !data.patient) {
    section.hidden = true;
    return;
  }
  render(data);
  if (await resendMissing(data)) render(data);
}

refresh();
// Coming back to the page (back button, bfcache): show what changed.
window.addEventListener("pageshow", (event) => { if (event.persisted) refresh(); });
window.addEventListener("online", () => refresh());
