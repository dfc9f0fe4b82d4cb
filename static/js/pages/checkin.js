// The check-in screen a reminder opens (/check-in/): how are you, how strong
// are cravings right now, with the craving tools one tap away. The answers
// stay on the phone: shown back, and added to the on-device craving log
// only if the person asks (it is not sent to a clinic from here).
import { saveEntry } from "../craving-log.js";
import { gettext } from "../i18n.js";

const form = document.querySelector("[data-checkin]");
const answer = document.querySelector("[data-checkin-answer]");
const reply = document.querySelector("[data-checkin-reply]");
const logButton = document.querySelector("[data-checkin-log]");
const saved = document.querySelector("[data-checkin-saved]");
let strength = null;

function replyFor(mood, level) {
  const parts = [];
  if (level === null) parts.push(gettext("Thank you for checking in."));
  else if (level === 0) parts.push(gettext("No cravings right now. Good to hear."));
  else if (level <= 3) parts.push(gettext("A light one. Noticing it is a good first step."));
  else if (level <= 6) parts.push(gettext("It is there. Riding it out, slow breathing or a call to someone can help."));
  else parts.push(gettext("That is strong. It will peak and pass; the craving tools are one tap away."));
  if (mood === "hard" || mood === "low") parts.push(gettext("If you are not safe, Help now is at the top of every page."));
  return parts.join(" ");
}

form?.addEventListener("submit", (event) => {
  event.preventDefault();
  const data = new FormData(form);
  strength = data.get("strength") === null ? null : Number(data.get("strength"));
  reply.textContent = replyFor(data.get("mood"), strength);
  logButton.hidden = !(strength > 0);
  saved.textContent = "";
  answer.hidden = false;
  answer.querySelector("a")?.focus();
});

logButton?.addEventListener("click", async () => {
  if (logButton.disabled) return; // a double tap adds one entry
  logButton.disabled = true;
  try {
    await saveEntry({ startedAt: new Date().toISOString(), before: strength });
    saved.textContent = gettext("Added to the craving log on this phone.");
    logButton.hidden = true;
  } catch {
    saved.textContent = gettext("The craving log could not be saved on this phone.");
  } finally {
    logButton.disabled = false;
  }
});
