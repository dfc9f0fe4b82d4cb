// The first time an account is signed in on this phone while the anonymous
// space holds something (docs/shared-phone.md), the person is asked, on
// whatever page they are on: keep it with the account, or leave it for use
// without signing in. Nothing is moved until they answer, and the answer is
// kept (meta "asked:<space>"), so it is asked once per account and phone.
// What moves is not sent to a clinic: sharing starts from what is done
// while signed in.
import { ANONYMOUS, get, getAllFrom, put, writeAll } from "./db.js";
import { gettext, interpolate, ngettext } from "./i18n.js";
import { LOCKED_STORES, lockOf, lockStatus } from "./lock-state.js";
import { readAll, recordOf } from "./person-store.js";
import { mergePlans, normalizePlan } from "./safety-plan.js";
import { ACCOUNT, DRAFT_KEY, PROGRESS_KEY, SPACE, spaceKey } from "./space.js";

const ASKED = `asked:${SPACE}`;

function readJson(key) {
  try {
    return JSON.parse(localStorage.getItem(key) || "null");
  } catch {
    return null;
  }
}

// What the anonymous space holds: {entries, items, plan, lessons}, all 0
// when it holds nothing.
async function anonymousHolds() {
  const entries = (await getAllFrom("cravings", "space", ANONYMOUS)).length;
  const lists = await getAllFrom("lists", "space", ANONYMOUS);
  const plan = lists.some((record) => record.kind === "safety-plan") ? 1 : 0;
  const progress = readJson(spaceKey(PROGRESS_KEY, ANONYMOUS)) || {};
  const lessons = Object.values(progress).filter((lesson) => lesson?.doneAt || Number.isInteger(lesson?.score)).length;
  return { entries, items: lists.length - plan, plan, lessons };
}

function el(tag, attrs = {}, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attrs)) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}

// Everything of the anonymous space becomes this account's.
export async function keepWithAccount() {
  const changes = [];
  const mine = (await readAll("lists")).find((item) => item.kind === "safety-plan");
  for (const store of LOCKED_STORES) {
    for (const record of await getAllFrom(store, "space", ANONYMOUS)) {
      const { space, ...value } = record;
      if (value.kind === "safety-plan" && mine) {
        const merged = mergePlans(normalizePlan(mine.plan), normalizePlan(value.plan));
        changes.push({ store, put: await recordOf(store, { ...mine, plan: merged }) }, { store, remove: record.id });
      } else {
        changes.push({ store, put: await recordOf(store, value) });
      }
    }
  }
  changes.push({ store: "meta", put: { key: ASKED, answer: "kept", at: new Date().toISOString() } });
  await writeAll(changes);
  try {
    const theirs = readJson(spaceKey(PROGRESS_KEY, ANONYMOUS));
    if (theirs) localStorage.setItem(spaceKey(PROGRESS_KEY), JSON.stringify({ ...theirs, ...(readJson(spaceKey(PROGRESS_KEY)) || {}) }));
    const draft = readJson(spaceKey(DRAFT_KEY, ANONYMOUS));
    if (draft && !readJson(spaceKey(DRAFT_KEY))) localStorage.setItem(spaceKey(DRAFT_KEY), JSON.stringify(draft));
    localStorage.removeItem(spaceKey(PROGRESS_KEY, ANONYMOUS));
    localStorage.removeItem(spaceKey(DRAFT_KEY, ANONYMOUS));
  } catch {
    // storage blocked: the lesson progress stays where it was
  }
}

function holdsText({ entries, items, plan, lessons }) {
  const lines = [];
  if (entries) lines.push(interpolate(ngettext("%(n)s craving log entry", "%(n)s craving log entries", entries), { n: entries }));
  if (items) lines.push(interpolate(ngettext("%(n)s reason, person or distraction idea", "%(n)s reasons, people or distraction ideas", items), { n: items }));
  if (plan) lines.push(gettext("a safety plan"));
  if (lessons) lines.push(interpolate(ngettext("progress in %(n)s lesson", "progress in %(n)s lessons", lessons), { n: lessons }));
  return lines;
}

export async function askAboutAnonymousData() {
  if (!ACCOUNT) return;
  if (await get("meta", ASKED).catch(() => null)) return;
  // A locked anonymous space stays its owner's; this account's own lock
  // must be open to merge into it.
  if ((await lockOf(ANONYMOUS)) || (await lockStatus()) === "locked") return;
  const holds = await anonymousHolds().catch(() => null);
  const lines = holds ? holdsText(holds) : [];
  if (!lines.length) return;

  const card = el("section", { class: "card space-question", "aria-labelledby": "space-question-title", "data-space-question": "" });
  card.append(
    el("h2", { id: "space-question-title" }, gettext("Crest data from before you signed in")),
    el("p", {}, gettext("This phone keeps Crest data from when nobody was signed in:")),
  );
  const list = el("ul");
  list.append(...lines.map((line) => el("li", {}, line)));
  card.append(
    list,
    el("p", {}, gettext("Keep it with your account, and it shows only while you are signed in on this phone. Leave it, and it stays for whoever uses Crest here without signing in. Either way, none of it is sent to your clinic.")),
  );
  const keep = el("button", { type: "button", class: "button", "data-space-keep": "" }, gettext("Keep it with my account"));
  const leave = el("button", { type: "button", class: "button-secondary", "data-space-leave": "" }, gettext("Leave it where it is"));
  const actions = el("p", { class: "actions" });
  actions.append(keep, " ", leave);
  const status = el("p", { role: "status" });
  card.append(actions, status);
  document.querySelector("main")?.prepend(card);

  keep.addEventListener("click", async () => {
    keep.disabled = true;
    leave.disabled = true;
    try {
      await keepWithAccount();
      // Every part of the page shows it now.
      location.reload();
    } catch {
      status.textContent = gettext("Could not move it. Please try again.");
      keep.disabled = false;
      leave.disabled = false;
    }
  });
  leave.addEventListener("click", async () => {
    await put("meta", { key: ASKED, answer: "left", at: new Date().toISOString() }).catch(() => null);
    card.remove();
    document.querySelector("main")?.focus();
  });
}
