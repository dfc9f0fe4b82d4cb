// "My safety plan": where it is kept, and nothing else. The whole plan is
// one record in the "lists" store of Crest's IndexedDB (db.js), under its
// own kind, so the lists of reasons, people and distractions never show it.
// Each person has their own, in a box while their space is locked
// (person-store.js). It stays on this phone: nothing here sends it anywhere.
import { uuid } from "./db.js";
import { drop, keep, readAll } from "./person-store.js";

const STORE = "lists";
const KIND = "safety-plan";
export const PLAN_VERSION = 1;

const MAX_LINES = 20;
const MAX_TEXT = 300;
const MAX_CONTACTS = 5;
// A step's key, as the page names it (craving/choices.py SAFETY_PLAN_STEPS).
const STEP_KEY = /^[a-z][a-z-]{0,40}$/;

function clean(value, max) {
  return String(value ?? "").trim().slice(0, max);
}

// A plan from anywhere (the form, the database, an older release) made
// safe to keep and to show: each step is a list of lines of text, or of
// contacts with a name and a number; blanks and unknown shapes are dropped.
export function normalizePlan(raw) {
  const steps = {};
  const given = raw && typeof raw.steps === "object" && raw.steps !== null ? raw.steps : {};
  for (const [key, items] of Object.entries(given)) {
    if (!STEP_KEY.test(key) || !Array.isArray(items)) continue;
    const kept = [];
    for (const item of items) {
      if (typeof item === "string") {
        const text = clean(item, MAX_TEXT);
        if (text) kept.push(text);
      } else if (item && typeof item === "object") {
        const contact = { name: clean(item.name, 80), phone: clean(item.phone, 30) };
        if (contact.name || contact.phone) kept.push(contact);
      }
    }
    const limit = kept.some((item) => typeof item === "object") ? MAX_CONTACTS : MAX_LINES;
    if (kept.length) steps[key] = kept.slice(0, limit);
  }
  return { version: PLAN_VERSION, steps, updatedAt: typeof raw?.updatedAt === "string" ? raw.updatedAt : null };
}

export function isEmpty(plan) {
  return Object.keys(plan.steps).length === 0;
}

// Two plans made into one (a person keeping, with their account, what they
// wrote before signing in): `mine` first, then the lines of `other` it does
// not have, within the limits.
export function mergePlans(mine, other) {
  const steps = structuredClone(mine.steps);
  for (const [key, items] of Object.entries(other.steps)) {
    const have = new Set((steps[key] || []).map((item) => JSON.stringify(item)));
    steps[key] = [...(steps[key] || []), ...items.filter((item) => !have.has(JSON.stringify(item)))];
  }
  return normalizePlan({ steps, updatedAt: mine.updatedAt || other.updatedAt });
}

async function planRecord() {
  return (await readAll(STORE)).find((item) => item.kind === KIND) || null;
}

// Rejects if this browser keeps no database (some private modes): the page
// says so and keeps what the person typed; with Locked while it is locked.
export async function loadPlan() {
  return normalizePlan((await planRecord())?.plan);
}

export async function savePlan(plan) {
  const kept = normalizePlan({ ...plan, updatedAt: new Date().toISOString() });
  await keep(STORE, { id: (await planRecord())?.id || uuid(), kind: KIND, plan: kept });
  return kept;
}

export async function deletePlan() {
  const record = await planRecord();
  if (record) await drop(STORE, record.id);
}
