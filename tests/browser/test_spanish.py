"""Crest in Spanish, in a real Chromium against the real server: a phone set
to Spanish gets Spanish at Crest's address and keeps every Spanish page for
offline use; the switch works both ways and holds when the app is opened
again from its icon, online or not; no English sentence shows on a Spanish
page; axe finds nothing in Spanish either."""

import json
import re
from pathlib import Path

import polib
import pytest

from devtools.browser import PHONE, wait_for_service_worker, wait_until_resolved_true
from devtools.server import ROOT

from .conftest import new_page
from .test_accessibility import assert_no_axe_violations

pytestmark = pytest.mark.browser

SPANISH_PHONE = {**PHONE, "locale": "es-US"}
ENGLISH_PHONE = {**PHONE, "locale": "en-US"}
SHELL = ["/", "/lessons/", "/craving/", "/help/", "/offline/"]


@pytest.fixture
def es_context(browser, server):
    context = browser.new_context(base_url=server.url, **SPANISH_PHONE)
    yield context
    context.close()


@pytest.fixture
def es_page(es_context):
    return new_page(es_context)


def spanish_lessons(page) -> list[str]:
    page.goto("/es/lessons/")
    return page.eval_on_selector_all(".lesson-item a", "links => links.map(a => new URL(a.href).pathname)")


def cached_paths(page) -> set[str]:
    return set(page.evaluate(
        "() => caches.keys()"
        ".then(names => Promise.all(names.filter(n => n.includes('pages'))"
        ".map(n => caches.open(n).then(c => c.keys()))))"
        ".then(lists => lists.flat().map(r => new URL(r.url).pathname))"
    ))


def wait_until_cached(page, path: str) -> None:
    wait_until_resolved_true(
        page,
        "path => caches.keys().then(names => Promise.all(names.map(n => caches.open(n).then(c => c.match(path)))))"
        ".then(found => found.some(Boolean))",
        path,
    )


def start_url(page) -> str:
    return page.evaluate(
        "fetch(document.querySelector('link[rel=manifest]').href).then(r => r.json()).then(m => m.start_url)"
    )


def test_a_spanish_phone_gets_spanish_first_and_every_spanish_page_offline(es_context, es_page):
    page = es_page
    page.goto("/")
    assert page.url.endswith("/es/")
    assert page.evaluate("document.documentElement.lang") == "es"
    assert page.locator(".button-craving").inner_text() == "Tengo ansias"
    wait_for_service_worker(page)
    lessons = spanish_lessons(page)
    assert len(lessons) >= 9 and all(path.startswith("/es/lessons/") for path in lessons)
    # Only the language in use is saved: the English pages stay off this phone.
    stored = cached_paths(page)
    assert {"/es/", "/es/help/", "/es/craving/", "/es/jsi18n.js"} <= stored
    assert "/help/" not in stored

    es_context.set_offline(True)
    for path in [f"/es{p}" for p in SHELL] + lessons:
        response = page.goto(path)
        assert response is not None and response.ok and response.from_service_worker, path
        assert page.evaluate("document.documentElement.lang") == "es", path
        assert page.locator("h1").first.inner_text().strip(), path
    # Offline, Crest's address still opens in Spanish.
    page.goto("/")
    assert page.url.endswith("/es/")
    # The toolkit's scripts speak Spanish offline too (their strings are saved).
    page.goto("/es/craving/#breathing")
    page.locator("[data-breath-toggle]").click()
    assert page.locator("[data-breath-toggle]").inner_text() == "Parar"
    assert page.locator("[data-breath-cue]").inner_text() in ("Tome aire", "Suelte el aire")
    page.goto("/es/help/")
    assert page.locator("h1").inner_text() == "Ayuda ahora"
    assert "AYUDA" in page.locator("[data-spanish-access]").inner_text()
    assert page.js_errors == []


def test_the_switch_works_both_ways_and_is_kept_when_the_app_is_reopened(es_context, es_page):
    page = es_page
    page.goto("/")
    wait_for_service_worker(page)
    assert start_url(page) == "/"

    # Spanish → English, online.
    page.goto("/es/lessons/two-forces/")
    page.get_by_role("link", name="English").click()
    page.wait_for_url(re.compile(r"//[^/]+/lessons/two-forces/$"))  # "**/lessons/…" matches "/es/lessons/…" too
    assert "/es/" not in page.url
    assert page.evaluate("document.documentElement.lang") == "en"
    # Reopened from the icon (start_url), a Spanish phone now gets English.
    again = es_context.new_page()
    again.goto(start_url(page))
    assert again.evaluate("document.documentElement.lang") == "en" and not re.search(r"/es/", again.url)
    again.close()
    # Switching made the English pages available offline too.
    wait_until_cached(page, "/help/")
    es_context.set_offline(True)
    offline = es_context.new_page()
    offline.goto("/")
    assert offline.evaluate("document.documentElement.lang") == "en"
    assert offline.goto("/help/").from_service_worker
    assert offline.locator("h1").inner_text() == "Help now"

    # English → Spanish, offline: the choice holds and the Spanish pages open.
    offline.goto("/craving/")
    offline.get_by_role("link", name="Español").click()
    offline.wait_for_url("**/es/craving/")
    assert offline.locator("h1").first.inner_text() == "Herramientas para las ansias"
    reopened = es_context.new_page()
    reopened.goto("/")
    assert reopened.url.endswith("/es/")
    # The server gets the same choice when the phone is back online: the
    # cookie was set at the tap.
    assert "django_language=es" in reopened.evaluate("document.cookie")


def test_an_english_phone_that_chose_spanish_keeps_it(browser, server):
    context = browser.new_context(base_url=server.url, **ENGLISH_PHONE)
    try:
        page = context.new_page()
        page.goto("/")
        assert page.evaluate("document.documentElement.lang") == "en"
        wait_for_service_worker(page)
        page.get_by_role("link", name="Español").click()
        page.wait_for_url("**/es/")
        wait_until_cached(page, "/es/help/")
        second = context.new_page()
        second.goto("/")
        assert second.url.endswith("/es/")
        context.set_offline(True)
        third = context.new_page()
        third.goto("/")
        assert third.url.endswith("/es/") and third.locator(".button-craving").inner_text() == "Tengo ansias"
    finally:
        context.close()


# --- No English on a Spanish page ---------------------------------------------

def english_sentences() -> list[str]:
    """Every English phrase of three words or more in the catalogs (tags and
    placeholders cut out), except those that read the same in Spanish."""
    phrases = set()
    for po in (ROOT / "locale" / "es" / "LC_MESSAGES").glob("*.po"):
        for entry in polib.pofile(str(po)):
            spanish = " ".join([entry.msgstr, *entry.msgstr_plural.values()]).lower()
            for source in filter(None, [entry.msgid, entry.msgid_plural]):
                for piece in re.split(r"<[^>]+>|%\(\w+\)s|%s|[.:;?!()“”\"]", source):
                    piece = " ".join(piece.split())
                    if len(piece.split()) >= 3 and piece.lower() not in spanish:
                        phrases.add(piece.lower())
    return sorted(phrases)


def visible_spanish_text(page) -> str:
    """What a reader sees, leaving out what is marked as English (a service's
    English name, an untranslated lesson)."""
    return page.evaluate(
        """() => {
          const parts = [];
          const walker = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
          while (walker.nextNode()) {
            const node = walker.currentNode;
            const el = node.parentElement;
            if (!el || el.closest('[lang]:not(html)')?.lang === 'en') continue;
            if (el.closest('script, style, [hidden]') || !el.checkVisibility()) continue;
            parts.push(node.textContent);
          }
          return parts.join(' ').replace(/\\s+/g, ' ').toLowerCase();
        }"""
    )


def test_a_spanish_page_shows_no_english_sentence(es_page):
    page = es_page
    phrases = english_sentences()
    assert len(phrases) > 200
    paths = [f"/es{p}" for p in SHELL] + spanish_lessons(page) + ["/es/me/", "/es/accounts/login/"]
    found = {}
    for path in paths:
        page.goto(path)
        page.wait_for_load_state("networkidle")
        if page.locator("[data-question]").count():
            page.locator("[data-question]").first.locator("input").first.check()
            page.locator("[data-mark-done]").click()
        text = visible_spanish_text(page)
        found[path] = [phrase for phrase in phrases if phrase in text]
    # The toolkit's screens, drawn by its scripts: a whole craving check-in.
    page.goto("/es/craving/")
    page.wait_for_function("() => document.querySelector('[data-toolkit]')?.dataset.ready === 'true'")
    page.locator("[data-start-craving]").click()
    page.locator("#rate [data-rate='7']").click()
    page.locator("#choose a[href='#grounding']").click()
    page.locator("#grounding [data-step-next]").click()
    found["#grounding"] = [phrase for phrase in phrases if phrase in visible_spanish_text(page)]
    page.locator("#grounding [data-finish]").click()
    page.locator("#finish label.chip", has_text="Pasaron").click()
    page.locator("#finish details.more").first.locator("summary").click()
    page.locator("#finish label.chip", has_text="Estrés").click()
    page.locator("#finish button[type=submit]").click()
    page.wait_for_url("**#log")
    page.locator("[data-log-list] li").first.wait_for()
    log = visible_spanish_text(page)
    found["#log"] = [phrase for phrase in phrases if phrase in log]
    assert "estrés: 1" in log and "pasaron" in log
    page.goto("/es/craving/#wave")
    page.locator("[data-wave-duration='5']").click()
    found["#wave"] = [phrase for phrase in phrases if phrase in visible_spanish_text(page)]
    assert {path: hits for path, hits in found.items() if hits} == {}


def answer_marks(page) -> dict[str, str]:
    """Answer the first scored question wrong: what the marks after the two
    answers say (drawn by CSS, so read aloud and shown, not in innerText)."""
    question = page.locator("[data-question]:not([data-unscored])").first
    question.locator("input:not([data-correct])").first.check()
    after = "(el) => getComputedStyle(el, '::after').content"
    return {
        "right": question.locator(".choice.is-right label").evaluate(after),
        "wrong": question.locator(".choice.is-wrong label").evaluate(after),
    }


def test_the_quiz_marks_the_right_and_the_chosen_answer_in_the_pages_language(es_page, page):
    es_page.goto("/es/lessons/dopamine-steps/")
    marks = answer_marks(es_page)
    assert "respuesta correcta" in marks["right"] and "su respuesta" in marks["wrong"], marks
    assert "answer" not in marks["right"] + marks["wrong"]
    page.goto("/lessons/dopamine-steps/")
    marks = answer_marks(page)
    assert "right answer" in marks["right"] and "your answer" in marks["wrong"], marks


def test_the_craving_log_downloads_in_spanish(es_page):
    page = es_page
    page.goto("/es/craving/")
    page.wait_for_function("() => document.querySelector('[data-toolkit]')?.dataset.ready === 'true'")
    page.locator("[data-start-craving]").click()
    page.locator("#rate [data-rate='6']").click()
    page.locator("#choose a[href='#breathing']").click()
    page.locator("#breathing [data-finish]").click()
    page.locator("#finish label.chip", has_text="Bajaron").click()
    page.locator("#finish details.more").first.locator("summary").click()
    page.locator("#finish label.chip", has_text="Soledad").click()
    page.locator("#finish button[type=submit]").click()
    page.wait_for_url("**#log")
    with page.expect_download() as download:
        page.locator("[data-export='csv']").click()
    rows = Path(download.value.path()).read_text(encoding="utf-8").splitlines()
    assert rows[0].split(",")[:7] == ["id", "inicio", "fin", "antes", "después", "herramienta", "resultado"]
    assert "Respiración lenta" in rows[1] and "Bajaron" in rows[1] and "Soledad" in rows[1]
    with page.expect_download() as download:
        page.locator("[data-export='json']").click()
    data = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))
    # Stored names stay as they are (so a file reads back the same); the words are beside them.
    assert data["entries"][0]["outcome"] == "eased" and data["entries"][0]["triggers"]["halt"] == ["Lonely"]
    assert data["labels"]["language"] == "es" and data["labels"]["trigger"]["Lonely"] == "Soledad"


# --- Accessibility --------------------------------------------------------------

@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_no_axe_violations_on_spanish_pages(browser, server, scheme):
    paths = ["/es/", "/es/lessons/", "/es/lessons/dopamine-steps/", "/es/craving/", "/es/help/", "/es/me/"]
    assert_no_axe_violations(browser, server, scheme=scheme, paths=paths, phone=SPANISH_PHONE)
