// /craving/safety-plan/: read the plan, change it, delete it. Shown as a
// list to read in a crisis once it has something in it, and as a form
// until then. What the person typed is only ever set with textContent.
import { confirmAction } from "../confirm.js";
import { gettext, pgettext } from "../i18n.js";
import { phoneHref } from "../lists.js";
import { onLockChange } from "../lock-state.js";
import { lockArea } from "../lock-ui.js";
import { Locked } from "../person-store.js";
import { deletePlan, isEmpty, loadPlan, savePlan } from "../safety-plan.js";
import { askToKeep } from "../storage.js";

const root = document.querySelector("[data-safety-plan]");

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function contactItem(contact) {
  const li = el("li", "plan-contact-item");
  const who = el("p", "own-text");
  who.append(el("strong", "", contact.name || contact.phone));
  if (contact.name && contact.phone) who.append(" ", el("span", "muted", contact.phone));
  li.append(who);
  const call = phoneHref("tel", contact.phone);
  const text = phoneHref("sms", contact.phone);
  if (call || text) {
    const actions = el("p", "actions");
    const label = contact.name || contact.phone;
    if (call) {
      const a = el("a", "button", gettext("Call"));
      a.href = call;
      a.append(el("span", "visually-hidden", ` ${label}`));
      actions.append(a, " ");
    }
    if (text) {
      const a = el("a", "button-secondary", pgettext("send a text message", "Text"));
      a.href = text;
      a.append(el("span", "visually-hidden", ` ${label}`));
      actions.append(a);
    }
    li.append(actions);
  }
  return li;
}

if (root) {
  const view = root.querySelector("[data-plan-view]");
  const form = root.querySelector("[data-plan-form]");
  const status = root.querySelector("[data-plan-status]");
  const cancel = root.querySelector("[data-plan-cancel]");
  const deleteButton = root.querySelector("[data-plan-delete]");
  const unavailable = root.querySelector("[data-plan-unavailable]");
  let plan = null;

  function show(mode) {
    view.hidden = mode !== "view";
    form.hidden = mode !== "edit";
    cancel.hidden = mode !== "edit" || !plan || isEmpty(plan);
    deleteButton.hidden = !plan || isEmpty(plan);
  }

  function renderView() {
    for (const list of view.querySelectorAll("[data-plan-show]")) {
      const items = plan.steps[list.dataset.planShow] || [];
      list.replaceChildren(...items.map((item) => (typeof item === "string" ? el("li", "", item) : contactItem(item))));
      view.querySelector(`[data-plan-show-empty="${list.dataset.planShow}"]`).hidden = items.length > 0;
    }
  }

  function fillForm() {
    for (const field of form.querySelectorAll("[data-plan-field]")) {
      field.value = (plan.steps[field.dataset.planField] || []).join("\n");
    }
    const rows = new Map();
    for (const row of form.querySelectorAll("[data-plan-contact]")) {
      const key = row.dataset.planContact;
      rows.set(key, [...(rows.get(key) || []), row]);
    }
    for (const [key, boxes] of rows) {
      const contacts = (plan.steps[key] || []).filter((item) => typeof item === "object");
      boxes.forEach((row, i) => {
        const [name, phone] = row.querySelectorAll("input");
        name.value = contacts[i]?.name || "";
        phone.value = contacts[i]?.phone || "";
      });
    }
  }

  function readForm() {
    const steps = {};
    for (const field of form.querySelectorAll("[data-plan-field]")) {
      steps[field.dataset.planField] = field.value.split("\n");
    }
    for (const row of form.querySelectorAll("[data-plan-contact]")) {
      const [name, phone] = row.querySelectorAll("input");
      (steps[row.dataset.planContact] ||= []).push({ name: name.value, phone: phone.value });
    }
    return { steps };
  }

  // Locked: the plan is not on the page at all (the crisis lines above stay).
  const PLAN_ONLY = { keep: ":not([data-plan-view]):not([data-plan-form])" };

  async function start() {
    try {
      plan = await loadPlan();
      lockArea(root, null, PLAN_ONLY);
    } catch (error) {
      plan = { steps: {} };
      if (error instanceof Locked) {
        fillForm();
        renderView();
        view.hidden = true;
        form.hidden = true;
        lockArea(root, gettext("Your safety plan is locked. Help now and the crisis lines above never are."), PLAN_ONLY);
        root.dataset.ready = "true";
        return;
      }
      unavailable.hidden = false;
    }
    showPlan();
    root.dataset.ready = "true";
  }

  // The plan as kept: its form filled in, shown as a plan, or as the form
  // to write one while it is empty.
  function showPlan() {
    fillForm();
    if (isEmpty(plan)) {
      show("edit");
    } else {
      renderView();
      show("view");
    }
  }

  root.querySelector("[data-plan-edit]").addEventListener("click", () => {
    fillForm();
    show("edit");
    status.textContent = "";
    form.querySelector("textarea, input")?.focus();
  });

  cancel.addEventListener("click", () => {
    renderView();
    show("view");
  });

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    try {
      plan = await savePlan(readForm());
    } catch {
      status.textContent = gettext("Could not save on this phone. Your text is still in the boxes.");
      return;
    }
    askToKeep();
    unavailable.hidden = true;
    showPlan();
    status.textContent = gettext("Saved on this phone.");
  });

  deleteButton.addEventListener("click", async () => {
    if (!(await confirmAction(gettext("Delete your whole safety plan from this phone?"), gettext("Delete")))) return;
    try {
      await deletePlan();
      plan = { steps: {} };
      fillForm();
      show("edit");
      status.textContent = gettext("Deleted.");
    } catch {
      status.textContent = gettext("Could not delete it. Please try again.");
    }
  });

  start();
  onLockChange(() => start());
}
