// Ride-the-wave timer logic: time from timestamps, check-ins, the end.
import assert from "node:assert/strict";
import { test } from "node:test";
import { addRating, checkInterval, curvePoints, describeCurve, formatClock, loadSession, newSession, saveSession, waveStatus } from "../../static/js/timer.js";

const MIN = 60_000;

test("the check-in interval is every few minutes", () => {
  assert.equal(checkInterval(5 * MIN), 2 * MIN);
  assert.equal(checkInterval(10 * MIN), 2 * MIN);
  assert.equal(checkInterval(15 * MIN), 3 * MIN);
  assert.equal(checkInterval(20 * MIN), 4 * MIN);
});

test("time left comes from the start timestamp, whatever happened in between", () => {
  const s = newSession(10, 1_000_000, 8);
  assert.deepEqual(s.ratings, [{ at: 1_000_000, value: 8 }]);
  const mid = waveStatus(s, 1_000_000 + 4 * MIN + 30_000);
  assert.equal(mid.remainingMs, 5 * MIN + 30_000);
  assert.equal(mid.finished, false);
  const end = waveStatus(s, 1_000_000 + 10 * MIN);
  assert.equal(end.finished, true);
  assert.equal(end.remainingMs, 0);
  const later = waveStatus(s, 1_000_000 + 60 * MIN);
  assert.equal(later.elapsedMs, 10 * MIN);
});

test("a check-in is due after each interval until answered", () => {
  let s = newSession(5, 0, 7);
  assert.equal(waveStatus(s, 1 * MIN).checkInDue, false);
  assert.equal(waveStatus(s, 2 * MIN + 1).checkInDue, true);
  s = addRating(s, 6, 2 * MIN + 5000);
  assert.equal(waveStatus(s, 3 * MIN).checkInDue, false);
  assert.equal(waveStatus(s, 4 * MIN).checkInDue, true);
  assert.equal(waveStatus(s, 5 * MIN).checkInDue, false, "the end asks on its own");
});

test("stopping early freezes the clock", () => {
  const s = { ...newSession(20, 0), stoppedAt: 3 * MIN };
  const state = waveStatus(s, 15 * MIN);
  assert.equal(state.finished, true);
  assert.equal(state.ranOutOfTime, false);
  assert.equal(state.elapsedMs, 3 * MIN);
});

test("ratings after the end are pinned to the end of the curve", () => {
  const s = addRating(newSession(5, 0, 9), 3, 30 * MIN);
  assert.deepEqual(curvePoints(s), [{ minutes: 0, value: 9 }, { minutes: 5, value: 3 }]);
  assert.equal(describeCurve(s), "Your check-ins: 9 at 0 min, 3 at 5 min.");
});

test("formatClock rounds up to whole seconds", () => {
  assert.equal(formatClock(5 * MIN), "5:00");
  assert.equal(formatClock(61_001), "1:02");
  assert.equal(formatClock(-5), "0:00");
});

test("a session survives a save and load, and junk reads as none", () => {
  const store = new Map();
  const storage = { getItem: (k) => store.get(k) ?? null, setItem: (k, v) => store.set(k, v), removeItem: (k) => store.delete(k) };
  const s = newSession(15, 123, 5);
  saveSession(s, storage);
  assert.deepEqual(loadSession(storage), s);
  store.set("crest:wave:v1", "{not json");
  assert.equal(loadSession(storage), null);
});
