// Lesson progress and quiz results kept in this browser (no account needed),
// each person's apart (space.js: a key per space; pages read it once
// spaceReady() has filed the key kept before spaces).
// Shape: { [slug]: { doneAt?: ISO string, score?: number, total?: number } }
// Storage can fail (private mode, quota); reads then give empty progress and
// writes report false, so pages still work.
import { gettext, interpolate } from "./i18n.js";
import { PROGRESS_KEY, spaceKey } from "./space.js";

const KEY = spaceKey(PROGRESS_KEY);

export function readProgress() {
  try {
    const parsed = JSON.parse(localStorage.getItem(KEY) || "{}");
    return parsed && typeof parsed === "object" ? parsed : {};
  } catch {
    return {};
  }
}

function write(progress) {
  try {
    localStorage.setItem(KEY, JSON.stringify(progress));
    return true;
  } catch {
    return false;
  }
}

export function lessonProgress(slug) {
  return readProgress()[slug] || {};
}

export function markDone(slug) {
  const progress = readProgress();
  const entry = progress[slug] || {};
  if (!entry.doneAt) entry.doneAt = new Date().toISOString();
  progress[slug] = entry;
  return write(progress);
}

export function saveQuizResult(slug, score, total) {
  const progress = readProgress();
  progress[slug] = { ...(progress[slug] || {}), score, total, quizAt: new Date().toISOString() };
  return write(progress);
}

export function doneCount(slugs) {
  const progress = readProgress();
  return slugs.filter((slug) => progress[slug]?.doneAt).length;
}

// Fill in every course summary and lesson status on the page.
export function renderProgress(root = document) {
  const progress = readProgress();
  root.querySelectorAll("[data-course-slugs]").forEach((summary) => {
    const slugs = summary.dataset.courseSlugs.split(" ").filter(Boolean);
    const done = doneCount(slugs);
    summary.querySelectorAll("[data-course-done]").forEach((el) => { el.textContent = String(done); });
    summary.querySelectorAll("[data-course-progress]").forEach((bar) => {
      bar.max = Math.max(slugs.length, 1);
      bar.value = done;
    });
    const next = slugs.find((slug) => !progress[slug]?.doneAt);
    const cont = summary.querySelector("[data-continue]");
    if (cont && next && done > 0) {
      // The list link is in the page's language (/es/lessons/): the lesson is under it.
      cont.href = new URL(`${next}/`, cont.href).pathname;
      cont.textContent = gettext("Continue where you left off");
    } else if (cont && done === slugs.length && slugs.length) {
      cont.textContent = gettext("Review the lessons");
    }
  });
  root.querySelectorAll("[data-lesson]").forEach((item) => {
    const status = item.querySelector("[data-lesson-status]");
    const entry = progress[item.dataset.lesson];
    if (!status) return;
    if (entry?.doneAt) {
      item.classList.add("is-done");
      status.textContent = entry.total
        ? interpolate(gettext("Done · %(score)s of %(total)s right"), { score: entry.score, total: entry.total })
        : gettext("Done");
    }
  });
}
