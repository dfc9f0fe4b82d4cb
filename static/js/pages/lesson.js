// One lesson page: reading progress, the knowledge check, "mark as done".
// All of it works offline: answers and explanations are in the page. For a
// signed-in patient, a finished lesson (with its check score) goes into the
// outbox for their clinic (outbox-queue.js), which sync.js sends.
import { lessonUntold, queueLesson } from "../outbox-queue.js";
import { lessonProgress, markDone, renderProgress, saveQuizResult } from "../progress.js";
import { spaceReady } from "../space.js";
import { askToKeep } from "../storage.js";
import { gettext, interpolate } from "../i18n.js";

const page = document.querySelector("[data-lesson-page]");
const slug = page?.dataset.lessonPage;

// --- Reading progress -------------------------------------------------------
const readingBar = document.querySelector("[data-reading-progress]");
function updateReading() {
  if (!readingBar || !page) return;
  const rect = page.getBoundingClientRect();
  const scrollable = rect.height - window.innerHeight;
  const ratio = scrollable <= 0 ? 1 : Math.min(1, Math.max(0, -rect.top / scrollable));
  readingBar.value = ratio;
}
window.addEventListener("scroll", updateReading, { passive: true });
window.addEventListener("resize", updateReading);
updateReading();

// --- Knowledge check --------------------------------------------------------
// The score counts each scored question's first answer; a person may then try
// the others to read every explanation. A reflection ([data-unscored]) has no
// right answer: it shows the explanation of the choice and is not counted.
// One outbox step after another, so a score and a completion a moment
// apart are recorded in order.
let queued = Promise.resolve();
const tellClinic = (fields) => { queued = queued.then(() => queueLesson(slug, fields)).catch(() => null); };

const questions = [...document.querySelectorAll("[data-question]")];
const scored = questions.filter((fieldset) => !fieldset.hasAttribute("data-unscored"));
const firstAnswers = new Map();
const scoreLine = document.querySelector("[data-quiz-score]");

function showReflection(fieldset, input) {
  fieldset.querySelectorAll("[data-explanation]").forEach((p) => { p.hidden = true; });
  input.closest(".choice").querySelector("[data-explanation]").hidden = false;
  fieldset.querySelector("[data-feedback]").textContent = gettext("Thanks for thinking it through.");
}

function showAnswer(fieldset, input) {
  const correct = input.hasAttribute("data-correct");
  fieldset.querySelectorAll("[data-explanation]").forEach((p) => { p.hidden = true; });
  fieldset.querySelectorAll(".choice").forEach((c) => c.classList.remove("is-right", "is-wrong"));
  const choice = input.closest(".choice");
  choice.classList.add(correct ? "is-right" : "is-wrong");
  // The words after the mark (CSS draws "✓ …"/"✗ …"), in the page's language.
  choice.querySelector("label").dataset.mark = correct ? gettext("right answer") : gettext("your answer");
  choice.querySelector("[data-explanation]").hidden = false;
  const feedback = fieldset.querySelector("[data-feedback]");
  if (correct) {
    feedback.textContent = gettext("That’s right.");
  } else {
    const right = fieldset.querySelector("[data-correct]");
    right.closest(".choice").classList.add("is-right");
    right.closest(".choice").querySelector("label").dataset.mark = gettext("right answer");
    right.closest(".choice").querySelector("[data-explanation]").hidden = false;
    feedback.textContent = gettext("Not quite. The right answer is marked below it.");
  }
}

questions.forEach((fieldset) => {
  fieldset.addEventListener("change", (event) => {
    const input = event.target;
    if (!(input instanceof HTMLInputElement)) return;
    const index = scored.indexOf(fieldset);
    if (index === -1) {
      showReflection(fieldset, input);
      return;
    }
    if (!firstAnswers.has(index)) firstAnswers.set(index, input.hasAttribute("data-correct"));
    showAnswer(fieldset, input);
    if (firstAnswers.size === scored.length) {
      const score = [...firstAnswers.values()].filter(Boolean).length;
      saveQuizResult(slug, score, scored.length);
      scoreLine.textContent = interpolate(
        gettext("You got %(score)s of %(total)s right first time. Your result is saved on this phone."),
        { score, total: scored.length },
      );
      tellClinic({ score, total: scored.length });
      askToKeep();
    }
  });
});

// --- Mark as done -----------------------------------------------------------
const doneButton = document.querySelector("[data-mark-done]");
const doneMessage = document.querySelector("[data-done-message]");

function showDone() {
  doneButton.textContent = gettext("Done ✓");
  doneButton.disabled = true;
  document.querySelectorAll("[data-lesson-page] [data-lesson-status]").forEach((el) => { el.textContent = gettext("Done"); });
}

// Done here but never told to the clinic of the account signed in (see
// outbox-queue.js's lessonUntold): "Done ✓" cannot be pressed again, so
// this button is the person's way to tell them. Never done by itself:
// what was done signed out is not sent unless the person says so.
const tellButton = document.querySelector("[data-tell-clinic]");
async function offerToTell() {
  if (tellButton && slug) tellButton.hidden = !(lessonProgress(slug).doneAt && (await lessonUntold(slug)));
}

await spaceReady();
if (slug && lessonProgress(slug).doneAt) showDone();
offerToTell();

tellButton?.addEventListener("click", async () => {
  const { doneAt, score, total } = lessonProgress(slug);
  tellButton.hidden = true;
  tellClinic({ doneAt, score, total });
  await queued;
  doneMessage.textContent = gettext("It goes to your clinic with the day you did it.");
});

doneButton?.addEventListener("click", async () => {
  if (markDone(slug)) {
    showDone();
    tellClinic({ doneAt: lessonProgress(slug).doneAt });
    // Say "Saved" once the outbox has it too: leaving the page mid-write
    // would lose the clinic's copy (never the phone's own, saved above).
    await queued;
    doneMessage.textContent = gettext("Saved. Well done for taking the time.");
    askToKeep();
  } else {
    doneMessage.textContent = gettext("This browser would not let Crest save. Your progress could not be kept.");
  }
  renderProgress();
});

renderProgress();
