"""Lessons in Spanish: one Lesson per slug, its Spanish words in a
LessonTranslation, loaded by migrate from lessons/content/es/ and shown in
the reader's language, with English (marked lang="en") where a Spanish text
is missing."""

import re

import pytest
from django.utils import translation

from lessons.models import Lesson, LessonTranslation
from lessons.services import LessonFileError, lesson_body_html, lessons_load
from tests.factories import make_assignment, make_patient
from tests.lessons.test_loader import VALID, write_lesson

pytestmark = pytest.mark.django_db


def write_pair(tmp_path, *, slug="test-lesson", es_title="Una lección de prueba", es_quiz=None):
    write_lesson(tmp_path, "01-test.md", slug=slug)
    (tmp_path / "es").mkdir(exist_ok=True)
    text = VALID.format(slug=slug, title=es_title, order=1, body="Un texto.")
    if es_quiz is not None:
        text = text.replace('quiz:\n  - question: "Is this a question?"', es_quiz)
    (tmp_path / "es" / "01-test.md").write_text(text)


def test_migrate_loads_a_spanish_text_for_every_lesson():
    lessons = Lesson.objects.published()
    spanish = LessonTranslation.objects.filter(language="es", lesson__in=lessons)
    assert lessons.count() >= 10
    assert spanish.count() == lessons.count()


def test_the_loader_keeps_one_lesson_per_slug_with_its_spanish_words(tmp_path):
    write_pair(tmp_path)
    result = lessons_load(directory=tmp_path)
    lesson = Lesson.objects.get(slug="test-lesson")
    assert result.created == ["test-lesson"] and result.translations_created == ["test-lesson (es)"]
    assert lesson.title == "A test lesson"
    assert lesson.translations.get(language="es").title == "Una lección de prueba"
    # Loading again changes nothing: the service worker keeps its version.
    again = lessons_load(directory=tmp_path)
    assert again.translations_unchanged == ["test-lesson (es)"] and not again.translations_updated


def test_an_edited_spanish_file_updates_its_translation_in_place(tmp_path):
    write_pair(tmp_path)
    lessons_load(directory=tmp_path)
    before = LessonTranslation.objects.get(lesson__slug="test-lesson")
    write_pair(tmp_path, es_title="Otro título")
    result = lessons_load(directory=tmp_path)
    after = LessonTranslation.objects.get(lesson__slug="test-lesson")
    assert result.translations_updated == ["test-lesson (es)"]
    assert after.pk == before.pk and after.title == "Otro título" and after.updated_at > before.updated_at


def test_a_spanish_file_with_no_english_twin_is_refused(tmp_path):
    write_lesson(tmp_path, "01-test.md", slug="test-lesson")
    (tmp_path / "es").mkdir()
    write_lesson(tmp_path / "es", "02-other.md", slug="no-such-lesson")
    with pytest.raises(LessonFileError, match=r"02-other\.md.*no English lesson"):
        lessons_load(directory=tmp_path)


def test_a_spanish_quiz_must_be_scored_out_of_as_many_questions(tmp_path):
    """The clinic sees one score whatever the language the check was taken in."""
    unscored_only_extra = (
        'quiz:\n  - question: "¿Una reflexión?"\n    scored: false\n    choices:\n'
        '      - text: "Sí"\n        explanation: "Bien."\n      - text: "No"\n        explanation: "Bien."\n'
        '  - question: "Is this a question?"'
    )
    write_pair(tmp_path, es_quiz=unscored_only_extra)
    lessons_load(directory=tmp_path)  # a reflection more is fine: the score is the same
    two_scored = (
        'quiz:\n  - question: "¿Otra?"\n    choices:\n'
        '      - text: "Sí"\n        correct: true\n        explanation: "Bien."\n'
        '      - text: "No"\n        explanation: "No."\n'
        '  - question: "Is this a question?"'
    )
    write_pair(tmp_path, es_quiz=two_scored)
    with pytest.raises(LessonFileError, match="2 scored questions; the English lesson has 1"):
        lessons_load(directory=tmp_path)


def test_a_removed_spanish_file_falls_back_to_english_and_the_lesson_stays(tmp_path):
    write_pair(tmp_path)
    lessons_load(directory=tmp_path)
    (tmp_path / "es" / "01-test.md").unlink()
    result = lessons_load(directory=tmp_path)
    lesson = Lesson.objects.get(slug="test-lesson")
    assert result.translations_removed == ["test-lesson (es)"] and lesson.published
    with translation.override("es"):
        assert lesson.text.language == "en" and lesson.text.title == "A test lesson"


def test_a_lesson_with_no_spanish_text_is_shown_in_english_marked_lang_en(client):
    lesson = Lesson.objects.published().first()
    lesson.translations.all().delete()
    html = client.get(f"/es{lesson.get_absolute_url()}").content.decode()
    assert '<html lang="es">' in html
    assert re.search(r'<article class="lesson"[^>]*\blang="en"', html)
    assert "todavía no está traducida" in html
    listing = client.get("/es/lessons/").content.decode()
    assert re.search(rf'<span class="lesson-title" lang="en">{re.escape(lesson.title)}</span>', listing)


def test_the_spanish_lesson_page_shows_the_spanish_text_quiz_and_sources(client):
    lesson = Lesson.objects.get(slug="two-forces")
    spanish = lesson.translations.get(language="es")
    html = client.get("/es/lessons/two-forces/").content.decode()
    assert f"<h1>{spanish.title}</h1>" in html
    assert 'class="lesson" ' in html and not re.search(r'<article class="lesson"[^>]*\blang=', html)
    assert spanish.quiz[0]["question"] in html.replace("&quot;", '"')
    assert "Fuentes" in html and "Repase lo que aprendió" in html


def test_spanish_lessons_draw_the_spanish_diagrams(settings):
    lesson = Lesson.objects.get(slug="dopamine-steps")
    html = str(lesson_body_html(lesson.translations.get(language="es").body, language="es"))
    svg = (settings.LESSONS_DIAGRAMS_DIR / "es" / "dopamine-pathway.svg").read_text()
    title = re.search(r"<title[^>]*>(.*?)</title>", svg, re.S).group(1).strip()
    assert '<figure class="diagram">' in html and 'lang="en"' not in html
    assert f"<figcaption>{title}</figcaption>" in html


def test_a_clinic_assigns_the_lesson_and_each_patient_reads_it_in_their_language(client):
    lesson = Lesson.objects.get(slug="two-forces")
    patient = make_patient()
    make_assignment(patient=patient, lesson=lesson)
    client.force_login(patient.user)
    english = client.get("/api/v1/me/assignments/").json()["assignments"][0]
    spanish = client.get("/api/v1/me/assignments/?lang=es").json()["assignments"][0]
    assert english["slug"] == spanish["slug"] == "two-forces"
    assert english["title"] == lesson.title and english["url"] == "/lessons/two-forces/"
    assert spanish["title"] == lesson.translations.get(language="es").title
    assert spanish["url"] == "/es/lessons/two-forces/"
