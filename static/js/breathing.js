// Slow breathing: 4 s in, 6 s out, so 6 breaths a minute (about the
// "resonance" rate). Two modes: an animated circle (CSS animation), or
// large text plus vibration, used on its own when the person asks the
// system for reduced motion. In both, a live region says "Breathe in" /
// "Breathe out" for screen readers, once per change.
import { gettext, interpolate } from "./i18n.js";

export const IN_MS = 4000;
export const OUT_MS = 6000;
export const CYCLE_MS = IN_MS + OUT_MS;
const MODE_KEY = "crest:breathing-mode:v1";

export function breathPhase(elapsedMs) {
  const elapsed = Math.max(0, elapsedMs);
  const inCycle = elapsed % CYCLE_MS;
  const breathingIn = inCycle < IN_MS;
  const phaseLeft = breathingIn ? IN_MS - inCycle : CYCLE_MS - inCycle;
  return {
    phase: breathingIn ? "in" : "out",
    secondsLeft: Math.ceil(phaseLeft / 1000),
    breath: Math.floor(elapsed / CYCLE_MS) + 1,
  };
}

export function defaultMode(reducedMotion) {
  return reducedMotion ? "text" : "animation";
}

function savedMode() {
  try { return localStorage.getItem(MODE_KEY); } catch { return null; }
}

export function initBreathing(root) {
  if (!root) return { enter() {}, leave() {} };
  const $ = (sel) => root.querySelector(sel);
  const guide = $("[data-breath-guide]");
  const cue = $("[data-breath-cue]");
  const count = $("[data-breath-count]");
  const breaths = $("[data-breath-number]");
  const toggle = $("[data-breath-toggle]");
  const modeInputs = [...root.querySelectorAll("[data-breath-mode]")];
  const reduced = window.matchMedia("(prefers-reduced-motion: reduce)");
  let startedAt = null;
  let timer = null;
  let lastPhase = null;

  function mode() {
    return modeInputs.find((i) => i.checked)?.value || defaultMode(reduced.matches);
  }

  function applyMode() {
    guide.dataset.mode = mode();
  }

  const initial = savedMode() || defaultMode(reduced.matches);
  modeInputs.forEach((input) => {
    input.checked = input.value === initial;
    input.addEventListener("change", () => {
      try { localStorage.setItem(MODE_KEY, input.value); } catch { /* fine: this visit only */ }
      applyMode();
    });
  });
  applyMode();

  function update() {
    const state = breathPhase(Date.now() - startedAt);
    count.textContent = String(state.secondsLeft);
    breaths.textContent = interpolate(gettext("Breath %(n)s"), { n: state.breath });
    if (state.phase !== lastPhase) {
      lastPhase = state.phase;
      cue.textContent = state.phase === "in" ? gettext("Breathe in") : gettext("Breathe out");
      guide.dataset.phase = state.phase;
      if (mode() === "text") {
        // One long pulse to breathe in, three short ones to breathe out.
        try { navigator.vibrate?.(state.phase === "in" ? 400 : [120, 120, 120, 120, 120]); } catch { /* no vibration */ }
      }
    }
  }

  function start() {
    startedAt = Date.now();
    lastPhase = null;
    guide.classList.add("is-running");
    toggle.textContent = gettext("Stop");
    update();
    timer = setInterval(update, 250);
  }

  function stop() {
    clearInterval(timer);
    timer = null;
    startedAt = null;
    guide.classList.remove("is-running");
    delete guide.dataset.phase;
    toggle.textContent = gettext("Start");
    cue.textContent = gettext("Stopped. Start again whenever you like.");
    count.textContent = "";
    try { navigator.vibrate?.(0); } catch { /* no vibration */ }
  }

  toggle.addEventListener("click", () => (timer === null ? start() : stop()));

  return {
    enter() {},
    leave() { if (timer !== null) stop(); },
  };
}
