// On a lesson page: when a signed-in patient finishes the check or marks the
// lesson done, tell their clinic (POST /api/v1/progress/). The phone's own
// record (progress.js) is already saved by then; this only shares it.
// Offline or signed out, nothing is sent: sending later is the outbox's job.
import { fetchAssignments, progressItem, sendProgress } from "./clinic-api.js";
import { lessonProgress } from "./progress.js";
import { gettext } from "./i18n.js";

const note = document.querySelector("[data-server-progress]");
// Asked only when there is something to share: most readers have no account.
let patientCheck = null;
const isPatient = () => (patientCheck ??= fetchAssignments().then((data) => Boolean(data?.patient)));
let queue = Promise.resolve();

function say(text) {
  if (!note) return;
  note.textContent = text;
  note.hidden = false;
}

// One item per event, built from the phone's record plus the event itself, so
// "done" sent after the check carries the score too. Sent one after another.
function share(slug, extra) {
  if (!slug) return;
  queue = queue.then(async () => {
    if (!(await isPatient())) return;
    const item = progressItem(slug, lessonProgress(slug), extra);
    if (!item) return;
    const answer = await sendProgress(item);
    if (answer?.shared === false) {
      say(gettext("Saved on this phone only. You chose not to share progress with your clinic."));
    } else if (answer?.recorded) {
      say(answer.completed_at ? gettext("Your clinic can see you have done this lesson.") : gettext("Your check result is shared with your clinic."));
    } else {
      say(gettext("Saved on this phone. It has not reached your clinic yet."));
    }
  });
}

document.addEventListener("crest:quiz-finished", (event) => {
  const { slug, score, total } = event.detail || {};
  share(slug, { score, total });
});
document.addEventListener("crest:lesson-done", (event) => {
  share(event.detail?.slug, { done: true });
});
