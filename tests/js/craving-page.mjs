// The toolkit page as the craving log's modules see it: the tools, outcomes
// and triggers it carries (craving/choices.py renders the real ones; these
// are a few, in English). Import it before any module that reads them.
const CHOICES = {
  tools: { wave: "Ride the wave", breathing: "Slow breathing" },
  outcomes: { passed: "It passed", eased: "It eased" },
  triggerKinds: { people: "People", places: "Places", feelings: "Feelings", halt: "Quick self-check" },
  triggers: { Home: "Home", Work: "Work", Tired: "Tired" },
};

globalThis.document = {
  documentElement: { lang: "en" },
  getElementById: (id) => (id === "craving-choices" ? { textContent: JSON.stringify(CHOICES) } : null),
};
