// Breathing rhythm and the own-lists helpers.
import assert from "node:assert/strict";
import { test } from "node:test";
import { breathPhase, CYCLE_MS, defaultMode } from "../../static/js/breathing.js";
import { normalizeItem, phoneHref } from "../../static/js/lists.js";

test("six breaths a minute: 4 s in, 6 s out", () => {
  assert.equal(60_000 / CYCLE_MS, 6);
  assert.deepEqual(breathPhase(0), { phase: "in", secondsLeft: 4, breath: 1 });
  assert.equal(breathPhase(3999).phase, "in");
  assert.deepEqual(breathPhase(4000), { phase: "out", secondsLeft: 6, breath: 1 });
  assert.equal(breathPhase(9999).phase, "out");
  assert.deepEqual(breathPhase(10_000), { phase: "in", secondsLeft: 4, breath: 2 });
});

test("reduced motion picks words and vibration", () => {
  assert.equal(defaultMode(true), "text");
  assert.equal(defaultMode(false), "animation");
});

test("phone links keep digits only", () => {
  assert.equal(phoneHref("tel", "+44 (0)7700 900-123"), "tel:+4407700900123");
  assert.equal(phoneHref("sms", "555 0100"), "sms:5550100");
  assert.equal(phoneHref("tel", "javascript:alert(1)"), "tel:1");
  assert.equal(phoneHref("tel", "call me"), null);
});

test("list items need their fields and keep their id when edited", () => {
  assert.equal(normalizeItem("reason", { text: "   " }), null);
  assert.equal(normalizeItem("person", { name: "Sam" }), null);
  const first = normalizeItem("person", { name: " Sam ", phone: "555" });
  assert.equal(first.name, "Sam");
  const edited = normalizeItem("person", { name: "Sam B", phone: "556" }, first);
  assert.equal(edited.id, first.id);
  assert.equal(edited.createdAt, first.createdAt);
});
