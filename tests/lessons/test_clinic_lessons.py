"""A clinic's own lessons (made by staff in the admin) reach that clinic's
staff and patients only, and are never saved on phones for offline use."""

import pytest
from django.urls import reverse

from clinics.forms import AssignForm
from clinics.models import LessonProgress
from lessons.models import Lesson
from tests.factories import lesson_item, make_clinic, make_patient, make_staff, post_sync

pytestmark = pytest.mark.django_db

QUIZ = [
    {
        "question": "Q?",
        "choices": [{"text": "A", "correct": True, "explanation": "E"}, {"text": "B", "explanation": "E"}],
    }
]


@pytest.fixture
def clinic_lesson():
    return Lesson.objects.create(
        slug="our-group-times", title="Our group times", body="Tuesdays at six.", clinic=make_clinic(), quiz=QUIZ
    )


def test_it_is_not_public_not_listed_and_not_precached(client, clinic_lesson):
    assert client.get(clinic_lesson.get_absolute_url()).status_code == 404
    assert clinic_lesson.slug not in client.get(reverse("lessons:lesson_list")).content.decode()
    assert clinic_lesson.get_absolute_url() not in client.get("/serviceworker.js").content.decode()


def test_another_clinics_people_get_a_404(client, clinic_lesson):
    for user in (make_patient().user, make_staff()):
        client.force_login(user)
        assert client.get(clinic_lesson.get_absolute_url()).status_code == 404


def test_its_own_patients_and_staff_can_read_it_and_nothing_stores_it(client, clinic_lesson):
    for user in (make_patient(clinic=clinic_lesson.clinic).user, make_staff(clinic=clinic_lesson.clinic)):
        client.force_login(user)
        response = client.get(clinic_lesson.get_absolute_url())
        assert response.status_code == 200 and "Tuesdays at six." in response.content.decode()
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]


def test_only_its_clinic_can_assign_it(clinic_lesson):
    assert clinic_lesson in AssignForm(clinic=clinic_lesson.clinic).fields["lessons"].queryset
    assert clinic_lesson not in AssignForm(clinic=make_clinic()).fields["lessons"].queryset


def test_progress_on_it_counts_for_its_clinic_only(client, clinic_lesson):
    mine = make_patient(clinic=clinic_lesson.clinic)
    client.force_login(mine.user)
    assert post_sync(client, [lesson_item(clinic_lesson)]).json()["results"][0]["status"] == "stored"
    assert LessonProgress.objects.get(patient=mine).completed_at is not None
    client.force_login(make_patient().user)
    [result] = post_sync(client, [lesson_item(clinic_lesson)]).json()["results"]
    assert result["status"] == "rejected" and result["errors"] == {"lesson": "Crest no longer has this lesson."}
