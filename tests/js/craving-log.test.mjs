// Pure sums behind the craving log (run by tests/craving/test_js.py).
import assert from "node:assert/strict";
import { test } from "node:test";
import "./craving-page.mjs";
import {
  csvCell, dailySeries, normalizeEntry, patterns, seriesSummary, sortNewestFirst, timeOfDay, toCsv, toJson,
} from "../../static/js/craving-log.js";

const at = (y, m, d, h, min = 0) => new Date(y, m - 1, d, h, min).toISOString();

test("normalizeEntry keeps only known fields and valid ratings", () => {
  const entry = normalizeEntry({
    id: "abc", startedAt: at(2025, 3, 1, 21), before: "7", after: 11, tool: "wave", outcome: "nope",
    triggers: { people: ["Family", 3, " "], halt: ["Tired"] }, note: "hi", extra: "dropped",
  });
  assert.equal(entry.id, "abc");
  assert.equal(entry.before, 7);
  assert.equal(entry.after, null);
  assert.equal(entry.tool, "wave");
  assert.equal(entry.outcome, null);
  assert.deepEqual(entry.triggers, { people: ["Family"], places: [], feelings: [], halt: ["Tired"] });
  assert.equal("extra" in entry, false);
});

test("normalizeEntry keeps only the tools and outcomes the page offers (craving-page.mjs)", () => {
  const entry = normalizeEntry({ tool: "grounding", outcome: "strong" });
  assert.equal(entry.tool, null);
  assert.equal(entry.outcome, null);
  assert.equal(normalizeEntry({ tool: "breathing", outcome: "passed" }).tool, "breathing");
});

test("normalizeEntry gives a new entry a UUID", () => {
  assert.match(normalizeEntry({}).id, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

test("sortNewestFirst puts the latest entry first", () => {
  const sorted = sortNewestFirst([{ startedAt: at(2025, 1, 1, 1) }, { startedAt: at(2025, 1, 3, 1) }, { startedAt: at(2025, 1, 2, 1) }]);
  assert.deepEqual(sorted.map((e) => new Date(e.startedAt).getDate()), [3, 2, 1]);
});

test("dailySeries covers 30 days ending today and averages each day", () => {
  const now = new Date(2025, 2, 30, 15);
  const entries = [
    normalizeEntry({ startedAt: at(2025, 3, 30, 9), before: 8, after: 4 }),
    normalizeEntry({ startedAt: at(2025, 3, 30, 20), before: 6, after: null }),
    normalizeEntry({ startedAt: at(2025, 3, 1, 9), before: 9 }),
    normalizeEntry({ startedAt: at(2025, 2, 27, 9), before: 9 }),
  ];
  const series = dailySeries(entries, now);
  assert.equal(series.length, 30);
  assert.equal(series[29].key, "2025-03-30");
  assert.equal(series[0].key, "2025-03-01");
  assert.equal(series[29].count, 2);
  assert.equal(series[29].before, 7);
  assert.equal(series[29].after, 4);
  assert.equal(series[0].count, 1);
  assert.equal(series.reduce((n, d) => n + d.count, 0), 3);
  assert.equal(seriesSummary(series), "3 cravings logged on 2 of the last 30 days. Average strength at the start: 7.7 out of 10. Average strength at the end: 4 out of 10.");
});

test("seriesSummary says so when nothing was logged", () => {
  assert.equal(seriesSummary(dailySeries([], new Date())), "No cravings logged in the last 30 days.");
});

test("patterns count times of day and the top triggers", () => {
  const entries = [
    normalizeEntry({ startedAt: at(2025, 3, 1, 2), triggers: { feelings: ["Bored"], halt: ["Tired"] } }),
    normalizeEntry({ startedAt: at(2025, 3, 1, 22), triggers: { halt: ["Tired"] } }),
    normalizeEntry({ startedAt: at(2025, 3, 2, 23), triggers: { halt: ["Tired", "Lonely"] } }),
  ];
  const { buckets, topTriggers } = patterns(entries);
  assert.deepEqual(buckets.map((b) => [b.key, b.count]), [["night", 1], ["morning", 0], ["afternoon", 0], ["evening", 2]]);
  assert.deepEqual(topTriggers[0], { label: "Tired", count: 3 });
  assert.equal(topTriggers.length, 3);
  assert.equal(timeOfDay(at(2025, 3, 1, 12)), "afternoon");
});

test("csvCell quotes separators and defuses formulas", () => {
  assert.equal(csvCell('say "hi", ok'), '"say ""hi"", ok"');
  assert.equal(csvCell("line\nbreak"), '"line\nbreak"');
  assert.equal(csvCell("=HYPERLINK(1)"), "'=HYPERLINK(1)");
  assert.equal(csvCell(null), "");
  assert.equal(csvCell(0), "0");
});

test("toCsv writes a header and one row per entry", () => {
  const entry = normalizeEntry({ id: "x1", startedAt: at(2025, 3, 1, 9), before: 7, after: 3, tool: "breathing", outcome: "eased", triggers: { places: ["Home", "Work"] }, note: "a, b" });
  const lines = toCsv([entry]).trimEnd().split("\r\n");
  assert.equal(lines.length, 2);
  assert.equal(lines[0], "id,started_at,ended_at,before,after,tool,outcome,people,places,feelings,halt,note");
  assert.equal(lines[1], `x1,${entry.startedAt},,7,3,Slow breathing,It eased,,Home; Work,,,"a, b"`);
});

test("toJson round-trips the entries", () => {
  const entry = normalizeEntry({ note: "<img src=x>" });
  const parsed = JSON.parse(toJson([entry]));
  assert.deepEqual(parsed.entries, [entry]);
  assert.equal(parsed.kind, "craving-log");
});
