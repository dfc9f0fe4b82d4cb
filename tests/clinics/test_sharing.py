"""A patient chooses what their clinic sees: lesson progress is shared once
they join, and they can stop (and start again) at any time from /me/."""

import csv
import io
import json
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics import services
from clinics.models import AuditEvent, LessonProgress, Patient
from tests.factories import course_lesson, make_assignment, make_clinic, make_patient, make_progress, make_staff, make_user

pytestmark = pytest.mark.django_db


def post_progress(client, slug: str, **extra):
    body = {"slug": slug, "done": True, **extra}
    return client.post(reverse("clinics:api_progress"), json.dumps(body), content_type="application/json")


@pytest.fixture
def overdue_patient():
    clinic = make_clinic()
    patient = make_patient(clinic=clinic, label="SH-1")
    done, missed = course_lesson(0), course_lesson(1)
    make_assignment(patient=patient, lesson=done)
    make_assignment(patient=patient, lesson=missed, due_date=timezone.localdate() - timedelta(days=3))
    make_progress(patient=patient, lesson=done, done=True, score=2, total=done.quiz_total)
    return patient


def test_stopping_deletes_the_servers_record_and_is_audited(client, overdue_patient):
    client.force_login(overdue_patient.user)
    response = client.post(reverse("accounts:me_sharing"), {"share": "off"})
    assert response["Location"] == reverse("accounts:me")
    overdue_patient.refresh_from_db()
    assert overdue_patient.shares_progress is False
    assert not LessonProgress.objects.filter(patient=overdue_patient).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.SHARING_STOPPED)
    assert (event.patient, event.actor) == (overdue_patient, overdue_patient.user)


def test_while_off_the_phone_is_told_and_nothing_is_stored(client, overdue_patient):
    services.progress_sharing_set(patient=overdue_patient, share=False)
    client.force_login(overdue_patient.user)
    response = post_progress(client, course_lesson(1).slug)
    assert response.status_code == 200
    assert response.json() == {"recorded": False, "shared": False, "slug": course_lesson(1).slug}
    assert not LessonProgress.objects.filter(patient=overdue_patient).exists()
    assert client.get(reverse("clinics:api_assignments")).json()["sharing"] is False


def test_sharing_again_lets_the_phone_send_progress(client, overdue_patient):
    services.progress_sharing_set(patient=overdue_patient, share=False)
    client.force_login(overdue_patient.user)
    client.post(reverse("accounts:me_sharing"), {"share": "on"})
    assert post_progress(client, course_lesson(1).slug).json()["recorded"] is True
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SHARING_STARTED, patient=overdue_patient).count() == 1


def test_the_clinic_sees_not_shared_instead_of_done_or_overdue(client, overdue_patient):
    services.progress_sharing_set(patient=overdue_patient, share=False)
    client.force_login(make_staff(clinic=overdue_patient.clinic))
    html = client.get(reverse("clinics:dashboard")).content.decode()
    assert "Not shared" in html
    assert "SH-1" not in client.get(reverse("clinics:dashboard") + "?show=overdue").content.decode()
    detail = client.get(overdue_patient.get_absolute_url()).content.decode()
    assert "data-not-shared" in detail and "Overdue" not in detail
    rows = list(csv.reader(io.StringIO(client.post(reverse("clinics:export_csv")).content.decode())))
    assert {row[3] for row in rows[1:]} == {"not shared"}


def test_the_choice_needs_a_clear_answer_and_a_patient(client, overdue_patient):
    client.force_login(overdue_patient.user)
    client.post(reverse("accounts:me_sharing"), {"share": "maybe"})
    assert Patient.objects.get(pk=overdue_patient.pk).shares_progress is True
    staff = make_staff(clinic=overdue_patient.clinic)
    client.force_login(staff)
    assert client.post(reverse("accounts:me_sharing"), {"share": "off"}).status_code == 404
    client.logout()
    assert client.post(reverse("accounts:me_sharing"), {"share": "off"}).status_code == 302
    assert Patient.objects.get(pk=overdue_patient.pk).shares_progress is True


def test_me_shows_the_choice_to_patients_only(client, overdue_patient):
    client.force_login(overdue_patient.user)
    assert 'data-sharing="on"' in client.get(reverse("accounts:me")).content.decode()
    client.force_login(make_user())
    assert "data-sharing" not in client.get(reverse("accounts:me")).content.decode()
