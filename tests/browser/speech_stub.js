// A stand-in for the phone's speech (speechSynthesis), put in the page
// before its scripts (page.add_init_script) by tests/browser/test_reading.py.
// The voices arrive late, with "voiceschanged", as on real phones. Each
// utterance waits until the test calls __speech.finish(), and records what
// the page marked as being read while it was spoken.
(() => {
  const options = __OPTIONS__;
  if (options.noHighlightApi) delete window.Highlight;
  let voices = [];
  const spoken = [];
  const speech = { spoken, current: null, cancels: 0, ready: false };
  window.__speech = speech;
  const marked = () => {
    const highlight = window.Highlight && CSS.highlights.get("read-aloud");
    if (highlight) return [...highlight].map((range) => range.toString()).join("");
    return [...document.querySelectorAll(".read-aloud-current")].map((span) => span.textContent).join("");
  };
  class FakeUtterance extends EventTarget {
    constructor(text) {
      super();
      this.text = text;
    }
  }
  const synth = new EventTarget();
  synth.getVoices = () => voices;
  synth.speak = (utterance) => {
    spoken.push({ text: utterance.text, lang: utterance.lang, voice: utterance.voice?.name ?? null, marked: marked() });
    speech.current = utterance;
  };
  synth.cancel = () => {
    speech.cancels += 1;
    const utterance = speech.current;
    speech.current = null;
    if (utterance) utterance.dispatchEvent(Object.assign(new Event("error"), { error: "interrupted" }));
  };
  synth.pause = () => {};
  synth.resume = () => {};
  speech.finish = () => {
    const utterance = speech.current;
    speech.current = null;
    utterance?.dispatchEvent(new Event("end"));
    return Boolean(utterance);
  };
  Object.defineProperty(window, "speechSynthesis", { value: synth, configurable: true });
  window.SpeechSynthesisUtterance = FakeUtterance;
  setTimeout(() => {
    voices = options.voices;
    synth.dispatchEvent(new Event("voiceschanged"));
    speech.ready = true;
  }, 100);
})();
