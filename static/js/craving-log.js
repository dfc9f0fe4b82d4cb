// The craving log: entry shape, storage (IndexedDB "cravings", this
// person's only, in boxes under a lock: person-store.js), and the pure sums
// behind the history screen (30-day series, patterns, CSV/JSON). The tools,
// outcomes and triggers are the page's (choices.js). No DOM here besides
// those, so node --test can check the sums (tests/js/).
import { names, OUTCOMES, TOOLS, TRIGGER_KINDS } from "./choices.js";
import { uuid } from "./db.js";
import { drop, dropAll, keep, readAll } from "./person-store.js";
import { gettext, interpolate, LANGUAGE, LOCALE, ngettext, pgettext } from "./i18n.js";

const STORE = "cravings";
export const ENTRY_VERSION = 1;

function rating(value) {
  if (value === null || value === undefined || value === "") return null;
  const n = Number(value);
  return Number.isInteger(n) && n >= 0 && n <= 10 ? n : null;
}

function isoOrNull(value) {
  const date = value ? new Date(value) : null;
  return date && !Number.isNaN(date.getTime()) ? date.toISOString() : null;
}

function strings(list) {
  return Array.isArray(list) ? list.filter((s) => typeof s === "string" && s.trim()).map((s) => s.trim().slice(0, 80)) : [];
}

// Whatever comes in (a form, an old draft, an import), what is stored has
// this shape and nothing else.
export function normalizeEntry(raw = {}) {
  const triggers = {};
  for (const kind of TRIGGER_KINDS) triggers[kind] = strings(raw.triggers?.[kind]);
  return {
    id: typeof raw.id === "string" && raw.id ? raw.id : uuid(),
    v: ENTRY_VERSION,
    startedAt: isoOrNull(raw.startedAt) || new Date().toISOString(),
    endedAt: isoOrNull(raw.endedAt),
    before: rating(raw.before),
    after: rating(raw.after),
    tool: Object.hasOwn(TOOLS, raw.tool ?? "") ? raw.tool : null,
    outcome: Object.hasOwn(OUTCOMES, raw.outcome ?? "") ? raw.outcome : null,
    triggers,
    note: typeof raw.note === "string" ? raw.note.slice(0, 2000) : "",
  };
}

// --- Storage -----------------------------------------------------------------
// Saved while Crest is locked too (sealed): logging a craving never waits for a PIN.
export async function saveEntry(raw) {
  const entry = normalizeEntry(raw);
  await keep(STORE, entry);
  return entry;
}

// Rejects with Locked (person-store.js) while the log is locked.
export async function listEntries() {
  return sortNewestFirst(await readAll(STORE));
}

export const deleteEntry = (id) => drop(STORE, id);
export const deleteAllEntries = () => dropAll(STORE);

// --- Sums ----------------------------------------------------------------------
export function sortNewestFirst(entries) {
  return [...entries].sort((a, b) => (a.startedAt < b.startedAt ? 1 : a.startedAt > b.startedAt ? -1 : 0));
}

export function dayKey(date) {
  const d = new Date(date);
  return `${d.getFullYear()}-${String(d.getMonth() + 1).padStart(2, "0")}-${String(d.getDate()).padStart(2, "0")}`;
}

function average(values) {
  const present = values.filter((v) => v !== null && v !== undefined);
  return present.length ? present.reduce((a, b) => a + b, 0) / present.length : null;
}

// One row per local calendar day, oldest first, ending today.
export function dailySeries(entries, now = new Date(), days = 30) {
  const byDay = new Map();
  for (const entry of entries) {
    const key = dayKey(entry.startedAt);
    if (!byDay.has(key)) byDay.set(key, []);
    byDay.get(key).push(entry);
  }
  const series = [];
  for (let i = days - 1; i >= 0; i -= 1) {
    const date = new Date(now.getFullYear(), now.getMonth(), now.getDate() - i, 12);
    const dayEntries = byDay.get(dayKey(date)) || [];
    series.push({
      date,
      key: dayKey(date),
      count: dayEntries.length,
      before: average(dayEntries.map((e) => e.before)),
      after: average(dayEntries.map((e) => e.after)),
    });
  }
  return series;
}

const round1 = (n) => Math.round(n * 10) / 10;

export function seriesSummary(series) {
  const total = series.reduce((sum, day) => sum + day.count, 0);
  if (!total) return interpolate(gettext("No cravings logged in the last %(days)s days."), { days: series.length });
  const activeDays = series.filter((day) => day.count).length;
  const weigh = (field) => {
    let sum = 0;
    let n = 0;
    for (const day of series) {
      if (day[field] !== null) { sum += day[field] * day.count; n += day.count; }
    }
    return n ? round1(sum / n) : null;
  };
  const before = weigh("before");
  const after = weigh("after");
  const parts = [
    interpolate(
      ngettext(
        "%(total)s craving logged on %(active)s of the last %(days)s days.",
        "%(total)s cravings logged on %(active)s of the last %(days)s days.",
        total,
      ),
      { total, active: activeDays, days: series.length },
    ),
  ];
  const number = (n) => n.toLocaleString(LOCALE);
  if (before !== null) parts.push(interpolate(gettext("Average strength at the start: %(n)s out of 10."), { n: number(before) }));
  if (after !== null) parts.push(interpolate(gettext("Average strength at the end: %(n)s out of 10."), { n: number(after) }));
  return parts.join(" ");
}

export const TIME_BUCKETS = [
  { key: "night", label: gettext("Night (midnight to 6am)"), from: 0, to: 6 },
  { key: "morning", label: gettext("Morning (6am to noon)"), from: 6, to: 12 },
  { key: "afternoon", label: gettext("Afternoon (noon to 6pm)"), from: 12, to: 18 },
  { key: "evening", label: gettext("Evening (6pm to midnight)"), from: 18, to: 24 },
];

export function timeOfDay(date) {
  const hour = new Date(date).getHours();
  return TIME_BUCKETS.find((b) => hour >= b.from && hour < b.to).key;
}

export function patterns(entries, topN = 5) {
  const buckets = TIME_BUCKETS.map((b) => ({ key: b.key, label: b.label, count: 0 }));
  const triggerCounts = new Map();
  for (const entry of entries) {
    buckets.find((b) => b.key === timeOfDay(entry.startedAt)).count += 1;
    for (const kind of TRIGGER_KINDS) {
      for (const label of entry.triggers?.[kind] || []) triggerCounts.set(label, (triggerCounts.get(label) || 0) + 1);
    }
  }
  const topTriggers = [...triggerCounts.entries()]
    .map(([label, count]) => ({ label: names.trigger(label), count }))
    .sort((a, b) => b.count - a.count || a.label.localeCompare(b.label, LOCALE))
    .slice(0, topN);
  return { buckets, topTriggers };
}

// --- Export ------------------------------------------------------------------
// Column names in the page's language (a spreadsheet is read by people);
// the JSON file keeps the stored field names, with the words beside them.
export const CSV_COLUMNS = [
  "id",
  pgettext("CSV column", "started_at"),
  pgettext("CSV column", "ended_at"),
  pgettext("CSV column", "before"),
  pgettext("CSV column", "after"),
  pgettext("CSV column", "tool"),
  pgettext("CSV column", "outcome"),
  pgettext("CSV column", "people"),
  pgettext("CSV column", "places"),
  pgettext("CSV column", "feelings"),
  pgettext("CSV column", "halt"),
  pgettext("CSV column", "note"),
];

// Quote every cell that needs it (RFC 4180), and defuse cells a spreadsheet
// would run as a formula (OWASP "CSV injection").
export function csvCell(value) {
  let text = value === null || value === undefined ? "" : String(value);
  if (/^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function toCsv(entries) {
  const rows = entries.map((e) => [
    e.id, e.startedAt, e.endedAt, e.before, e.after,
    e.tool ? names.tool(e.tool) : "", e.outcome ? names.outcome(e.outcome) : "",
    ...TRIGGER_KINDS.map((kind) => (e.triggers?.[kind] || []).map(names.trigger).join("; ")),
    e.note,
  ]);
  return [CSV_COLUMNS, ...rows].map((row) => row.map(csvCell).join(",")).join("\r\n") + "\r\n";
}

export function toJson(entries, now = new Date()) {
  // The stored names (keys, English trigger labels) stay as they are, so a
  // file reads back the same in any language; `labels` gives their words.
  const labels = {
    language: LANGUAGE,
    tool: Object.fromEntries(Object.keys(TOOLS).map((key) => [key, names.tool(key)])),
    outcome: Object.fromEntries(Object.keys(OUTCOMES).map((key) => [key, names.outcome(key)])),
    trigger: Object.fromEntries(
      [...new Set(entries.flatMap((e) => TRIGGER_KINDS.flatMap((kind) => e.triggers?.[kind] || [])))].map((label) => [label, names.trigger(label)]),
    ),
  };
  return JSON.stringify({ app: "Crest", kind: "craving-log", version: ENTRY_VERSION, exportedAt: now.toISOString(), labels, entries }, null, 2);
}
