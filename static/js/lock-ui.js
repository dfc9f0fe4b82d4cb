// The app lock on the pages (docs/app-lock.md): the notice that stands in
// for what is locked, with its unlock form and "Forgot your PIN?". Help
// now, the craving tools and the lessons never show it. What the person types is never
// kept: it goes to lock-state.js unlock() and the field is emptied.
import { gettext, interpolate, ngettext } from "./i18n.js";
import { forgetLock, lockOf, unlock, waitLeft } from "./lock-state.js";

let made = 0;

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

function seconds(ms) {
  const n = Math.ceil(ms / 1000);
  return interpolate(ngettext("You can try again in %(n)s second.", "You can try again in %(n)s seconds.", n), { n });
}

// A notice saying what is locked (`message`), with the form that unlocks
// it. On success every page's modules redraw themselves (onLockChange).
export function lockedNotice(message) {
  made += 1;
  const id = `unlock-${made}`;
  const box = el("div", { class: "card locked-notice", "data-locked-notice": "" });
  box.append(el("p", { class: "locked-message" }, message));
  const form = el("form", { class: "unlock-form", "data-unlock-form": "" });
  const label = el("label", { for: id }, gettext("PIN or passphrase"));
  // autocomplete off: a password manager should not keep the PIN.
  const input = el("input", { id, type: "password", name: "secret", autocomplete: "off", required: "", spellcheck: "false" });
  const button = el("button", { type: "submit", class: "button" }, gettext("Unlock"));
  form.append(label, input, " ", button);
  const status = el("p", { role: "status", "data-unlock-status": "" });
  const forgot = el("button", { type: "button", class: "button-small", "data-forgot": "" }, gettext("Forgot your PIN or passphrase?"));
  const confirm = el("div", { "data-forgot-confirm": "", hidden: "" });
  confirm.append(
    el("p", {}, gettext("Nobody can open what the lock keeps without the PIN or passphrase: not you, not Crest, not your clinic.")),
    el("p", {}, gettext("Removing the lock deletes, from this phone and for good, everything it keeps: your craving log and notes, reasons, people, distraction ideas and safety plan. What your clinic has is not touched, and your lessons and tools stay.")),
  );
  const yes = el("button", { type: "button", class: "button-danger", "data-forgot-yes": "" }, gettext("Remove the lock and what it keeps"));
  const no = el("button", { type: "button", class: "button-secondary", "data-forgot-no": "" }, gettext("Keep trying"));
  const actions = el("p", { class: "actions" });
  actions.append(yes, " ", no);
  confirm.append(actions);
  const forgotLine = el("p");
  forgotLine.append(forgot);
  box.append(form, status, forgotLine, confirm);

  let timer = null;
  function waitFor(ms, lead = "") {
    clearInterval(timer);
    button.disabled = true;
    const until = Date.now() + ms;
    const tick = () => {
      const left = until - Date.now();
      if (left <= 0) {
        clearInterval(timer);
        button.disabled = false;
        status.textContent = lead;
        return;
      }
      status.textContent = `${lead} ${seconds(left)}`.trim();
    };
    tick();
    timer = setInterval(tick, 1000);
  }

  lockOf().then((lock) => {
    if (lock?.kind === "pin") input.setAttribute("inputmode", "numeric");
    const left = waitLeft(lock);
    if (left > 0) waitFor(left);
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const secret = input.value;
    input.value = "";
    button.disabled = true;
    status.textContent = gettext("Checking…");
    const result = await unlock(secret).catch(() => ({ state: "error" }));
    button.disabled = false;
    if (result.state === "unlocked" || result.state === "none") {
      status.textContent = gettext("Unlocked.");
    } else if (result.state === "wrong") {
      const lead = gettext("That is not the PIN or passphrase for this lock.");
      if (result.waitMs > 0) waitFor(result.waitMs, lead);
      else status.textContent = lead;
      input.focus();
    } else if (result.state === "wait") {
      waitFor(result.waitMs);
    } else {
      status.textContent = gettext("Crest could not check it on this phone. Please try again.");
    }
  });

  forgot.addEventListener("click", () => {
    confirm.hidden = false;
    forgot.hidden = true;
    no.focus();
  });
  no.addEventListener("click", () => {
    confirm.hidden = true;
    forgot.hidden = false;
    forgot.focus();
  });
  yes.addEventListener("click", async () => {
    yes.disabled = true;
    try {
      await forgetLock();
      status.textContent = gettext("The lock and what it kept are removed from this phone.");
    } catch {
      status.textContent = gettext("Could not remove it. Please try again.");
    }
    yes.disabled = false;
  });
  return box;
}

// Lock `area` (a container of what is locked) or unlock it: locked, its
// children (but those matching `keep`) are hidden and the notice saying
// `message` stands before them; unlocked (`message` null), what the lock
// hid shows again and the notice goes.
export function lockArea(area, message, { keep = "" } = {}) {
  const notice = area.querySelector(":scope > [data-locked-notice]");
  const parts = [...area.children].filter((child) => child !== notice && !(keep && child.matches(keep)));
  for (const part of parts) {
    if (message && !part.hidden) {
      part.hidden = true;
      part.dataset.lockHidden = "";
    } else if (!message && "lockHidden" in part.dataset) {
      part.hidden = false;
      delete part.dataset.lockHidden;
    }
  }
  if (message && !notice) area.insertBefore(lockedNotice(message), parts[0] || null);
  else if (!message) notice?.remove();
}
