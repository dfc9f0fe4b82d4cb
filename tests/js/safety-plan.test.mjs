// "My safety plan": what is kept, whatever the form or an older release sent.
import assert from "node:assert/strict";
import { test } from "node:test";
import { isEmpty, mergePlans, normalizePlan, PLAN_VERSION } from "../../static/js/safety-plan.js";

test("lines are trimmed and blanks dropped; a step with nothing left is not kept", () => {
  const plan = normalizePlan({ steps: { "warning-signs": ["  Not sleeping ", "", "   "], coping: ["", " "] } });
  assert.deepEqual(plan.steps, { "warning-signs": ["Not sleeping"] });
  assert.equal(plan.version, PLAN_VERSION);
});

test("contacts keep a name or a number, and only those two fields", () => {
  const plan = normalizePlan({
    steps: { helpers: [{ name: " Sam ", phone: "555 0100", extra: "<b>" }, { name: "", phone: "" }, { phone: "988" }] },
  });
  assert.deepEqual(plan.steps.helpers, [{ name: "Sam", phone: "555 0100" }, { name: "", phone: "988" }]);
});

test("unknown shapes and keys are dropped, long text is cut", () => {
  const plan = normalizePlan({ steps: { "Bad Key": ["x"], reasons: "not a list", safer: ["a".repeat(1000)] } });
  assert.deepEqual(Object.keys(plan.steps), ["safer"]);
  assert.equal(plan.steps.safer[0].length, 300);
  assert.ok(isEmpty(normalizePlan(null)) && isEmpty(normalizePlan({ steps: "x" })));
});

test("two plans made into one keep every line once, the first plan's first", () => {
  const mine = normalizePlan({ steps: { coping: ["Walk", "Music"], helpers: [{ name: "Sam", phone: "555" }] }, updatedAt: "2026-01-02" });
  const other = normalizePlan({ steps: { coping: ["Music", "Shower"], safer: ["Naloxone in the kitchen"], helpers: [{ name: "Sam", phone: "555" }] } });
  const merged = mergePlans(mine, other);
  assert.deepEqual(merged.steps, {
    coping: ["Walk", "Music", "Shower"], helpers: [{ name: "Sam", phone: "555" }], safer: ["Naloxone in the kitchen"],
  });
  assert.equal(merged.updatedAt, "2026-01-02");
});
