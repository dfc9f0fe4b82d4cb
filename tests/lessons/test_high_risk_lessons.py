"""Short lessons for moments of high risk (issue 21): leaving jail or prison,
after a baby is born, and for family and friends. They are lessons like the
others: loaded by migrate, in English and Spanish, with sources and a
knowledge check, readable offline, and assignable by a clinic."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinics.services import assignments_create
from lessons.models import Lesson
from tests.factories import make_patient, make_staff

pytestmark = pytest.mark.django_db

HIGH_RISK = ["leaving-prison", "after-a-baby", "for-family-and-friends"]


def test_each_is_a_published_micro_lesson_with_a_check_sources_and_a_spanish_twin():
    for slug in HIGH_RISK:
        lesson = Lesson.objects.published().get(slug=slug)
        assert lesson.kind == Lesson.Kind.MICRO, slug
        assert 1 <= lesson.reading_minutes <= 2, (slug, lesson.word_count)
        assert lesson.quiz_total >= 2 and lesson.sources, slug
        spanish = lesson.translations.get(language="es")
        assert spanish.quiz_total == lesson.quiz_total and 1 <= spanish.reading_minutes <= 2, slug


@pytest.mark.parametrize("slug", HIGH_RISK)
def test_each_page_reads_in_both_languages_and_sends_to_help_in_an_emergency(client, slug):
    for prefix in ("", "/es"):
        html = client.get(f"{prefix}/lessons/{slug}/").content.decode()
        assert 'data-quiz' in html and 'id="sources-title"' in html, (prefix, slug)
        assert 'href="tel:911"' in html and 'href="tel:999"' in html, (prefix, slug)


def test_the_facts_each_lesson_is_for_are_in_it():
    body = {slug: Lesson.objects.get(slug=slug).body for slug in HIGH_RISK}
    assert "12.7 times" in body["leaving-prison"] and "naloxone" in body["leaving-prison"]
    assert "methadone or buprenorphine" in body["leaving-prison"]
    assert "7 to 12 months after the birth" in body["after-a-baby"] and "locked box" in body["after-a-baby"]
    assert "CRAFT" in body["for-family-and-friends"] and "without a prescription" in body["for-family-and-friends"]


def test_a_clinic_can_assign_them_like_any_lesson():
    clinician = make_staff()
    clinic = clinician.membership.clinic
    patient = make_patient(clinic=clinic)
    lessons = list(Lesson.objects.for_clinic(clinic).filter(slug__in=HIGH_RISK))
    assert len(lessons) == 3
    made = assignments_create(clinician=clinician, clinic=clinic, patients=[patient], lessons=lessons,
                              due_date=timezone.localdate() + timedelta(days=7))
    assert sorted(a.lesson.slug for a in made) == sorted(HIGH_RISK)


def test_the_lesson_list_offers_them_as_short_reads(client):
    html = client.get("/lessons/").content.decode()
    short = html[html.index('id="micro-title"'):]
    for slug in HIGH_RISK:
        assert f'href="/lessons/{slug}/"' in short, slug


@pytest.mark.parametrize("slug", HIGH_RISK)
def test_the_word_checks_reach_them(client, slug):
    """The course-wide person-first and US-spelling checks read every
    published lesson; these say so for the new ones, in both languages."""
    from tests.content.test_safety import STIGMA, UK_SPELLINGS, stigma_text, text_of
    from tests.lessons.test_spanish_content import STIGMA_ES, TU_FORMS, fold

    english = client.get(f"/lessons/{slug}/").content.decode()
    assert STIGMA.search(stigma_text(english)) is None
    assert UK_SPELLINGS.search(text_of(english[:english.index('id="sources-title"')])) is None
    spanish = text_of(client.get(f"/es/lessons/{slug}/").content.decode())
    assert STIGMA_ES.search(fold(spanish)) is None and TU_FORMS.search(spanish) is None
