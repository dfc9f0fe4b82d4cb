// The signed-in patient's link to their clinic: one place that talks to
// /api/v1/. Every call fails soft (null) when offline or signed out.
import { LANGUAGE } from "./i18n.js";

const ASSIGNMENTS_URL = "/api/v1/me/assignments/";
const PROGRESS_URL = "/api/v1/progress/";

// {signed_in, patient, clinic, assignments: [...]} or null when unreachable.
export async function fetchAssignments() {
  try {
    // Titles and links in the page's language.
    const response = await fetch(`${ASSIGNMENTS_URL}?lang=${encodeURIComponent(LANGUAGE)}`, { credentials: "same-origin", headers: { Accept: "application/json" } });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}

// Django's CSRF cookie (not HttpOnly: Django's default); the assignments
// call above makes sure it is set.
function csrfToken() {
  const match = document.cookie.split("; ").find((part) => part.startsWith("csrftoken="));
  return match ? decodeURIComponent(match.slice("csrftoken=".length)) : "";
}

// The progress item for one lesson: the phone's record (progress.js), with
// anything newer from the event that prompted it. Null when there is
// nothing to share yet (not done, no check result).
export function progressItem(slug, local = {}, extra = {}) {
  const item = { slug, done: Boolean(local.doneAt) || Boolean(extra.done) };
  const score = extra.score ?? local.score;
  const total = extra.total ?? local.total;
  if (Number.isInteger(score) && Number.isInteger(total)) Object.assign(item, { score, total });
  return item.done || item.score !== undefined ? item : null;
}

// POST one progress item; resolves to the server's answer or null.
export async function sendProgress(item) {
  try {
    const response = await fetch(PROGRESS_URL, {
      method: "POST",
      credentials: "same-origin",
      headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": csrfToken() },
      body: JSON.stringify(item),
    });
    return response.ok ? await response.json() : null;
  } catch {
    return null;
  }
}
