// Ride the wave (urge surfing): a 5–20 minute timer with check-ins.
// Time always comes from the stored start timestamp, never from counting
// ticks: a locked screen or a background tab throttles timers, and a reload
// starts the page again, but the wave still ends on time.
import { drawWaveCurve } from "./chart.js";
import { gettext, interpolate, ngettext } from "./i18n.js";

const KEY = "crest:wave:v1";
const MINUTE = 60_000;

// Every few minutes: 5 and 10 min → every 2, 15 → every 3, 20 → every 4.
export function checkInterval(durationMs) {
  return Math.max(2 * MINUTE, durationMs / 5);
}

export function newSession(minutes, now = Date.now(), firstRating = null) {
  const ratings = firstRating === null || firstRating === undefined ? [] : [{ at: now, value: firstRating }];
  return { startedAt: now, durationMs: minutes * MINUTE, ratings, stoppedAt: null };
}

export function waveStatus(session, now = Date.now()) {
  const end = session.stoppedAt ?? now;
  const elapsedMs = Math.min(Math.max(0, end - session.startedAt), session.durationMs);
  const remainingMs = session.durationMs - elapsedMs;
  const finished = remainingMs <= 0 || session.stoppedAt !== null;
  const interval = checkInterval(session.durationMs);
  // The latest check-in point passed (never the end itself: the end asks on
  // its own), and whether it has been answered yet.
  const lastPoint = Math.floor(elapsedMs / interval) * interval;
  const checkInDue = !finished && lastPoint > 0 && lastPoint < session.durationMs &&
    !session.ratings.some((r) => r.at >= session.startedAt + lastPoint);
  return { elapsedMs, remainingMs, finished, checkInDue, ranOutOfTime: remainingMs <= 0 };
}

export function addRating(session, value, now = Date.now()) {
  return { ...session, ratings: [...session.ratings, { at: Math.min(now, session.startedAt + session.durationMs), value }] };
}

export function curvePoints(session) {
  return session.ratings.map((r) => ({ minutes: (r.at - session.startedAt) / MINUTE, value: r.value }));
}

export function formatClock(ms) {
  const total = Math.max(0, Math.ceil(ms / 1000));
  return `${Math.floor(total / 60)}:${String(total % 60).padStart(2, "0")}`;
}

export function describeCurve(session) {
  const points = curvePoints(session);
  if (!points.length) return gettext("No check-ins yet.");
  const list = points.map((p) => interpolate(gettext("%(value)s at %(minutes)s min"), { value: p.value, minutes: Math.round(p.minutes) }));
  return interpolate(gettext("Your check-ins: %(list)s."), { list: list.join(", ") });
}

// --- Storage (localStorage: synchronous, so a reload resumes at once) ------
export function loadSession(storage = globalThis.localStorage) {
  try {
    const session = JSON.parse(storage.getItem(KEY) || "null");
    return session && Number.isFinite(session.startedAt) && Number.isFinite(session.durationMs) ? session : null;
  } catch {
    return null;
  }
}

export function saveSession(session, storage = globalThis.localStorage) {
  try { storage.setItem(KEY, JSON.stringify(session)); } catch { /* storage full or blocked: keeps running in memory */ }
}

export function clearSession(storage = globalThis.localStorage) {
  try { storage.removeItem(KEY); } catch { /* nothing to clear */ }
}

// --- Screen ------------------------------------------------------------------
// options.firstRating(): the craving's starting rating, if any.
// options.onRating(value): the latest rating (the flow keeps it as "after").
export function initWave(root, options = {}) {
  if (!root) return { enter() {}, leave() {} };
  const $ = (sel) => root.querySelector(sel);
  const setup = $("[data-wave-setup]");
  const run = $("[data-wave-run]");
  const clock = $("[data-wave-clock]");
  const bar = $("[data-wave-progress]");
  const checkin = $("[data-wave-checkin]");
  const status = $("[data-wave-status]");
  const curve = $("[data-wave-curve]");
  const curveText = $("[data-wave-curve-text]");
  const endPanel = $("[data-wave-end]");
  const stopButton = $("[data-wave-stop]");
  let session = loadSession();
  let timer = null;
  let announcedCheckIn = false;
  let announcedEnd = false;

  function say(text) {
    status.textContent = text;
  }

  function buzz(pattern) {
    try { navigator.vibrate?.(pattern); } catch { /* not supported */ }
  }

  function render() {
    if (!session) {
      setup.hidden = false;
      run.hidden = true;
      return;
    }
    const state = waveStatus(session);
    setup.hidden = true;
    run.hidden = false;
    clock.textContent = formatClock(state.remainingMs);
    clock.setAttribute("datetime", `PT${Math.ceil(state.remainingMs / 1000)}S`);
    bar.max = session.durationMs;
    bar.value = state.elapsedMs;
    checkin.hidden = !(state.checkInDue || (state.finished && !endRated()));
    $("[data-wave-checkin-label]").textContent = state.finished ? gettext("How strong is it now, at the end?") : gettext("Check in: how strong is it now?");
    endPanel.hidden = !state.finished;
    stopButton.hidden = state.finished;
    if (state.checkInDue && !announcedCheckIn) {
      announcedCheckIn = true;
      say(gettext("Check in: how strong is the craving now?"));
      buzz(200);
    }
    if (state.finished && !announcedEnd) {
      announcedEnd = true;
      const minutes = Math.round(state.elapsedMs / MINUTE);
      say(state.ranOutOfTime
        ? interpolate(ngettext("Time is up. You stayed with it for %(n)s minute.", "Time is up. You stayed with it for %(n)s minutes.", minutes), { n: minutes })
        : interpolate(ngettext("Stopped after %(n)s minute.", "Stopped after %(n)s minutes.", minutes), { n: minutes }));
      buzz([200, 100, 200]);
      stopTicking();
    }
    drawWaveCurve(curve, curvePoints(session), session.durationMs / MINUTE);
    curveText.textContent = describeCurve(session);
  }

  function endRated() {
    const state = waveStatus(session);
    const endAt = session.startedAt + state.elapsedMs;
    return session.ratings.some((r) => r.at >= endAt - 1000 && r.at > session.startedAt);
  }

  function tick() {
    if (timer === null) timer = setInterval(render, 1000);
  }
  function stopTicking() {
    clearInterval(timer);
    timer = null;
  }

  root.querySelectorAll("[data-wave-duration]").forEach((button) => {
    button.addEventListener("click", () => {
      session = newSession(Number(button.dataset.waveDuration), Date.now(), options.firstRating?.() ?? null);
      saveSession(session);
      announcedCheckIn = false;
      announcedEnd = false;
      say(interpolate(gettext("Timer started: %(n)s minutes."), { n: button.dataset.waveDuration }));
      render();
      tick();
    });
  });

  checkin.querySelectorAll("[data-rate]").forEach((button) => {
    button.addEventListener("click", () => {
      const value = Number(button.dataset.rate);
      session = addRating(session, value);
      saveSession(session);
      announcedCheckIn = false;
      options.onRating?.(value);
      say(interpolate(gettext("Noted: %(value)s."), { value }));
      render();
    });
  });

  stopButton.addEventListener("click", () => {
    session = { ...session, stoppedAt: Date.now() };
    saveSession(session);
    render();
  });

  root.querySelectorAll("[data-wave-again]").forEach((button) => {
    button.addEventListener("click", () => {
      clearSession();
      session = null;
      render();
      setup.querySelector("button")?.focus();
    });
  });

  document.addEventListener("visibilitychange", () => {
    if (!document.hidden && session) render();
  });

  return {
    enter() {
      session = loadSession();
      announcedEnd = session ? waveStatus(session).finished : false;
      render();
      if (session && !waveStatus(session).finished) tick();
    },
    leave() {
      // The wave keeps going in the background (it lives in storage); only
      // the redraw stops.
      stopTicking();
    },
    // For the start screen: a running wave and its time left.
    running() {
      const s = loadSession();
      return s && !waveStatus(s).finished ? waveStatus(s) : null;
    },
    // Forget a finished wave once the craving is logged.
    reset() {
      const s = loadSession();
      if (s && waveStatus(s).finished) clearSession();
      session = loadSession();
    },
  };
}
