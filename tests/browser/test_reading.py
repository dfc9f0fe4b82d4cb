"""Reading comfort in a real Chromium: the text size a person picks is kept
(after a reload, offline, in both languages) and applied before the first
paint; every public page reflows at 320 CSS pixels at the largest size;
forced colours and more contrast keep everything visible, with axe clean;
read aloud appears only with a voice on the phone and reads the page's
sentences in order, marking each; the install sheet's screenshots are served."""

import json
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from devtools.browser import PHONE, wait_for_service_worker
from tests.browser.test_accessibility import assert_no_axe_violations
from tests.browser.test_craving import log_craving
from tests.browser.test_spanish import wait_until_cached

pytestmark = pytest.mark.browser

SMALLEST_PHONE = {**PHONE, "viewport": {"width": 320, "height": 640}}
TOOLKIT_SCREENS = [
    "start", "rate", "choose", "wave", "breathing", "grounding", "think", "reasons", "people", "distractions",
    "finish", "log",
]
STUB = (Path(__file__).parent / "speech_stub.js").read_text()
LOCAL_ENGLISH = {"name": "Phone English", "lang": "en-US", "localService": True, "default": True}
LOCAL_SPANISH = {"name": "Teléfono español", "lang": "es_US", "localService": True, "default": False}
REMOTE_ENGLISH = {"name": "Cloud English", "lang": "en-US", "localService": False, "default": True}


def choose_size(page, label: str) -> None:
    menu = page.locator("[data-text-size-menu]")
    if menu.get_attribute("open") is None:
        menu.locator("summary").click()
    menu.get_by_label(label, exact=True).check()


def root_size(page) -> tuple[str | None, str]:
    """The size chosen on <html>, and the body text's size that follows from it."""
    return tuple(page.evaluate(
        "[document.documentElement.getAttribute('data-text-size'), getComputedStyle(document.body).fontSize]"
    ))


# --- Text size ---------------------------------------------------------------

def test_the_text_size_is_kept_after_a_reload_and_offline(context, page):
    page.goto("/")
    wait_for_service_worker(page)
    assert root_size(page) == (None, "17px")
    choose_size(page, "Largest")
    assert root_size(page) == ("largest", "25.5px")
    page.reload()
    assert root_size(page) == ("largest", "25.5px")
    assert page.locator("[data-text-size-choice][value=largest]").is_checked()
    # A Spanish page once online: the phone then keeps the Spanish pages too.
    page.goto("/es/")
    wait_until_cached(page, "/es/help/")

    context.set_offline(True)
    for path in ("/lessons/", "/lessons/pain-relief/", "/craving/", "/help/", "/es/"):
        response = page.goto(path)
        assert response.from_service_worker, path
        assert root_size(page) == ("largest", "25.5px"), path
    # In Spanish, offline: the control in Spanish, and a change holds.
    menu = page.locator("[data-text-size-menu]")
    expect(menu.locator("summary")).to_contain_text("Tamaño del texto")
    choose_size(page, "Grande")
    page.goto("/es/help/")
    assert root_size(page) == ("large", "21.25px")
    choose_size(page, "Normal")
    page.reload()
    assert root_size(page) == (None, "17px")
    assert page.js_errors == []


PAINT_PROBE = """
(() => {
  const probe = (window.__probe = {});
  // The moment <body> exists: the head, and its scripts, are done.
  new MutationObserver((_, observer) => {
    if (!document.body) return;
    probe.atBody = document.documentElement.getAttribute("data-text-size");
    observer.disconnect();
  }).observe(document, { childList: true, subtree: true });
  // The first frame's callbacks run just before it is painted.
  requestAnimationFrame(() => { probe.firstFrame = getComputedStyle(document.body).fontSize; });
})();
"""


def test_the_text_size_is_there_before_the_first_paint(context, page):
    context.add_init_script(PAINT_PROBE)
    page.goto("/lessons/")
    page.wait_for_function("() => window.__probe.firstFrame")
    assert page.evaluate("window.__probe") == {"atBody": None, "firstFrame": "17px"}
    choose_size(page, "Largest")
    for path in ("/lessons/", "/help/", "/es/craving/"):
        page.goto(path)
        page.wait_for_function("() => window.__probe.firstFrame")
        assert page.evaluate("window.__probe") == {"atBody": "largest", "firstFrame": "25.5px"}, path


def test_a_blocked_storage_leaves_the_normal_size_and_no_error(context, page):
    context.add_init_script(
        "Object.defineProperty(window, 'localStorage',"
        " { get() { throw new DOMException('blocked', 'SecurityError'); } });"
    )
    page.goto("/")
    choose_size(page, "Large")
    assert root_size(page) == ("large", "21.25px")
    page.reload()
    assert root_size(page) == (None, "17px")
    assert page.js_errors == []


LAYOUT_PROBLEMS = """
() => {
  const problems = [];
  const doc = document.scrollingElement;
  const width = doc.clientWidth;
  if (doc.scrollWidth > width) problems.push(`the page scrolls sideways: ${doc.scrollWidth} > ${width}`);
  const name = (el) => `${el.tagName.toLowerCase()}${el.id ? "#" + el.id : ""}.${el.classList.value}`
    + ` "${el.textContent.trim().slice(0, 40)}"`;
  const ignored = (el) => el.closest(".visually-hidden, .skip-link, svg");
  const shown = (el) => el.getClientRects().length > 0
    && el.checkVisibility({ opacityProperty: true, visibilityProperty: true });
  for (const el of document.body.querySelectorAll("*")) {
    if (ignored(el) || !shown(el)) continue;
    const rect = el.getBoundingClientRect();
    if (rect.width && (rect.left < -1 || rect.right > width + 1)) {
      problems.push(`${name(el)} sticks out: ${Math.round(rect.left)} to ${Math.round(rect.right)}`);
    }
    const style = getComputedStyle(el);
    const clips = style.overflowX !== "visible" || style.overflowY !== "visible";
    const cut = el.scrollWidth > el.clientWidth + 1 || el.scrollHeight > el.clientHeight + 1;
    const field = ["TEXTAREA", "INPUT", "SELECT"].includes(el.tagName);
    if (clips && cut && !field) problems.push(`${name(el)} cuts off its content`);
  }
  // Words past the edge, even where a box around them did not grow.
  const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    if (!node.data.trim() || ignored(node.parentElement) || !shown(node.parentElement)) continue;
    const range = document.createRange();
    range.selectNodeContents(node);
    const rect = range.getBoundingClientRect();
    if (rect.left < -1 || rect.right > width + 1) problems.push(`text sticks out: "${node.data.trim().slice(0, 40)}"`);
  }
  const interactive = "a[href], button, input:not([type=hidden]), select, textarea, summary";
  const controls = [...document.querySelectorAll(interactive)].filter((el) => !ignored(el) && shown(el));
  controls.forEach((a, i) => controls.slice(i + 1).forEach((b) => {
    if (a.contains(b) || b.contains(a)) return;
    for (const ra of a.getClientRects()) for (const rb of b.getClientRects()) {
      const across = Math.min(ra.right, rb.right) - Math.max(ra.left, rb.left);
      const down = Math.min(ra.bottom, rb.bottom) - Math.max(ra.top, rb.top);
      if (across > 1 && down > 1) problems.push(`${name(a)} overlaps ${name(b)}`);
    }
  }));
  // The knowledge check's question once sat across its card's top border.
  for (const legend of document.querySelectorAll(".question legend")) {
    const card = legend.closest("fieldset");
    const top = card.getBoundingClientRect().top + parseFloat(getComputedStyle(card).borderTopWidth);
    if (legend.getBoundingClientRect().top < top) problems.push(`${name(legend)} overlaps its card's border`);
  }
  return problems;
}
"""


def public_pages(page, prefix: str) -> list[str]:
    page.goto(f"{prefix}/lessons/")
    lessons = page.eval_on_selector_all(".lesson-item a", "links => links.map(a => new URL(a.href).pathname)")
    assert len(lessons) >= 9
    shell = [
        "/", "/lessons/", "/help/", "/craving/safety-plan/", "/reminders/", "/check-in/", "/offline/", "/me/",
        "/accounts/login/", "/no-such-page/",
    ]
    return [f"{prefix}{path}" for path in shell] + lessons + [f"{prefix}/craving/#{name}" for name in TOOLKIT_SCREENS]


def show(page, path: str) -> None:
    """Open a page; on a lesson, show one answer's explanation too, and with
    the menu open, the text size choices."""
    page.goto(path)
    if "#" in path:
        expect(page.locator(f"section#{path.split('#')[1]}")).to_be_visible()
    if page.locator("[data-question]").count():
        page.locator("[data-question]").first.locator("input:not([data-correct])").first.check()


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_every_public_page_reflows_at_320_pixels_at_the_largest_size(browser, server, prefix):
    context = browser.new_context(base_url=server.url, **SMALLEST_PHONE)
    context.add_init_script("localStorage.setItem('crest:text-size', 'largest')")
    try:
        page = context.new_page()
        pages = public_pages(page, prefix)
        problems = {}
        for path in pages:
            show(page, path)
            assert root_size(page)[0] == "largest", path
            if found := page.evaluate(LAYOUT_PROBLEMS):
                problems[path] = found
        # The open text size menu, on the narrowest page, in this language.
        page.goto(f"{prefix}/")
        page.locator("[data-text-size-menu] summary").click()
        if found := page.evaluate(LAYOUT_PROBLEMS):
            problems[f"{prefix}/ with the menu open"] = found
        assert problems == {}
    finally:
        context.close()


HEADER_ROWS = """() => {
  const top = (selector) => [...document.querySelectorAll(selector)].map((e) => e.getBoundingClientRect());
  const [brand] = top('header.top .brand');
  const sameRow = (box) => box.top < brand.bottom && box.bottom > brand.top;
  return {help: top('header.top .help-link').every(sameRow), menu: top('header.top .top-nav a').map(sameRow),
          height: Math.round(document.querySelector('header.top').getBoundingClientRect().height)};
}"""


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_on_a_320_pixel_phone_help_now_sits_beside_crest_and_the_menu_below(browser, server, prefix):
    """At the default size on the smallest phone the header is two rows in
    both languages: Crest and Help now, then the menu. In Spanish the menu
    ("Lecciones", "Herramientas") does not fit beside Crest, and the header
    took three rows, pushing the page's own heading down."""
    context = browser.new_context(base_url=server.url, **SMALLEST_PHONE)
    try:
        page = context.new_page()
        page.goto(f"{prefix}/craving/")
        rows = page.evaluate(HEADER_ROWS)
        assert rows["help"] and rows["menu"] == [False, False] and rows["height"] < 130, rows
    finally:
        context.close()


def test_the_layout_check_finds_overlap_and_sideways_scrolling(browser, server):
    """The check above fails on a page that does what it forbids."""
    context = browser.new_context(base_url=server.url, **SMALLEST_PHONE)
    try:
        page = context.new_page()
        page.goto("/")
        page.evaluate("""() => {
          const help = document.querySelector('.help-link');
          help.style.position = 'absolute';
          help.style.left = document.querySelector('.brand').getBoundingClientRect().left + 'px';
          help.style.top = document.querySelector('.brand').getBoundingClientRect().top + 'px';
          document.querySelector('.hero-sub').style.width = '400px';
        }""")
        found = "\n".join(page.evaluate(LAYOUT_PROBLEMS))
        assert "scrolls sideways" in found and "overlaps" in found
        # The knowledge check's question drawn on its card's border, as once seen.
        page.goto("/lessons/pain-relief/")
        page.evaluate("document.querySelector('.question legend').style.float = 'none'")
        assert "overlaps its card's border" in "\n".join(page.evaluate(LAYOUT_PROBLEMS))
    finally:
        context.close()


# --- High contrast -----------------------------------------------------------

def public_paths_for_axe(page) -> list[str]:
    return public_pages(page, "") + [
        "/es/", "/es/help/", "/es/craving/#breathing", "/es/craving/safety-plan/", "/es/reminders/", "/es/check-in/",
        "/es/lessons/dopamine-steps/",
    ]


@pytest.mark.parametrize(
    ("scheme", "forced"), [("light", "none"), ("dark", "none"), ("light", "active"), ("dark", "active")]
)
def test_axe_is_clean_on_every_public_page_in_light_dark_and_forced_colours(browser, server, scheme, forced):
    context = browser.new_context(base_url=server.url, **PHONE)
    try:
        paths = public_paths_for_axe(context.new_page())
    finally:
        context.close()
    assert_no_axe_violations(browser, server, scheme=scheme, paths=paths, forced_colors=forced)


def styles(page, selector: str, *properties: str) -> list[str]:
    return page.eval_on_selector(
        selector, "(el, names) => names.map((name) => getComputedStyle(el).getPropertyValue(name))", list(properties)
    )


def test_forced_colours_keep_every_control_focus_ring_bar_chart_and_the_breathing_circle_visible(browser, server):
    context = browser.new_context(base_url=server.url, forced_colors="active", **PHONE)
    try:
        page = context.new_page()
        page.goto("/")
        canvas = page.evaluate("getComputedStyle(document.body).backgroundColor")
        # Buttons and button-like links that only a background drew get a border.
        for selector in (".button-craving", ".help-link", "a.button"):
            width, style, color = styles(page, selector, "border-top-width", "border-top-style", "border-top-color")
            assert float(width.removesuffix("px")) >= 2 and style == "solid" and color != canvas, selector
        # The focus ring, reached by keyboard.
        page.keyboard.press("Tab")
        page.keyboard.press("Tab")
        ring = page.evaluate(
            "(() => { const s = getComputedStyle(document.activeElement);"
            " return [document.activeElement.tagName, s.outlineStyle, s.outlineWidth, s.outlineColor]; })()"
        )
        assert ring[1] == "solid" and ring[2] == "3px" and ring[3] != canvas, ring
        # The course progress bar keeps a frame and a fill in system colours.
        border_color, adjust = styles(page, "progress", "border-top-color", "forced-color-adjust")
        assert adjust == "none" and border_color != canvas

        page.goto("/craving/#breathing")
        background, border = styles(page, ".breath-circle", "background-color", "border-top-color")
        assert background != canvas and border != canvas and background != border
        page.locator("[data-breath-toggle]").click()
        assert styles(page, ".breath-circle", "animation-name") == ["crest-breathe"]

        # The chart's dots, lines and labels, and a lesson diagram's.
        log_craving(page, before=8, tool="breathing", after=3, outcome="It eased")
        dot_fill, = styles(page, "[data-log-chart] .ch-dot", "fill")
        label_fill, = styles(page, "[data-log-chart] .ch-label", "fill")
        grid, = styles(page, "[data-log-chart] .ch-grid", "stroke")
        assert len({dot_fill, label_fill, grid, canvas}) == 4
        page.goto("/lessons/dopamine-steps/")
        line, = styles(page, ".diagram .dg-line", "stroke")
        text, = styles(page, ".diagram .dg-text", "fill")
        assert line != canvas and text != canvas
    finally:
        context.close()


def test_more_contrast_draws_borders_in_the_text_colour(browser, server):
    context = browser.new_context(base_url=server.url, contrast="more", **PHONE)
    try:
        page = context.new_page()
        page.goto("/lessons/")
        text = page.evaluate("getComputedStyle(document.body).color")
        width, color = styles(page, ".lesson-item", "border-top-width", "border-top-color")
        assert width == "2px" and color == text
    finally:
        context.close()


# --- Read aloud --------------------------------------------------------------

def speech_context(browser, server, *, voices: list[dict], no_highlight_api: bool = False, **options):
    context = browser.new_context(base_url=server.url, **{**PHONE, **options})
    stub = STUB.replace("__OPTIONS__", json.dumps({"voices": voices, "noHighlightApi": no_highlight_api}))
    context.add_init_script(stub)
    return context


def open_with_voices(context, path: str):
    page = context.new_page()
    errors = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.js_errors = errors
    page.goto(path)
    page.wait_for_function("() => window.__speech.ready")
    return page


def read_to_the_end(page, limit: int = 400) -> list[dict]:
    for _ in range(limit):
        if not page.evaluate("window.__speech.finish()"):
            break
    return page.evaluate("window.__speech.spoken")


def words(text: str) -> list[str]:
    return text.split()


READABLE_TEXT = """
(selector) => {
  // What a reader sees: drawings and their titles left out (their caption stays).
  const hidden = [...document.querySelectorAll("svg, .visually-hidden, read-aloud")];
  hidden.forEach((el) => { el.dataset.display = el.style.display; el.style.display = "none"; });
  const text = [...document.querySelectorAll(selector)].map((el) => el.innerText).join("\\n");
  hidden.forEach((el) => { el.style.display = el.dataset.display; });
  return text;
}
"""


MARK_ON_SCREEN = """
() => {
  const highlight = window.Highlight && CSS.highlights.get("read-aloud");
  const rects = highlight
    ? [...highlight].map((range) => range.getBoundingClientRect())
    : [...document.querySelectorAll(".read-aloud-current")].map((span) => span.getBoundingClientRect());
  return rects.length > 0 && rects.every((rect) => rect.top >= 0 && rect.bottom <= window.innerHeight);
}
"""


@pytest.mark.parametrize("no_highlight_api", [False, True], ids=["highlight-api", "spans"])
def test_a_lesson_is_read_aloud_offline_sentence_by_sentence_with_each_marked(browser, server, no_highlight_api):
    context = speech_context(browser, server, voices=[REMOTE_ENGLISH, LOCAL_ENGLISH], no_highlight_api=no_highlight_api)
    try:
        page = open_with_voices(context, "/")
        wait_for_service_worker(page)
        context.set_offline(True)
        page = open_with_voices(context, "/lessons/dopamine-steps/")
        control = page.locator("read-aloud")
        expect(control).to_be_visible()
        control.get_by_role("button", name="Read aloud").click()
        expect(control.get_by_role("button", name="Pause")).to_be_focused()
        # Far down the lesson: the sentence is on screen, and so are the buttons.
        read_to_the_end(page, limit=30)
        page.wait_for_function("() => window.scrollY > 0")
        expect(control.get_by_role("button", name="Pause")).to_be_in_viewport()
        page.wait_for_function(MARK_ON_SCREEN, timeout=5_000)
        spoken = read_to_the_end(page)

        title = page.locator(".lesson-head h1").inner_text()
        first_paragraph = page.locator(".lesson-body p").first.inner_text()
        assert spoken[0]["text"] == title
        assert spoken[1]["text"] == re.split(r"(?<=[.!?])\s+", first_paragraph)[0]
        # Every word the reader sees, in order, and nothing else.
        readable = page.evaluate(READABLE_TEXT, ".lesson-head h1, .lesson-body")
        assert words(" ".join(s["text"] for s in spoken)) == words(readable)
        # The mark moved with the voice: each sentence was marked while it was spoken.
        assert [words(s["marked"]) for s in spoken] == [words(s["text"]) for s in spoken]
        assert {(s["voice"], s["lang"]) for s in spoken} == {("Phone English", "en-US")}
        # At the end: ready to start again, nothing marked.
        expect(control.get_by_role("button", name="Read aloud")).to_be_visible()
        assert page.evaluate("document.querySelectorAll('.read-aloud-current').length") == 0
        assert page.evaluate("!window.Highlight || !CSS.highlights.has('read-aloud')")
        assert page.js_errors == []
    finally:
        context.close()


def test_pause_resume_and_stop(browser, server):
    context = speech_context(browser, server, voices=[LOCAL_ENGLISH])
    try:
        page = open_with_voices(context, "/lessons/pain-relief/")
        control = page.locator("read-aloud")
        control.get_by_role("button", name="Read aloud").click()
        page.evaluate("window.__speech.finish(); window.__speech.finish()")
        spoken = page.evaluate("window.__speech.spoken")
        assert len(spoken) == 3
        control.get_by_role("button", name="Pause").click()
        expect(control.get_by_role("button", name="Resume")).to_be_focused()
        assert page.evaluate("window.__speech.current") is None
        # Paused: the sentence stays marked, nothing more is said.
        assert page.evaluate("CSS.highlights.get('read-aloud').size") == 1
        control.get_by_role("button", name="Resume").click()
        spoken = page.evaluate("window.__speech.spoken")
        assert len(spoken) == 4 and spoken[3]["text"] == spoken[2]["text"]
        page.evaluate("window.__speech.finish()")
        assert page.evaluate("window.__speech.spoken.length") == 5
        control.get_by_role("button", name="Stop").click()
        expect(control.get_by_role("button", name="Read aloud")).to_be_focused()
        expect(control.get_by_role("button", name="Stop")).to_be_hidden()
        assert page.evaluate("window.__speech.current") is None
        assert not page.evaluate("CSS.highlights.has('read-aloud')")
        # Starting again starts from the top.
        control.get_by_role("button", name="Read aloud").click()
        assert page.evaluate("window.__speech.spoken.at(-1).text") == spoken[0]["text"]
        assert page.js_errors == []
    finally:
        context.close()


@pytest.mark.parametrize(
    ("path", "voices"),
    [
        ("/lessons/pain-relief/", [REMOTE_ENGLISH]),
        ("/lessons/pain-relief/", [LOCAL_SPANISH]),
        ("/es/help/", [REMOTE_ENGLISH, LOCAL_ENGLISH]),
        ("/help/", []),
    ],
    ids=["remote-only", "other-language", "spanish-page-english-voice", "no-voices"],
)
def test_no_button_without_a_local_voice_in_the_pages_language(browser, server, path, voices):
    context = speech_context(browser, server, voices=voices)
    try:
        page = open_with_voices(context, path)
        page.wait_for_load_state("networkidle")
        assert page.locator("read-aloud").count() == 1
        expect(page.locator("read-aloud")).to_be_hidden()
        assert page.js_errors == []
    finally:
        context.close()


def test_help_now_is_read_in_spanish_with_a_spanish_voice(browser, server):
    context = speech_context(browser, server, voices=[REMOTE_ENGLISH, LOCAL_SPANISH])
    try:
        page = open_with_voices(context, "/es/help/")
        control = page.locator("read-aloud")
        control.get_by_role("button", name="Leer en voz alta").click()
        spoken = read_to_the_end(page)
        assert spoken[0]["text"] == "Ayuda ahora"
        assert {s["voice"] for s in spoken} == {"Teléfono español"}
        # "EE. UU." is one name, never two sentences.
        assert not [s for s in spoken if s["text"].endswith("EE.") or s["text"].startswith("UU.")]
        assert any("EE. UU." in s["text"] for s in spoken)
        # The call buttons are controls, not text.
        assert not [s for s in spoken if s["text"].startswith("Llame al 911 ")]
    finally:
        context.close()


def test_a_tool_reads_only_its_step_on_screen_and_stops_when_the_step_changes(browser, server):
    context = speech_context(browser, server, voices=[LOCAL_ENGLISH])
    try:
        page = open_with_voices(context, "/craving/#grounding")
        screen = page.locator("section#grounding")
        control = screen.locator("read-aloud")
        control.get_by_role("button", name="Read aloud").click()
        spoken = read_to_the_end(page)
        assert [s["text"] for s in spoken] == [
            "5-4-3-2-1",
            "Bring yourself back to the room, one sense at a time.",
            "Say each thing out loud or in your head.",
            "5 things you can see",
            "Look around slowly.",
            "A color, a shape, something small you never notice.",
        ]
        control.get_by_role("button", name="Read aloud").click()
        assert page.evaluate("window.__speech.current") is not None
        screen.get_by_role("button", name="Next").click()
        expect(control.get_by_role("button", name="Read aloud")).to_be_visible()
        assert page.evaluate("window.__speech.current") is None
        assert page.js_errors == []
    finally:
        context.close()


# --- Install sheet -----------------------------------------------------------

@pytest.mark.parametrize("prefix", ["", "/es"])
def test_the_manifest_screenshots_are_served_at_their_sizes(page, prefix):
    manifest = page.request.get(f"{prefix}/manifest.json").json()
    assert {shot["form_factor"] for shot in manifest["screenshots"]} == {"narrow", "wide"}
    for shot in manifest["screenshots"]:
        response = page.request.get(shot["src"])
        assert response.ok and response.headers["content-type"] == "image/png", shot
        body = response.body()
        width, height = int.from_bytes(body[16:20], "big"), int.from_bytes(body[20:24], "big")
        assert f"{width}x{height}" == shot["sizes"], shot
