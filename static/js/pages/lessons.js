// Lessons list and home page: show done / not yet and course progress.
import { renderProgress } from "../progress.js";
import { spaceReady } from "../space.js";

await spaceReady();
renderProgress();
window.addEventListener("pageshow", () => renderProgress());
