// "Lock Crest with a PIN" on /me/ (accounts/_phone_lock.html): set the lock,
// lock now, turn it off, or unlock here. For this page's space (space.js):
// the signed-in account's data, or the signed-out data. docs/app-lock.md.
import { gettext, interpolate, ngettext } from "../i18n.js";
import { secretProblem } from "../lock.js";
import { IDLE_MS, lockNow, lockStatus, onLockChange, removeLock, setLock } from "../lock-state.js";
import { lockedNotice } from "../lock-ui.js";

const root = document.querySelector("[data-phone-lock]");

const PROBLEMS = {
  "pin-short": gettext("A PIN needs at least 6 digits."),
  "passphrase-short": gettext("A passphrase needs at least 8 characters."),
};

if (root) {
  const state = root.querySelector("[data-lock-state]");
  const form = root.querySelector("[data-lock-set]");
  const actions = root.querySelector("[data-lock-actions]");
  const unlockBox = root.querySelector("[data-lock-unlock]");
  const status = root.querySelector("[data-lock-status]");
  const minutes = IDLE_MS / 60_000;

  async function show() {
    const now = await lockStatus().catch(() => "unavailable");
    form.hidden = now !== "none";
    actions.hidden = now !== "unlocked";
    if (now === "locked") {
      if (!unlockBox.firstChild) unlockBox.append(lockedNotice(gettext("Crest is locked. Enter the PIN or passphrase to change the lock.")));
    } else {
      unlockBox.replaceChildren();
    }
    state.textContent = {
      none: gettext("Crest is not locked on this phone."),
      unlocked: interpolate(ngettext(
        "Crest is locked with a PIN, and unlocked now. It locks again after %(n)s minute without use, or when it has been closed that long.",
        "Crest is locked with a PIN, and unlocked now. It locks again after %(n)s minutes without use, or when it has been closed that long.",
        minutes,
      ), { n: minutes }),
      locked: "",
      unavailable: gettext("This browser can’t keep a lock right now (private browsing can block it)."),
    }[now];
    root.dataset.ready = now;
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const [first, again] = [form.querySelector("#lock-new"), form.querySelector("#lock-again")];
    const problem = secretProblem(first.value);
    if (problem) {
      status.textContent = PROBLEMS[problem];
      first.focus();
      return;
    }
    if (first.value !== again.value) {
      status.textContent = gettext("The two are not the same. Please type it again.");
      again.value = "";
      again.focus();
      return;
    }
    const secret = first.value;
    form.reset();
    form.querySelector("button").disabled = true;
    status.textContent = gettext("Locking…");
    try {
      await setLock(secret);
      status.textContent = gettext("Done. What Crest keeps for you on this phone is locked with your PIN.");
    } catch {
      status.textContent = gettext("Crest could not set the lock on this phone. Please try again.");
    }
    form.querySelector("button").disabled = false;
    await show();
  });

  root.querySelector("[data-lock-now]").addEventListener("click", async () => {
    await lockNow();
    status.textContent = gettext("Locked.");
  });

  root.querySelector("[data-lock-off]").addEventListener("click", async () => {
    try {
      await removeLock();
      status.textContent = gettext("The lock is off. What it kept is on this phone without it.");
    } catch {
      status.textContent = gettext("Crest could not turn the lock off. Please try again.");
    }
  });

  onLockChange(() => show());
  show();
}
