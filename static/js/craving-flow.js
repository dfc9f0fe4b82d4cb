// "I'm having a craving" → rate it → pick a tool → say how it went → saved.
// The check-in in progress (the draft) lives in localStorage so a reload,
// a locked screen or a closed tab loses nothing; it becomes a log entry
// only when the person taps Save. Every step can be skipped.
import { TOOLS, TRIGGER_KINDS } from "./choices.js";
import { saveEntry } from "./craving-log.js";
import { uuid } from "./db.js";
import { gettext, interpolate, LOCALE } from "./i18n.js";
import { lockStatus, onLockChange } from "./lock-state.js";
import { queueCraving } from "./outbox-queue.js";
import { DRAFT_KEY, spaceKey } from "./space.js";
import { askToKeep } from "./storage.js";

// Each person's own (space.js). Ratings and the tool only: the note is
// typed at the end and kept only with the entry, so no note is ever here.
const KEY = spaceKey(DRAFT_KEY);

export function loadDraft() {
  try {
    const draft = JSON.parse(localStorage.getItem(KEY) || "null");
    return draft && typeof draft.id === "string" ? draft : null;
  } catch {
    return null;
  }
}

function saveDraft(draft) {
  try { localStorage.setItem(KEY, JSON.stringify(draft)); } catch { /* kept in memory for this visit */ }
  current = draft;
  return draft;
}

export function clearDraft() {
  try { localStorage.removeItem(KEY); } catch { /* nothing stored */ }
  current = null;
}

let current = null;

export function draft() {
  return current || (current = loadDraft());
}

export function startDraft(fields = {}) {
  return saveDraft({ id: uuid(), startedAt: new Date().toISOString(), before: null, after: null, tool: null, ...fields });
}

export function updateDraft(fields) {
  const existing = draft();
  return existing ? saveDraft({ ...existing, ...fields }) : null;
}

function setRadio(form, name, value) {
  for (const input of form.querySelectorAll(`input[name="${name}"]`)) input.checked = value !== null && input.value === String(value);
}

// go(screen) switches screens; wave is the urge-surf timer's controller.
export function initFlow({ go, wave, onSaved }) {
  const form = document.querySelector("[data-finish-form]");
  const usedNote = document.querySelector("[data-used-note]");
  const lowMoodNote = document.querySelector("[data-low-mood-note]");
  const showLowMood = () => {
    if (!lowMoodNote) return;
    // The page marks the triggers that offer the safety plan (data-low-mood).
    lowMoodNote.hidden = !form.querySelector("input[data-low-mood]:checked");
  };
  const banner = document.querySelector("[data-draft-banner]");

  // A fresh start replaces a forgotten one: the person is mid-craving now.
  const start = () => {
    startDraft();
    go("rate");
  };
  document.querySelector("[data-start-craving]")?.addEventListener("click", start);

  document.querySelectorAll("#rate [data-rate]").forEach((button) => {
    button.addEventListener("click", () => {
      updateDraft({ before: Number(button.dataset.rate) }) || startDraft({ before: Number(button.dataset.rate) });
      go("choose");
    });
  });

  document.querySelectorAll("[data-finish]").forEach((button) => {
    button.addEventListener("click", () => {
      const screen = button.closest("[data-screen]")?.id;
      const tool = Object.hasOwn(TOOLS, screen) ? screen : draft()?.tool ?? null;
      if (!draft()) startDraft({ tool });
      else if (tool) updateDraft({ tool });
      go("finish");
    });
  });

  // After a Save, and after "Don't save" or Discard: nothing typed for one
  // entry is left in the form for the next (a thrown-away note once was).
  function emptyFinish() {
    clearDraft();
    wave.reset();
    emptyForm();
  }

  function emptyForm() {
    form?.reset();
    if (usedNote) usedNote.hidden = true;
    showLowMood();
  }

  // The draft's ratings and tool, the only part of a check-in kept before Save.
  function fillFinish() {
    const d = draft();
    if (!form) return;
    setRadio(form, "before", d?.before ?? null);
    // The last wave check-in is a good guess for "now"; the person can change it.
    if (d?.after !== null && d?.after !== undefined) setRadio(form, "after", d.after);
    form.elements.tool.value = d?.tool || "";
  }

  // Crest locked (five minutes without use, or on another page): what was
  // typed for this entry leaves the screen, as the log and the lists do.
  // The check-in goes on from its draft, which never holds a note.
  onLockChange(async () => {
    if ((await lockStatus()) !== "locked") return;
    emptyForm();
    fillFinish();
  });

  document.querySelectorAll("[data-discard]").forEach((button) => {
    button.addEventListener("click", () => {
      emptyFinish();
      go("start");
    });
  });

  form?.addEventListener("change", (event) => {
    if (event.target.name === "outcome") usedNote.hidden = event.target.value !== "used";
    if (event.target.matches("[data-low-mood]")) showLowMood();
  });

  form?.addEventListener("submit", async (event) => {
    event.preventDefault();
    const data = new FormData(form);
    const base = draft() || startDraft();
    const triggers = {};
    for (const kind of TRIGGER_KINDS) triggers[kind] = data.getAll(kind);
    const entry = {
      ...base,
      endedAt: new Date().toISOString(),
      before: data.get("before"),
      after: data.get("after"),
      outcome: data.get("outcome"),
      tool: data.get("tool") || null,
      triggers,
      note: data.get("note") || "",
    };
    try {
      const saved = await saveEntry(entry);
      // Shared with the clinic only if this person chose to (outbox-queue.js decides).
      // Awaited: leaving the page mid-write would lose the clinic's copy.
      await queueCraving(saved).catch(() => null);
      askToKeep();
      emptyFinish();
      onSaved(saved);
    } catch {
      onSaved(null);
    }
  });

  return {
    start,
    // Entering a tool screen during a check-in records it as the tool used.
    noteTool(screen) {
      if (Object.hasOwn(TOOLS, screen) && draft()) updateDraft({ tool: screen });
    },
    fillFinish,
    renderBanner() {
      const d = draft();
      if (!banner) return;
      banner.hidden = !d;
      if (d) {
        const started = new Date(d.startedAt);
        const today = started.toDateString() === new Date().toDateString();
        const time = today
          ? started.toLocaleTimeString(LOCALE, { hour: "2-digit", minute: "2-digit" })
          : started.toLocaleString(LOCALE, { weekday: "short", day: "numeric", month: "short", hour: "2-digit", minute: "2-digit" });
        banner.querySelector("[data-draft-text]").textContent = interpolate(gettext("You started a check-in at %(time)s."), { time });
      }
    },
    // A wave check-in is the latest strength: keep it as "now".
    noteRating(value) {
      updateDraft({ after: value });
    },
    firstRating() {
      return draft()?.before ?? null;
    },
  };
}
