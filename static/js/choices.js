// The craving log's tools, outcomes and triggers: craving/choices.py defines
// them once, and the toolkit page carries them (craving/views.py, json_script
// "craving-choices": data, not script, so the CSP allows it), in the page's
// language and order:
//   {tools: {key: name}, outcomes: {key: name}, triggerKinds: {key: name},
//    triggers: {English label: name}}
// Entries store keys and English trigger labels, whatever the language;
// `names` turns them into words when they are shown or downloaded.
function read() {
  try {
    return JSON.parse(globalThis.document?.getElementById("craving-choices")?.textContent || "null") || {};
  } catch {
    return {};
  }
}

const choices = read();

export const TOOLS = choices.tools || {};
export const OUTCOMES = choices.outcomes || {};
export const TRIGGER_KINDS = Object.keys(choices.triggerKinds || {});

export const names = {
  tool: (key) => TOOLS[key] ?? key,
  outcome: (key) => OUTCOMES[key] ?? key,
  trigger: (label) => choices.triggers?.[label] ?? label,
};
