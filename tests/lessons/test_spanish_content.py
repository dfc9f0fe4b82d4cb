"""The Spanish lessons (issue 12): every file in lessons/content/es passes the
same loader and quiz rules as the English ones, mirrors its English twin
(slug, order, kind, quiz shape, right answers, diagrams, shared steps,
sources, figures), uses person-first words and the "usted" register
(docs/glossary-es.md), and has Spanish diagrams of its own."""

import re
import unicodedata
from pathlib import Path

import pytest
import yaml
from django.conf import settings

from lessons.models import Lesson
from lessons.quiz import is_scored
from lessons.services import FRONT_MATTER, lesson_file_parse

EN_DIR = Path(settings.BASE_DIR) / "lessons" / "content"
ES_DIR = EN_DIR / "es"
EN_DIAGRAMS = Path(settings.BASE_DIR) / "lessons" / "diagrams"
ES_DIAGRAMS = EN_DIAGRAMS / "es"
ES_STEPS = ES_DIR / "_shared" / "overdose-steps.md"
ES_SHARED = sorted((ES_DIR / "_shared").glob("*.md"))

ES_FILES = sorted(ES_DIR.glob("*.md"))
EN_FILES = sorted(EN_DIR.glob("*.md"))
DIAGRAM_LINE = re.compile(r"^\[\[diagram:([a-z0-9-]+)\]\][ \t]*$", re.MULTILINE)
STEPS_LINE = re.compile(r"^\[\[steps:([a-z0-9-]+)\]\][ \t]*$", re.MULTILINE)


def raw(path: Path) -> tuple[dict, str]:
    """Front matter and body as written, before the loader expands anything."""
    front, body = FRONT_MATTER.match(path.read_text(encoding="utf-8")).groups()
    return yaml.safe_load(front), body


def readable_text(path: Path) -> str:
    """Everything a reader sees in one lesson file: title, summary, quiz,
    source titles and body, without link targets."""
    meta, body = raw(path)
    parts = [meta.get("title", ""), meta.get("summary", ""), body]
    for question in meta.get("quiz") or []:
        parts.append(question["question"])
        for choice in question["choices"]:
            parts += [choice["text"], choice["explanation"]]
    parts += [source["title"] for source in meta.get("sources") or []]
    text = "\n".join(str(part) for part in parts)
    text = re.sub(r"\]\([^)]*\)", "]", text)  # Markdown link targets
    return re.sub(r"https?://\S+", " ", text)


def svg_text(path: Path) -> str:
    return " ".join(re.findall(r">([^<>]+)<", path.read_text(encoding="utf-8")))


def fold(text: str) -> str:
    """Lower case without accents, so "toxicómano" and "toxicomano" match alike."""
    decomposed = unicodedata.normalize("NFD", text.lower())
    return "".join(c for c in decomposed if unicodedata.category(c) != "Mn")


def spanish_texts() -> list[tuple[str, str]]:
    texts = [(path.name, readable_text(path)) for path in ES_FILES]
    texts += [(path.name, path.read_text(encoding="utf-8")) for path in ES_SHARED]
    texts += [(f"diagrams/es/{path.name}", svg_text(path)) for path in sorted(ES_DIAGRAMS.glob("*.svg"))]
    return texts


def test_there_is_a_spanish_file_for_every_english_lesson_and_no_other():
    assert [path.name for path in ES_FILES] == [path.name for path in EN_FILES]
    assert len(ES_FILES) >= 10


@pytest.mark.parametrize("path", ES_FILES, ids=lambda path: path.name)
def test_each_spanish_file_loads_with_the_real_parser(path):
    fields = lesson_file_parse(path)  # raises LessonFileError on any problem, quiz rules included
    assert fields["body"].strip() and fields["quiz"] and fields["sources"]


@pytest.mark.parametrize("path", ES_FILES, ids=lambda path: path.name)
def test_each_spanish_file_mirrors_its_english_twin(path):
    es, en = lesson_file_parse(path), lesson_file_parse(EN_DIR / path.name)
    for key in ("slug", "order", "kind"):
        assert es[key] == en[key], (path.name, key)
    assert len(es["quiz"]) == len(en["quiz"]), path.name
    for number, (q_es, q_en) in enumerate(zip(es["quiz"], en["quiz"], strict=True), start=1):
        assert is_scored(q_es) == is_scored(q_en), (path.name, number)
        assert len(q_es["choices"]) == len(q_en["choices"]), (path.name, number)
        right_es = [i for i, choice in enumerate(q_es["choices"]) if choice.get("correct") is True]
        right_en = [i for i, choice in enumerate(q_en["choices"]) if choice.get("correct") is True]
        assert right_es == right_en, (path.name, number)
        assert q_es["question"] != q_en["question"], (path.name, number, "not translated")
    assert es["title"] != en["title"] and es["summary"] != en["summary"], path.name


@pytest.mark.parametrize("path", ES_FILES, ids=lambda path: path.name)
def test_diagrams_steps_and_details_boxes_stay_where_the_english_has_them(path):
    (_, body_es), (_, body_en) = raw(path), raw(EN_DIR / path.name)
    assert DIAGRAM_LINE.findall(body_es) == DIAGRAM_LINE.findall(body_en), path.name
    assert STEPS_LINE.findall(body_es) == STEPS_LINE.findall(body_en), path.name
    assert body_es.count('<details markdown="1">') == body_en.count('<details markdown="1">'), path.name
    assert "For the curious" not in body_es
    assert body_es.count("<summary>Si quiere saber más") == body_es.count("<details"), path.name


@pytest.mark.parametrize("path", ES_FILES, ids=lambda path: path.name)
def test_sources_keep_their_links_and_are_marked_english(path):
    (meta_es, _), (meta_en, _) = raw(path), raw(EN_DIR / path.name)
    assert [s["url"] for s in meta_es["sources"]] == [s["url"] for s in meta_en["sources"]], path.name
    for source_es, source_en in zip(meta_es["sources"], meta_en["sources"], strict=True):
        assert source_es["title"] != source_en["title"], (path.name, source_es["title"])
        # Every source behind these links is in English; the reader is told so.
        assert source_es["title"].endswith("(en inglés)"), (path.name, source_es["title"])


def numbers(text: str) -> set[str]:
    text = re.sub(r"\]\([^)]*\)", "]", text)
    text = re.sub(r"https?://\S+|PMC\d+|PubMed \d+|PEP[\d-]+|NBK\d+", " ", text)
    return set(re.findall(r"\d+(?:[.,]\d+)*", text))


@pytest.mark.parametrize("path", ES_FILES, ids=lambda path: path.name)
def test_every_figure_in_the_english_body_is_in_the_spanish_body_and_none_is_new(path):
    (_, body_es), (_, body_en) = raw(path), raw(EN_DIR / path.name)
    assert numbers(body_en) <= numbers(body_es), (path.name, numbers(body_en) - numbers(body_es))
    # The only new number is the key to press for Spanish on 988 (FACTS.md §10).
    assert numbers(body_es) - numbers(body_en) <= {"2"}, (path.name, numbers(body_es) - numbers(body_en))


@pytest.mark.parametrize("path", ES_FILES, ids=lambda path: path.name)
def test_low_mood_lines_give_988_with_its_spanish_options_and_samaritans(path):
    _, body_en = raw(EN_DIR / path.name)
    _, body_es = raw(path)
    expected = body_en.count("[988](tel:988)")
    assert body_es.count("[988](tel:988)") == expected, path.name
    assert body_es.count("marque 2") == expected and body_es.count("escriba AYUDA") == expected, path.name
    assert body_es.count("[116 123](tel:116123)") == body_en.count("[116 123](tel:116123)"), path.name


@pytest.mark.parametrize("path", ES_FILES, ids=lambda path: path.name)
def test_reading_time_stays_within_the_course_limits(path):
    fields = lesson_file_parse(path)
    minutes = Lesson(body=fields["body"]).reading_minutes
    if fields["kind"] == Lesson.Kind.MICRO:
        assert 1 <= minutes <= 2, (path.name, minutes)
    else:
        assert 3 <= minutes <= 6, (path.name, minutes)


def test_the_right_answer_is_not_usually_the_longest_or_the_shortest():
    longest = shortest = total = 0
    for path in ES_FILES:
        for question in lesson_file_parse(path)["quiz"]:
            if not is_scored(question):
                continue
            lengths = [len(choice["text"]) for choice in question["choices"]]
            right = next(i for i, choice in enumerate(question["choices"]) if choice.get("correct"))
            longest += lengths[right] == max(lengths) and lengths.count(max(lengths)) == 1
            shortest += lengths[right] == min(lengths) and lengths.count(min(lengths)) == 1
            total += 1
    assert longest <= total / 3, (longest, total)
    assert shortest <= total / 3, (shortest, total)


# --- The shared overdose steps in Spanish ------------------------------------


def test_spanish_lessons_get_the_spanish_shared_steps():
    spanish_steps = ES_STEPS.read_text(encoding="utf-8").strip()
    english_steps = (EN_DIR / "_shared" / "overdose-steps.md").read_text(encoding="utf-8").strip()
    users = [path for path in ES_FILES if "[[steps:overdose]]" in raw(path)[1]]
    assert len(users) >= 2
    for path in users:
        body = lesson_file_parse(path)["body"]
        assert spanish_steps in body and english_steps not in body, path.name
        assert "[[steps:" not in body


def test_the_spanish_steps_keep_the_samhsa_order_with_breathing_support():
    text = fold(re.sub(r"\]\([^)]*\)", "]", ES_STEPS.read_text(encoding="utf-8")))
    order = ["llame", "revisela", "ayudela a respirar", "rcp", "respiraciones de rescate", "por telefono",
             "naloxona", "quedese", "2 a 3 minutos", "otra dosis", "posicion de recuperacion", "30 a 90 minutos"]
    positions = [text.find(word) for word in order]
    assert -1 not in positions, dict(zip(order, positions, strict=True))
    assert positions == sorted(positions), dict(zip(order, positions, strict=True))
    for word in ("911", "999", "inyectables", "siga los pasos del kit", "xilacina"):
        assert word in text, word


def test_the_recovery_position_is_only_for_someone_who_is_breathing():
    text = fold(ES_STEPS.read_text(encoding="utf-8"))
    sentence = next(s for s in re.split(r"(?<=[.?])\s", text) if "posicion de recuperacion" in s)
    assert "respire sola" in sentence


# --- Person-first words -------------------------------------------------------

# docs/glossary-es.md: words that label or judge a person, or call treatment a
# swap. Matched on whole words, without accents, in any case.
STIGMA_ES = re.compile(
    r"\b(adict[oa]s?|drogadict[oa]s?|toxicoman[oa]s?|heroinoman[oa]s?|drogodependientes?|yonquis?|tecat[oa]s?|"
    r"viciosos?|limpi[oa]s?|suci[oa]s?|abusos?|abusador(?:es|as?)?|"
    r"terapias? de (?:sustitucion|reemplazo)|tratamientos? de (?:sustitucion|reemplazo))\b"
)


def test_the_stigma_check_catches_the_words_and_spares_the_plain_ones():
    for bad in ("Era un ADICTO.", "drogadictas", "toxicómano", "está limpia", "orina sucia",
                "el abuso de sustancias", "abusadores", "terapia de sustitución"):
        assert STIGMA_ES.search(fold(bad)), bad
    for fine in ("la adicción", "limpiar la jeringa", "una sustancia", "persona que consume heroína"):
        assert not STIGMA_ES.search(fold(fine)), fine


@pytest.mark.parametrize("name,text", spanish_texts(), ids=lambda value: value if len(value) < 60 else "")
def test_spanish_content_uses_person_first_language(name, text):
    match = STIGMA_ES.search(fold(text))
    assert match is None, (name, match and match.group(0))


# --- "Usted" everywhere ---------------------------------------------------------

# Second-person "tú" (and "vosotros") forms that have no other meaning in
# Spanish. Accents matter here ("estás" is "tú", "estas" is "these").
TU_FORMS = re.compile(
    r"\b(tú|tu|tus|te|ti|contigo|tuy[oa]s?|eres|estás|tienes|puedes|quieres|sabes|sientes|necesitas|"
    r"vas|haces|debes|has|hazlo|dime|vosotr[oa]s|vuestr[oa]s?|os)\b",
    re.IGNORECASE,
)


def test_the_register_check_catches_tu_and_spares_usted():
    for bad in ("Tú puedes", "¿Cómo estás?", "si tienes ansias", "te ayuda", "llama a tu clínica"):
        assert TU_FORMS.search(bad), bad
    for fine in ("Usted puede", "estas ganas", "le ayuda", "su clínica", "tiene ansias", "esta tarde"):
        assert not TU_FORMS.search(fine), fine


@pytest.mark.parametrize("name,text", spanish_texts(), ids=lambda value: value if len(value) < 60 else "")
def test_spanish_content_speaks_to_the_reader_as_usted(name, text):
    match = TU_FORMS.search(text)
    assert match is None, (name, match and match.group(0))


# --- Diagrams -------------------------------------------------------------------


def test_every_diagram_a_spanish_lesson_uses_has_a_spanish_version():
    used = sorted({name for path in ES_FILES for name in DIAGRAM_LINE.findall(raw(path)[1])})
    assert used
    for name in used:
        assert (ES_DIAGRAMS / f"{name}.svg").is_file(), name


@pytest.mark.parametrize("path", sorted(ES_DIAGRAMS.glob("*.svg")), ids=lambda path: path.name)
def test_spanish_diagrams_have_spanish_title_and_desc_and_the_english_shapes(path):
    svg = path.read_text(encoding="utf-8")
    english = (EN_DIAGRAMS / path.name).read_text(encoding="utf-8")
    title = re.search(r"<title[^>]*>(.*?)</title>", svg, re.S).group(1).strip()
    desc = re.search(r"<desc[^>]*>(.*?)</desc>", svg, re.S).group(1).strip()
    assert title and desc
    assert title not in english and desc not in english, "title and desc are translated"
    assert re.search(r"\b(la|el|de|los|las)\b", desc) and re.search(r"[áéíóúñ]", title + desc)
    # Same shapes, ids and layout as the English: only the words differ.
    assert re.sub(r">[^<]*<", "><", svg) == re.sub(r">[^<]*<", "><", english)
    # Inline in the page under a strict CSP: no script, no outside references.
    assert "<script" not in svg.lower() and not re.search(r"\bon[a-z]+\s*=", svg)
    assert not re.search(r"(?:href|src)\s*=\s*\"(?!#)", svg) and "@import" not in svg
    assert not re.search(r"url\((?!#)", svg)
    for word in re.findall(r">([^<>]+)<", svg):
        assert word.strip() not in {"Heroin taken", "Brain", "Injury", "Reward", "Punishment", "Over time"}, word
