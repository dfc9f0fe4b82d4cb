// Read aloud: the phone's own speech (speechSynthesis) reads a lesson, Help
// now or a tool's instructions, one sentence at a time, and marks the
// sentence it is reading. Only a voice on the phone itself is used
// (voice.localService: it works offline and sends nothing anywhere); where
// there is none for the text's language, the control stays hidden. No
// audio files, no outside service.
//
// <read-aloud data-for="CSS selector"> (project/templates/_read_aloud.html)
// holds the buttons; the selector names what it reads, in page order.

const HIGHLIGHT = "read-aloud";
const CURRENT = "read-aloud-current";
// Not read: controls and their labels, what only a screen reader hears,
// live updates (the breathing cue, step counts), drawings (their caption
// is read) and the read-aloud buttons themselves.
const SKIP = [
  "button", "input", "select", "textarea", "label", "legend", "progress", "svg", "script", "style", "noscript",
  "[aria-hidden='true']", ".visually-hidden", "[role='status']", "[aria-live]", "read-aloud",
].join(",");
const WORDS = /[\p{L}\p{N}]/u;
const synth = () => globalThis.speechSynthesis;

function baseLanguage(tag) {
  return (tag || "").toLowerCase().replace("_", "-").split("-")[0];
}

// A voice on this phone for this language, the phone's default first.
function localVoice(language) {
  const voices = (synth()?.getVoices() || []).filter(
    (voice) => voice.localService === true && baseLanguage(voice.lang) === baseLanguage(language),
  );
  return voices.find((voice) => voice.default) || voices[0] || null;
}

function shown(element) {
  if (element.getClientRects().length === 0) return false;
  return element.checkVisibility ? element.checkVisibility({ visibilityProperty: true }) : true;
}

// The nearest ancestor laid out as a block: a sentence never runs across
// two blocks (a heading and its paragraph, a list item and the next).
function blockOf(element, root) {
  for (let el = element; el && el !== root; el = el.parentElement) {
    const display = getComputedStyle(el).display;
    if (!display.startsWith("inline") && display !== "contents") return el;
  }
  return root;
}

// "EE. UU." (and "U. S.") is one name, not the end of a sentence.
const SPLIT_NAME_END = /\b\p{Lu}{1,2}\.\s*$/u;
const SPLIT_NAME_START = /^\s*\p{Lu}{1,2}\./u;

function sentenceBounds(text, language) {
  const bounds = globalThis.Intl?.Segmenter
    ? [...new Intl.Segmenter(language, { granularity: "sentence" }).segment(text)].map(
      ({ index, segment }) => [index, index + segment.length],
    )
    : [...text.matchAll(/[^.!?…]+(?:[.!?…]+["”’»)]*|$)/g)].map((m) => [m.index, m.index + m[0].length]);
  const merged = [];
  for (const [start, end] of bounds) {
    const last = merged[merged.length - 1];
    const joins = last && SPLIT_NAME_END.test(text.slice(...last)) && SPLIT_NAME_START.test(text.slice(start, end));
    if (joins) last[1] = end;
    else merged.push([start, end]);
  }
  return merged;
}

// One block's text nodes → its sentences: the words to speak, and the
// pieces of text nodes ([node, start, end]) that show them on the page.
function blockSentences(nodes, language) {
  // A block whose words are all links (‹ All tools, Call 911) is a set of
  // controls, not text to read.
  if (!nodes.some((node) => !node.parentElement.closest("a") && WORDS.test(node.data))) return [];
  const starts = [];
  let text = "";
  for (const node of nodes) {
    starts.push(text.length);
    text += node.data;
  }
  const sentences = [];
  for (let [start, end] of sentenceBounds(text, language)) {
    while (start < end && /\s/.test(text[start])) start += 1;
    while (end > start && /\s/.test(text[end - 1])) end -= 1;
    const words = text.slice(start, end).replace(/\s+/g, " ");
    if (!WORDS.test(words)) continue;
    const pieces = [];
    nodes.forEach((node, i) => {
      const from = Math.max(start, starts[i]);
      const to = Math.min(end, starts[i] + node.data.length);
      if (from < to) pieces.push([node, from - starts[i], to - starts[i]]);
    });
    sentences.push({ text: words, pieces });
  }
  return sentences;
}

function collectSentences(roots, language) {
  const sentences = [];
  for (const root of roots) {
    if (!shown(root)) continue;
    const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT, {
      acceptNode(node) {
        const parent = node.parentElement;
        if (!parent || !node.data.trim() || parent.closest(SKIP) || !shown(parent)) return NodeFilter.FILTER_REJECT;
        return NodeFilter.FILTER_ACCEPT;
      },
    });
    let block = null;
    let nodes = [];
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const nodeBlock = blockOf(node.parentElement, root);
      if (nodeBlock !== block && nodes.length) {
        sentences.push(...blockSentences(nodes, language));
        nodes = [];
      }
      block = nodeBlock;
      nodes.push(node);
    }
    if (nodes.length) sentences.push(...blockSentences(nodes, language));
  }
  return sentences;
}

// Browsers without the Highlight API: each sentence's pieces are wrapped in
// spans once, from the last piece to the first so the offsets still to be
// used stay valid, and a class marks the current one.
function wrapSentences(sentences) {
  for (const sentence of [...sentences].reverse()) {
    sentence.spans = [];
    for (const [node, start, end] of [...sentence.pieces].reverse()) {
      node.splitText(end);
      const middle = node.splitText(start);
      const span = document.createElement("span");
      middle.replaceWith(span);
      span.append(middle);
      sentence.spans.unshift(span);
    }
  }
}

const canHighlight = () => Boolean(globalThis.CSS?.highlights && globalThis.Highlight);

function sentenceRange(sentence) {
  const range = document.createRange();
  const [firstNode, firstStart] = sentence.pieces[0];
  const [lastNode, , lastEnd] = sentence.pieces[sentence.pieces.length - 1];
  range.setStart(firstNode, firstStart);
  range.setEnd(lastNode, lastEnd);
  return range;
}

class ReadAloud extends HTMLElement {
  connectedCallback() {
    this.buttons = {
      play: this.querySelector("[data-read-play]"),
      pause: this.querySelector("[data-read-pause]"),
      resume: this.querySelector("[data-read-resume]"),
      stop: this.querySelector("[data-read-stop]"),
    };
    this.roots = [...document.querySelectorAll(this.dataset.for || "main")];
    this.language = this.roots[0]?.closest("[lang]")?.lang || document.documentElement.lang;
    this.sentences = [];
    this.index = 0;
    this.state = "idle";
    // Bumped on every pause and stop: an utterance's late "end" from before
    // then must not move the reading on.
    this.run = 0;
    if (!synth() || !globalThis.SpeechSynthesisUtterance || !this.roots.length) return;

    this.buttons.play.addEventListener("click", () => this.start());
    this.buttons.pause.addEventListener("click", () => this.pause());
    this.buttons.resume.addEventListener("click", () => this.speakFrom(this.index));
    this.buttons.stop.addEventListener("click", () => this.stop());
    // Voices arrive after the page loads on most browsers.
    synth().addEventListener?.("voiceschanged", () => this.findVoice());
    this.findVoice();
    // One reader at a time; none once the page is left.
    document.addEventListener("crest:read-aloud", (event) => {
      if (event.detail !== this) this.reset();
    });
    window.addEventListener("pagehide", () => this.stop());
    // The text shown changed (another screen or step, a section opened or
    // closed): what was collected no longer matches the page.
    this.observer = new MutationObserver((records) => {
      const elsewhere = records.some((record) => !record.target.closest("read-aloud"));
      if (elsewhere && this.state !== "idle") this.stop();
    });
    for (const root of this.roots) {
      this.observer.observe(root, { attributes: true, attributeFilter: ["hidden", "open"], subtree: true });
    }
  }

  disconnectedCallback() {
    this.observer?.disconnect();
    if (this.state !== "idle") this.stop();
  }

  findVoice() {
    this.voice = localVoice(this.language);
    this.hidden = !this.voice;
    if (!this.voice && this.state !== "idle") this.stop();
  }

  start() {
    this.sentences = collectSentences(this.roots, this.language);
    if (!this.sentences.length) return;
    if (!canHighlight()) wrapSentences(this.sentences);
    document.dispatchEvent(new CustomEvent("crest:read-aloud", { detail: this }));
    this.speakFrom(0);
  }

  speakFrom(index) {
    const run = ++this.run;
    synth().cancel();
    this.setState("playing");
    const speak = (i) => {
      if (run !== this.run) return;
      if (i >= this.sentences.length) {
        this.stop();
        return;
      }
      this.index = i;
      const sentence = this.sentences[i];
      this.mark(sentence);
      const utterance = new SpeechSynthesisUtterance(sentence.text);
      utterance.lang = this.voice.lang;
      utterance.voice = this.voice;
      utterance.addEventListener("end", () => speak(i + 1));
      utterance.addEventListener("error", (event) => {
        // "interrupted" and "canceled" are our own pause and stop.
        if (run === this.run && !["interrupted", "canceled"].includes(event.error)) this.stop();
      });
      // Kept: Chrome stops firing events for an utterance it has collected.
      this.utterance = utterance;
      synth().speak(utterance);
    };
    speak(index);
  }

  // Pausing cancels the sentence and resuming says it again from its start:
  // speechSynthesis.pause() does not work on Android.
  pause() {
    this.run += 1;
    synth().cancel();
    this.setState("paused");
  }

  stop() {
    this.reset();
    synth().cancel();
  }

  // Back to the start without touching speech (another reader owns it now).
  reset() {
    this.run += 1;
    this.index = 0;
    this.unmark();
    this.setState("idle");
  }

  mark(sentence) {
    this.unmark();
    if (canHighlight()) {
      const range = sentenceRange(sentence);
      CSS.highlights.set(HIGHLIGHT, new Highlight(range));
      this.scrollTo(range.getBoundingClientRect());
    } else if (sentence.spans?.length) {
      sentence.spans.forEach((span) => span.classList.add(CURRENT));
      this.scrollTo(sentence.spans[0].getBoundingClientRect());
    }
  }

  unmark() {
    if (canHighlight()) CSS.highlights.delete(HIGHLIGHT);
    for (const sentence of this.sentences) sentence.spans?.forEach((span) => span.classList.remove(CURRENT));
  }

  // Keep the sentence being read on screen, a third of the way down.
  scrollTo(rect) {
    if (rect.top >= 0 && rect.bottom <= window.innerHeight) return;
    const still = window.matchMedia("(prefers-reduced-motion: reduce)").matches;
    window.scrollBy({ top: rect.top - window.innerHeight / 3, behavior: still ? "auto" : "smooth" });
  }

  setState(state) {
    const hadFocus = this.contains(document.activeElement);
    this.state = state;
    this.dataset.state = state;
    this.buttons.play.hidden = state !== "idle";
    this.buttons.pause.hidden = state !== "playing";
    this.buttons.resume.hidden = state !== "paused";
    this.buttons.stop.hidden = state === "idle";
    // The button just tapped may have gone: keep the focus on its partner.
    if (hadFocus && !this.contains(document.activeElement)) {
      ({ idle: this.buttons.play, playing: this.buttons.pause, paused: this.buttons.resume })[state].focus();
    }
  }
}

customElements.define("read-aloud", ReadAloud);
