// Lessons list and home page: show done / not yet and course progress.
import { renderProgress } from "./progress.js";

renderProgress();
window.addEventListener("pageshow", () => renderProgress());
