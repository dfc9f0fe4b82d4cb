// The names of the craving log's tools, outcomes and triggers in the page's
// language. The toolkit page carries them (craving/views.py, json_script:
// data, not script, so the CSP allows it), so Python and JS share one list.
// Entries store keys and English trigger labels, whatever the language;
// these turn them into words when they are shown or downloaded.
import { OUTCOMES, TOOLS } from "./craving-log.js";

let labels = null;

function read() {
  if (labels) return labels;
  try {
    labels = JSON.parse(document.getElementById("craving-choices")?.textContent || "null");
  } catch {
    labels = null;
  }
  labels ||= {};
  return labels;
}

export const toolName = (key) => read().tools?.[key] ?? TOOLS[key] ?? key;
export const outcomeName = (key) => read().outcomes?.[key] ?? OUTCOMES[key] ?? key;
export const triggerName = (label) => read().triggers?.[label] ?? label;
export const names = { tool: toolName, outcome: outcomeName, trigger: triggerName };
