// /craving/: one cached page, many screens. The #hash names the screen
// (#rate, #wave, #breathing, #log…), so the back button, reloads and the
// service worker (which caches by path) all just work. #new is not a screen:
// it starts a check-in, as the "I'm having a craving" button does, so the
// home page's button of that name opens the rating step in one tap.
import { initBreathing } from "../breathing.js";
import { draft, initFlow } from "../craving-flow.js";
import { initHistory } from "../history.js";
import { initLists } from "../lists.js";
import { initSteps } from "../stepper.js";
import { formatClock, initWave } from "../timer.js";
import { gettext } from "../i18n.js";
import { spaceReady } from "../space.js";

// This person's check-in in progress, with the keys kept before spaces;
// the tools never wait long for it.
await Promise.race([spaceReady(), new Promise((resolve) => { setTimeout(resolve, 500); })]);
const root = document.querySelector("[data-toolkit]");
const NEW_CHECK_IN = "#new";

if (root) {
  const screens = new Map([...root.querySelectorAll("[data-screen]")].map((s) => [s.id, s]));
  let currentName = null;

  const go = (name) => {
    if (location.hash === `#${name}`) route();
    else location.hash = name;
  };

  const history = initHistory(document.getElementById("log"));
  const lists = initLists(root);
  let flow = null;
  const wave = initWave(document.getElementById("wave"), {
    firstRating: () => flow.firstRating(),
    onRating: (value) => flow.noteRating(value),
  });
  flow = initFlow({
    go,
    wave,
    onSaved(entry) {
      go("log");
      history.showUsed(entry?.outcome === "used");
      history.say(entry ? gettext("Saved. Well done for checking in.") : gettext("Could not save on this phone. Please try again."));
    },
  });
  const hooks = {
    start: { enter() { flow.renderBanner(); showWaveBanner(); } },
    wave,
    breathing: initBreathing(document.getElementById("breathing")),
    grounding: initSteps(document.getElementById("grounding")),
    think: { enter: () => { thinkSteps.enter(); lists.render(); } },
    reasons: { enter: () => lists.render() },
    people: { enter: () => lists.render() },
    distractions: { enter: () => lists.render() },
    finish: { enter: () => flow.fillFinish() },
    log: history,
  };
  const thinkSteps = initSteps(document.getElementById("think"));

  function showWaveBanner() {
    const banner = root.querySelector("[data-wave-banner]");
    const running = wave.running();
    banner.hidden = !running;
    if (running) banner.querySelector("[data-wave-banner-left]").textContent = formatClock(running.remainingMs);
  }

  function route() {
    if (location.hash === NEW_CHECK_IN) {
      // Replaced, not added: Back from the rating leaves the toolkit, and a
      // reload keeps this check-in instead of starting another.
      window.history.replaceState(null, "", "#rate");
      flow.start();
      return;
    }
    const wanted = decodeURIComponent(location.hash.slice(1));
    const name = screens.has(wanted) ? wanted : "start";
    const screen = screens.get(name);
    if (currentName && currentName !== name) hooks[currentName]?.leave?.();
    const first = currentName === null;
    currentName = name;
    for (const [id, section] of screens) section.hidden = id !== name;
    // "Back" goes to the tool list of a check-in in progress, or to the start.
    const back = draft() ? "#choose" : "#start";
    root.querySelectorAll("[data-back]").forEach((a) => { a.href = back; });
    flow.noteTool(name);
    hooks[name]?.enter?.();
    const heading = screen.querySelector("h1");
    document.title = `${heading.textContent} · Crest`;
    window.scrollTo(0, 0);
    // Moving between screens: focus the new heading so screen readers
    // announce it. A fresh load starts at the top of the page anyway.
    if (!first) heading.focus({ preventScroll: true });
  }

  window.addEventListener("hashchange", route);
  route();
  root.dataset.ready = "true";
}
