// The person's own lists: reasons to stay stopped, people to call or text,
// distractions. Kept on the device (IndexedDB "lists", this person's only,
// in boxes under a lock: person-store.js), editable and deletable. What the
// person typed is only ever set with textContent.
import { uuid } from "./db.js";
import { confirmAction } from "./confirm.js";
import { onLockChange } from "./lock-state.js";
import { lockArea } from "./lock-ui.js";
import { drop, keep, Locked, readAll } from "./person-store.js";
import { askToKeep } from "./storage.js";
import { gettext, interpolate, pgettext } from "./i18n.js";

const STORE = "lists";

// Only digits, a leading +, * and # reach a tel:/sms: link; anything else
// (letters, spaces, "javascript:") is dropped.
export function phoneHref(scheme, phone) {
  const trimmed = String(phone || "").trim();
  const digits = trimmed.replace(/[^\d*#]/g, "");
  if (!digits) return null;
  return `${scheme}:${trimmed.startsWith("+") ? "+" : ""}${digits}`;
}

const LOCKED = {
  reason: gettext("Your reasons are locked."),
  person: gettext("Your people are locked."),
  distraction: gettext("Your distraction ideas are locked."),
};

export function normalizeItem(kind, fields, existing = null) {
  const clean = (value, max) => String(value || "").trim().slice(0, max);
  const item = {
    id: existing?.id || uuid(),
    kind,
    createdAt: existing?.createdAt || new Date().toISOString(),
    updatedAt: new Date().toISOString(),
  };
  if (kind === "person") {
    item.name = clean(fields.name, 80);
    item.phone = clean(fields.phone, 30);
    return item.name && item.phone ? item : null;
  }
  item.text = clean(fields.text, 300);
  return item.text ? item : null;
}

// Rejects with Locked while the lists are locked.
export async function listItems(kind) {
  const all = await readAll(STORE);
  return all.filter((item) => item.kind === kind).sort((a, b) => (a.createdAt < b.createdAt ? -1 : 1));
}

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function labelled(text, hidden) {
  const button = el("button", "button-small");
  button.type = "button";
  button.append(text, el("span", "visually-hidden", ` ${hidden}`));
  return button;
}

function itemLabel(item) {
  return item.kind === "person" ? item.name : item.text;
}

function renderItem(item, { editable, onEdit, onDelete }) {
  const li = el("li", "own-item");
  if (item.kind === "person") {
    const who = el("p", "own-text");
    who.append(el("strong", "", item.name), " ", el("span", "muted", item.phone));
    li.append(who);
    const actions = el("p", "actions");
    const call = phoneHref("tel", item.phone);
    const text = phoneHref("sms", item.phone);
    if (call) {
      const a = el("a", "button", gettext("Call"));
      a.href = call;
      a.append(el("span", "visually-hidden", ` ${item.name}`));
      actions.append(a, " ");
    }
    if (text) {
      const a = el("a", "button-secondary", pgettext("send a text message", "Text"));
      a.href = text;
      a.append(el("span", "visually-hidden", ` ${item.name}`));
      actions.append(a);
    }
    li.append(actions);
  } else {
    li.append(el("p", "own-text", item.text));
  }
  if (editable) {
    const tools = el("p", "actions own-edit");
    const edit = labelled(gettext("Edit"), itemLabel(item));
    const del = labelled(gettext("Delete"), itemLabel(item));
    edit.addEventListener("click", () => onEdit(item));
    del.addEventListener("click", () => onDelete(item));
    tools.append(edit, " ", del);
    li.append(tools);
  }
  return li;
}

export function initLists(root = document) {
  const editors = [...root.querySelectorAll("[data-list]")];
  const views = [...root.querySelectorAll("[data-list-view]")];
  let available = true;

  async function renderAll() {
    for (const box of [...editors, ...views]) {
      const kind = box.dataset.list || box.dataset.listView;
      const editable = Boolean(box.dataset.list);
      const list = box.querySelector("[data-list-items]");
      const empty = box.querySelector("[data-list-empty]");
      let items = [];
      try {
        items = await listItems(kind);
        lockArea(box, null);
      } catch (error) {
        if (error instanceof Locked) {
          list.replaceChildren();
          resetForm(box);
          lockArea(box, LOCKED[kind]);
          box.dataset.state = "locked";
          continue;
        }
        available = false;
        const status = box.querySelector("[data-list-status]");
        if (status) status.textContent = gettext("This browser can’t save lists right now.");
      }
      list.replaceChildren(...items.map((item) => renderItem(item, { editable, onEdit: (i) => startEdit(box, i), onDelete: (i) => askDelete(box, i) })));
      if (empty) empty.hidden = items.length > 0;
      box.dataset.state = "shown";
    }
  }

  function resetForm(box) {
    const form = box.querySelector("[data-list-form]");
    if (!form) return;
    form.reset();
    form.elements.id.value = "";
    form.dataset.editing = "";
    box.querySelector("[data-list-cancel]").hidden = true;
    const label = box.querySelector("[data-list-form-label]");
    label.textContent = label.dataset.addText || label.textContent;
  }

  function startEdit(box, item) {
    const form = box.querySelector("[data-list-form]");
    form.elements.id.value = item.id;
    form.dataset.editing = JSON.stringify(item);
    for (const field of ["text", "name", "phone"]) {
      if (form.elements[field]) form.elements[field].value = item[field] || "";
    }
    const label = box.querySelector("[data-list-form-label]");
    label.dataset.addText ||= label.textContent;
    label.textContent = gettext("Change it");
    box.querySelector("[data-list-cancel]").hidden = false;
    form.querySelector("input:not([type=hidden]), textarea").focus();
  }

  async function askDelete(box, item) {
    const ok = await confirmAction(interpolate(gettext("Delete “%(item)s”?"), { item: itemLabel(item) }), gettext("Delete"));
    if (!ok) return;
    const status = box.querySelector("[data-list-status]");
    try {
      await drop(STORE, item.id);
      status.textContent = gettext("Deleted.");
    } catch {
      status.textContent = gettext("Could not delete it. Please try again.");
    }
    await renderAll();
  }

  for (const box of editors) {
    const kind = box.dataset.list;
    const form = box.querySelector("[data-list-form]");
    const status = box.querySelector("[data-list-status]");
    box.querySelector("[data-list-cancel]").addEventListener("click", () => resetForm(box));
    let saving = false; // a double tap on Save keeps one item
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      if (saving) return;
      const existing = form.dataset.editing ? JSON.parse(form.dataset.editing) : null;
      const fields = Object.fromEntries(new FormData(form));
      const item = normalizeItem(kind, fields, existing);
      if (!item) return;
      saving = true;
      try {
        await keep(STORE, item);
        askToKeep();
        status.textContent = existing ? gettext("Changed.") : gettext("Saved.");
        resetForm(box);
      } catch {
        status.textContent = gettext("Could not save on this phone. Your text is still in the box.");
        return;
      } finally {
        saving = false;
      }
      await renderAll();
    });
  }

  // Locked after a while without use, or unlocked on another page: redraw.
  onLockChange(() => renderAll());
  return { render: renderAll, get available() { return available; } };
}
