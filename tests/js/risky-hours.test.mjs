// The risky-hours suggestion, worked out on the phone from the craving log
// (static/js/risky-hours.js; run by tests/craving/test_js.py).
import assert from "node:assert/strict";
import { test } from "node:test";
import { riskyHours, riskyHoursSentence } from "../../static/js/risky-hours.js";

const NOW = new Date("2026-05-10T12:00:00Z"); // a Sunday
const entry = (iso) => ({ id: iso, startedAt: new Date(iso).toISOString(), before: 7, note: "private" });
const UTC = { now: NOW, timeZone: "UTC" };

test("an empty log suggests nothing", () => {
  assert.equal(riskyHours([], UTC), null);
  assert.equal(riskyHours(undefined, UTC), null);
  assert.match(riskyHoursSentence(null), /not enough cravings/);
});

test("one entry is not a pattern", () => {
  assert.equal(riskyHours([entry("2026-05-08T20:00Z")], UTC), null);
});

test("Friday evenings, three weeks running, give a check-in before them", () => {
  const log = ["2026-05-08T20:10Z", "2026-05-01T20:40Z", "2026-04-24T19:40Z", "2026-05-05T09:00Z"].map(entry);
  const found = riskyHours(log, UTC);
  assert.equal(found.day, 4);
  assert.equal(found.part, "evening");
  assert.equal(found.count, 3);
  assert.equal(found.total, 4);
  assert.ok(found.share > 0.5);
  // The weighted start is near 20:10, so 19:30 after half an hour's lead, on the quarter hour.
  assert.deepEqual(found.checkin, { day: 4, time: "19:30" });
  assert.equal(riskyHoursSentence(found), "Most of your cravings in the last 6 weeks came on Fridays in the evening.");
});

test("older entries count less: recent Tuesdays outweigh more numerous old Fridays", () => {
  const oldFridays = ["2026-04-03T20:00Z", "2026-04-03T21:00Z", "2026-04-10T20:00Z", "2026-04-10T21:00Z"];
  const recentTuesdays = ["2026-05-05T08:00Z", "2026-04-28T08:30Z", "2026-05-05T09:00Z"];
  const found = riskyHours([...oldFridays, ...recentTuesdays].map(entry), UTC);
  assert.equal(found.day, 1);
  assert.equal(found.part, "morning");
  // Without the decay the Fridays would win on count.
  const flat = riskyHours([...oldFridays, ...recentTuesdays].map(entry), { ...UTC, halfLifeDays: 1e9 });
  assert.equal(flat.day, 4);
  assert.ok(found.share < 1 && found.share > 0);
});

test("entries older than six weeks, or in the future, are not read", () => {
  const ancient = ["2026-03-06T20:00Z", "2026-03-13T20:00Z", "2026-03-20T20:00Z"].map(entry);
  assert.equal(riskyHours(ancient, UTC), null);
  const future = ["2026-05-15T20:00Z", "2026-05-22T20:00Z", "2026-05-29T20:00Z"].map(entry);
  assert.equal(riskyHours(future, UTC), null);
});

test("the same log reads on the clock of the phone's time zone", () => {
  // 23:30 UTC on Fridays: Friday evening in New York, Saturday's early hours in Madrid.
  const log = ["2026-05-08T23:30Z", "2026-05-01T23:30Z", "2026-04-24T23:30Z"].map(entry);
  const newYork = riskyHours(log, { now: NOW, timeZone: "America/New_York" });
  assert.deepEqual([newYork.day, newYork.part, newYork.checkin], [4, "evening", { day: 4, time: "19:00" }]);
  const madrid = riskyHours(log, { now: NOW, timeZone: "Europe/Madrid" });
  assert.deepEqual([madrid.day, madrid.part], [5, "night"]);
  assert.deepEqual(madrid.checkin, { day: 5, time: "01:00" });
  assert.equal(riskyHoursSentence(madrid), "Most of your cravings in the last 6 weeks came on Saturdays in the early hours.");
});

test("a check-in before a craving just after midnight falls on the day before", () => {
  const log = ["2026-05-09T00:10Z", "2026-05-02T00:05Z", "2026-04-25T00:15Z"].map(entry);
  assert.deepEqual(riskyHours(log, UTC).checkin, { day: 4, time: "23:30" });
});

test("when no time holds most cravings, the sentence does not say most", () => {
  const log = [
    "2026-05-08T20:00Z", "2026-05-01T20:00Z", "2026-05-05T09:00Z", "2026-05-06T14:00Z", "2026-05-07T03:00Z",
  ].map(entry);
  const found = riskyHours(log, UTC);
  assert.ok(found.share <= 0.5);
  assert.equal(riskyHoursSentence(found), "In the last 6 weeks, your cravings came most often on Fridays in the evening.");
});

test("the result says nothing of the entries themselves", () => {
  const log = ["2026-05-08T20:10Z", "2026-05-01T20:40Z", "2026-04-24T19:40Z"].map(entry);
  const text = JSON.stringify(riskyHours(log, UTC));
  assert.equal(text.includes("private"), false);
  assert.equal(text.includes("2026"), false);
});
