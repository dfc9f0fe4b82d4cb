// Step-by-step screens (5-4-3-2-1 grounding, Think it through): one card at
// a time, with Back / Next and "Step 2 of 6".
import { gettext, interpolate } from "./i18n.js";

export function initSteps(root) {
  if (!root) return { enter() {} };
  const steps = [...root.querySelectorAll("[data-step]")];
  const count = root.querySelector("[data-step-count]");
  const back = root.querySelector("[data-step-back]");
  const next = root.querySelector("[data-step-next]");
  let index = 0;

  function show(i, focus = false) {
    index = Math.max(0, Math.min(steps.length - 1, i));
    steps.forEach((step, n) => { step.hidden = n !== index; });
    count.textContent = interpolate(gettext("Step %(n)s of %(total)s"), { n: index + 1, total: steps.length });
    back.disabled = index === 0;
    next.hidden = index === steps.length - 1;
    if (focus) {
      const heading = steps[index].querySelector("h2");
      heading.tabIndex = -1;
      heading.focus();
    }
  }

  back.addEventListener("click", () => show(index - 1, true));
  next.addEventListener("click", () => show(index + 1, true));
  show(0);
  return { enter() { show(0); } };
}
