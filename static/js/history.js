// The craving log screen: 30-day chart with a text summary, patterns,
// the history list (newest first), download and delete.
import { drawDailyChart } from "./chart.js";
import { confirmAction } from "./confirm.js";
import { names, TRIGGER_KINDS } from "./choices.js";
import {
  dailySeries, deleteAllEntries, deleteEntry, listEntries, patterns, seriesSummary,
  toCsv, toJson,
} from "./craving-log.js";
import { datedName, downloadText } from "./export.js";
import { onLockChange } from "./lock-state.js";
import { lockArea } from "./lock-ui.js";
import { forget } from "./outbox-queue.js";
import { Locked } from "./person-store.js";
import { gettext, interpolate, LOCALE, ngettext } from "./i18n.js";

function el(tag, className, text) {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

function when(iso) {
  return new Date(iso).toLocaleString(LOCALE, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
}

function scores(entry) {
  const b = entry.before ?? "–";
  const a = entry.after ?? "–";
  if (entry.before === null && entry.after === null) return gettext("Not rated");
  return interpolate(gettext("Strength %(before)s at the start, %(after)s at the end"), { before: b, after: a });
}

function renderEntry(entry, onDelete) {
  const li = el("li", "entry");
  const time = el("time", "entry-when", when(entry.startedAt));
  time.dateTime = entry.startedAt;
  li.append(time, el("p", "entry-scores", scores(entry)));
  const what = [entry.tool && names.tool(entry.tool), entry.outcome && names.outcome(entry.outcome)].filter(Boolean).join(" · ");
  if (what) li.append(el("p", "entry-what", what));
  const triggers = TRIGGER_KINDS.flatMap((kind) => entry.triggers?.[kind] || []).map(names.trigger);
  if (triggers.length) li.append(el("p", "entry-triggers", interpolate(gettext("Triggers: %(list)s"), { list: triggers.join(", ") })));
  // The note is the person's own text: textContent only, never HTML.
  if (entry.note) li.append(el("p", "entry-note", entry.note));
  const del = el("button", "button-small", gettext("Delete"));
  del.type = "button";
  del.append(el("span", "visually-hidden", " " + interpolate(gettext("the entry from %(when)s"), { when: when(entry.startedAt) })));
  del.addEventListener("click", () => onDelete(entry));
  li.append(del);
  return li;
}

export function initHistory(root) {
  if (!root) return { enter() {} };
  const $ = (sel) => root.querySelector(sel);
  const status = $("[data-log-status]");
  let entries = [];

  // Locked: only the heading and the last word ("Saved") stay.
  const KEEP = ".back, h1, [data-log-status], [data-log-used]";

  async function render() {
    $("[data-log-unavailable]").hidden = true;
    let locked = false;
    try {
      entries = await listEntries();
      lockArea(root, null, { keep: KEEP });
    } catch (error) {
      entries = [];
      locked = error instanceof Locked;
      $("[data-log-unavailable]").hidden = locked;
    }
    const series = dailySeries(entries);
    drawDailyChart($("[data-log-chart]"), series);
    $("[data-log-summary]").textContent = seriesSummary(series);

    const { buckets, topTriggers } = patterns(entries, 5);
    $("[data-log-times]").replaceChildren(...buckets.map((b) => el("li", "", `${b.label}: ${b.count}`)));
    $("[data-log-triggers]").replaceChildren(...topTriggers.map((t) => el("li", "", `${t.label}: ${t.count}`)));
    $("[data-log-triggers-empty]").hidden = topTriggers.length > 0;

    $("[data-log-list]").replaceChildren(...entries.map((entry) => renderEntry(entry, removeOne)));
    $("[data-log-empty]").hidden = entries.length > 0;
    root.querySelectorAll("[data-export], [data-delete-all]").forEach((b) => { b.disabled = entries.length === 0; });
    // Drawn empty first, so nothing of the log is left on the page.
    if (locked) lockArea(root, gettext("Your craving log is locked. A craving you log now is still saved, locked too."), { keep: KEEP });
    root.dataset.state = locked ? "locked" : "shown";
  }

  async function removeOne(entry) {
    if (!(await confirmAction(interpolate(gettext("Delete the entry from %(when)s?"), { when: when(entry.startedAt) }), gettext("Delete")))) return;
    try {
      await deleteEntry(entry.id);
      await forget(entry.id); // a summary not sent yet goes with it
      status.textContent = gettext("Entry deleted.");
    } catch {
      status.textContent = gettext("Could not delete it. Please try again.");
    }
    await render();
    $("h1").focus();
  }

  $("[data-delete-all]").addEventListener("click", async () => {
    const n = entries.length;
    const question = ngettext("Delete all %(n)s entry? This can’t be undone.", "Delete all %(n)s entries? This can’t be undone.", n);
    if (!(await confirmAction(interpolate(question, { n }), gettext("Delete all")))) return;
    try {
      await deleteAllEntries();
      for (const entry of entries) await forget(entry.id);
      status.textContent = gettext("All entries deleted.");
    } catch {
      status.textContent = gettext("Could not delete them. Please try again.");
    }
    await render();
  });

  root.querySelectorAll("[data-export]").forEach((button) => {
    button.addEventListener("click", () => {
      // Oldest first in a file: it reads like a diary.
      const rows = [...entries].reverse();
      if (button.dataset.export === "csv") {
        downloadText(datedName("crest-cravings", "csv"), toCsv(rows), "text/csv;charset=utf-8");
      } else {
        downloadText(datedName("crest-cravings", "json"), toJson(rows, new Date()), "application/json");
      }
    });
  });

  onLockChange(() => { if (!root.hidden) render(); });

  return {
    enter: render,
    say(text) { status.textContent = text; },
    showUsed(show) { $("[data-log-used]").hidden = !show; },
  };
}
