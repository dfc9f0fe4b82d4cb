// The hours of the week when cravings come most, worked out on the phone
// from the craving log (IndexedDB), for a check-in shortly before them.
// Only the check-in time the person confirms is ever sent to the server
// (reminders.js): no entry, no count, nothing that says why.
// No DOM here, so node --test can check it (tests/js/risky-hours.test.mjs).
import { gettext, interpolate } from "./i18n.js";

export const WEEKS = 6; // the log's last six weeks are read
export const HALF_LIFE_DAYS = 14; // an entry two weeks old counts half as much as today's
export const MIN_ENTRIES = 3; // fewer is not a pattern
export const MIN_IN_PEAK = 2; // the busiest time must have come round more than once
export const LEAD_MINUTES = 30; // the check-in comes this long before
const DAY_MS = 24 * 60 * 60 * 1000;

// Parts of the day, as on the craving log's patterns (craving-log.js).
export const PARTS = [
  { key: "night", from: 0, to: 6 },
  { key: "morning", from: 6, to: 12 },
  { key: "afternoon", from: 12, to: 18 },
  { key: "evening", from: 18, to: 24 },
];
const WEEKDAY_INDEX = { Mon: 0, Tue: 1, Wed: 2, Thu: 3, Fri: 4, Sat: 5, Sun: 6 };

export function phoneTimeZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || "UTC";
  } catch {
    return "UTC";
  }
}

// The weekday (0 Monday … 6 Sunday) and minute of the day of an instant,
// on the clock of `timeZone`. The log keeps instants (UTC), so a phone that
// moved reads its old entries on its new clock.
function localClock(formatter, instant) {
  const parts = Object.fromEntries(formatter.formatToParts(instant).map((p) => [p.type, p.value]));
  return { day: WEEKDAY_INDEX[parts.weekday], minute: (Number(parts.hour) % 24) * 60 + Number(parts.minute) };
}

const pad = (n) => String(n).padStart(2, "0");

// null, or where cravings come most: {day, part, share, count, total,
// checkin: {day, time}}. `share` is that time's part of all the (weighted)
// cravings; `checkin` is LEAD_MINUTES before their usual start, on the
// quarter hour.
export function riskyHours(entries, { now = new Date(), timeZone = phoneTimeZone(), weeks = WEEKS, halfLifeDays = HALF_LIFE_DAYS } = {}) {
  const formatter = new Intl.DateTimeFormat("en-US", {
    timeZone, weekday: "short", hour: "2-digit", minute: "2-digit", hourCycle: "h23",
  });
  const since = now.getTime() - weeks * 7 * DAY_MS;
  const bins = new Map();
  let total = 0;
  let totalWeight = 0;
  for (const entry of entries || []) {
    const instant = new Date(entry?.startedAt);
    const time = instant.getTime();
    if (Number.isNaN(time) || time < since || time > now.getTime()) continue;
    const weight = 0.5 ** ((now.getTime() - time) / DAY_MS / halfLifeDays);
    const { day, minute } = localClock(formatter, instant);
    const part = PARTS.findIndex((p) => minute >= p.from * 60 && minute < p.to * 60);
    const key = day * PARTS.length + part;
    const bin = bins.get(key) || { key, day, part, weight: 0, count: 0, minutes: 0 };
    bin.weight += weight;
    bin.count += 1;
    bin.minutes += weight * minute;
    bins.set(key, bin);
    total += 1;
    totalWeight += weight;
  }
  if (total < MIN_ENTRIES) return null;
  const peak = [...bins.values()].sort((a, b) => b.weight - a.weight || b.count - a.count || a.key - b.key)[0];
  if (peak.count < MIN_IN_PEAK) return null;
  // Rounded first: a weighted mean of equal minutes can land a hair below them.
  let minute = Math.floor((Math.round(peak.minutes / peak.weight) - LEAD_MINUTES) / 15) * 15;
  let day = peak.day;
  if (minute < 0) {
    minute += 24 * 60;
    day = (day + 6) % 7;
  }
  return {
    day: peak.day,
    part: PARTS[peak.part].key,
    share: peak.weight / totalWeight,
    count: peak.count,
    total,
    weeks,
    checkin: { day, time: `${pad(Math.floor(minute / 60))}:${pad(minute % 60)}` },
  };
}

const DAYS = [
  gettext("Mondays"), gettext("Tuesdays"), gettext("Wednesdays"), gettext("Thursdays"),
  gettext("Fridays"), gettext("Saturdays"), gettext("Sundays"),
];
const WHEN = {
  night: gettext("%(days)s in the early hours"),
  morning: gettext("%(days)s in the morning"),
  afternoon: gettext("%(days)s in the afternoon"),
  evening: gettext("%(days)s in the evening"),
};

// The one sentence that explains the suggestion, true to the numbers:
// "most" only when more than half of the cravings were then.
export function riskyHoursSentence(found) {
  if (!found) {
    return gettext("There are not enough cravings in your log yet to see a pattern. You can still choose a time yourself.");
  }
  const values = { weeks: found.weeks, when: interpolate(WHEN[found.part], { days: DAYS[found.day] }) };
  return found.share > 0.5
    ? interpolate(gettext("Most of your cravings in the last %(weeks)s weeks came on %(when)s."), values)
    : interpolate(gettext("In the last %(weeks)s weeks, your cravings came most often on %(when)s."), values);
}
