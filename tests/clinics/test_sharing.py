"""A patient chooses what their clinic sees, one kind at a time, from /me/:
lesson progress (on once they join), craving summaries (off), and the notes
written with cravings (off, their own opt-in). What is not shared is
answered "not_shared" and not stored; turning a kind off deletes what the
server holds of it, audited."""

import csv
import io
import json
import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from accounts.services import account_public_id
from clinics import services
from clinics.models import AuditEvent, CravingSummary, LessonProgress, Patient, SyncedItem
from tests.factories import (
    Client,
    course_lesson,
    craving_item,
    lesson_item,
    make_admin,
    make_assignment,
    make_clinic,
    make_patient,
    make_progress,
    make_staff,
    make_user,
    post_sync,
)

pytestmark = pytest.mark.django_db


def choose(client, category: str, share: str):
    return client.post(reverse("clinics:sharing"), {"category": category, "share": share})


def statuses(response) -> list[str]:
    return [result["status"] for result in response.json()["results"]]


@pytest.fixture
def overdue_patient():
    clinic = make_clinic()
    patient = make_patient(clinic=clinic, label="SH-1")
    done, missed = course_lesson(0), course_lesson(1)
    make_assignment(patient=patient, lesson=done)
    make_assignment(patient=patient, lesson=missed, due_date=timezone.localdate() - timedelta(days=3))
    make_progress(patient=patient, lesson=done, done=True, score=2, total=done.quiz_total)
    return patient


def test_new_patients_share_lessons_but_not_cravings_or_notes(overdue_patient):
    assert services.sharing_of(overdue_patient) == {"lessons": True, "cravings": False, "notes": False}


def test_stopping_lessons_deletes_the_servers_record_and_is_audited(client, overdue_patient):
    client.force_login(overdue_patient.user)
    post_sync(client, [lesson_item(course_lesson(1))])
    response = choose(client, "lessons", "off")
    assert response["Location"] == reverse("accounts:me")
    overdue_patient.refresh_from_db()
    assert overdue_patient.shares_progress is False
    assert not LessonProgress.objects.filter(patient=overdue_patient).exists()
    assert not SyncedItem.objects.filter(patient=overdue_patient).exists()
    event = AuditEvent.objects.get(action=AuditEvent.Action.SHARING_STOPPED)
    assert (event.patient, event.actor, event.detail) == (
        overdue_patient, overdue_patient.user, "lesson progress and check scores"
    )


def test_while_lessons_are_off_the_phone_is_told_not_shared_and_nothing_is_stored(client, overdue_patient):
    services.sharing_set(patient=overdue_patient, category="lessons", share=False)
    client.force_login(overdue_patient.user)
    response = post_sync(client, [lesson_item(course_lesson(1))])
    assert response.status_code == 200 and statuses(response) == ["not_shared"]
    assert not LessonProgress.objects.filter(patient=overdue_patient).exists()
    assert not SyncedItem.objects.exists()
    assert client.get(reverse("phone:api_assignments")).json()["sharing"]["lessons"] is False


def test_sharing_lessons_again_lets_the_phone_send_them(client, overdue_patient):
    services.sharing_set(patient=overdue_patient, category="lessons", share=False)
    client.force_login(overdue_patient.user)
    choose(client, "lessons", "on")
    assert statuses(post_sync(client, [lesson_item(course_lesson(1))])) == ["stored"]
    assert AuditEvent.objects.filter(action=AuditEvent.Action.SHARING_STARTED, patient=overdue_patient).count() == 1


def test_craving_summaries_are_not_shared_until_the_patient_says_so(client):
    patient = make_patient()
    client.force_login(patient.user)
    assert statuses(post_sync(client, [craving_item()])) == ["not_shared"]
    assert not CravingSummary.objects.exists() and not SyncedItem.objects.exists()
    choose(client, "cravings", "on")
    assert statuses(post_sync(client, [craving_item()])) == ["stored"]
    summary = CravingSummary.objects.get()
    assert (summary.intensity_before, summary.tool, summary.triggers) == (8, "wave", ["Stressed", "Tired"])


def test_a_note_is_kept_only_with_its_own_opt_in(client):
    patient = make_patient(shares_cravings=True)
    client.force_login(patient.user)
    post_sync(client, [craving_item(note="first")])
    assert CravingSummary.objects.get().note == ""
    choose(client, "notes", "on")
    post_sync(client, [craving_item(note="second")])
    assert sorted(CravingSummary.objects.values_list("note", flat=True)) == ["", "second"]


def test_notes_cannot_be_shared_without_the_summaries(client):
    patient = make_patient()
    client.force_login(patient.user)
    choose(client, "notes", "on")
    patient.refresh_from_db()
    assert patient.shares_craving_notes is False
    assert "first" in " ".join(m.message for m in client.get(reverse("accounts:me")).context["messages"])


def test_stopping_notes_blanks_them_and_stopping_cravings_deletes_them_all(client):
    patient = make_patient(shares_cravings=True, shares_craving_notes=True)
    client.force_login(patient.user)
    post_sync(client, [craving_item(note="mine"), craving_item(note="also mine")])
    choose(client, "notes", "off")
    assert set(CravingSummary.objects.values_list("note", flat=True)) == {""}
    assert CravingSummary.objects.count() == 2
    choose(client, "notes", "on")
    choose(client, "cravings", "off")
    patient.refresh_from_db()
    assert (patient.shares_cravings, patient.shares_craving_notes) == (False, False)
    assert not CravingSummary.objects.exists() and not SyncedItem.objects.exists()
    stopped = AuditEvent.objects.filter(action=AuditEvent.Action.SHARING_STOPPED).values_list("detail", flat=True)
    assert sorted(stopped) == ["craving notes", "craving notes", "craving summaries"]


def test_the_clinic_sees_not_shared_instead_of_done_or_overdue(client, overdue_patient):
    services.sharing_set(patient=overdue_patient, category="lessons", share=False)
    client.force_login(make_staff(clinic=overdue_patient.clinic))
    html = client.get(reverse("clinics:dashboard")).content.decode()
    assert "Not shared" in html
    assert "SH-1" not in client.get(reverse("clinics:dashboard") + "?show=overdue").content.decode()
    detail = client.get(overdue_patient.get_absolute_url()).content.decode()
    assert 'data-status="not_shared"' in detail and "Overdue" not in detail
    client.force_login(make_admin(clinic=overdue_patient.clinic))
    body = b"".join(client.post(reverse("clinics:export_csv")).streaming_content).decode()
    rows = list(csv.reader(io.StringIO(body)))
    assert {row[3] for row in rows[1:]} == {"not_shared"}


def test_the_choice_needs_a_clear_answer_and_a_patient(client, overdue_patient):
    client.force_login(overdue_patient.user)
    choose(client, "lessons", "maybe")
    choose(client, "everything", "off")
    assert Patient.objects.get(pk=overdue_patient.pk).shares_progress is True
    staff = make_staff(clinic=overdue_patient.clinic)
    client.force_login(staff)
    assert choose(client, "lessons", "off").status_code == 404
    client.logout()
    assert choose(client, "lessons", "off").status_code == 302
    assert Patient.objects.get(pk=overdue_patient.pk).shares_progress is True


def test_me_shows_the_choices_to_patients_only(client, overdue_patient):
    client.force_login(overdue_patient.user)
    html = client.get(reverse("accounts:me")).content.decode()
    assert 'data-sharing-lessons="on"' in html and 'data-sharing-cravings="off"' in html
    client.force_login(make_user())
    assert "data-sharing" not in client.get(reverse("accounts:me")).content.decode()


def test_the_page_after_a_change_hands_the_phone_the_new_choices(client, overdue_patient):
    """The phone's outbox reads the choices where they change (static/js/
    sync.js): the page the sharing form leads to carries them, with the
    account the phone files its items under."""
    client.force_login(overdue_patient.user)
    response = client.post(reverse("clinics:sharing"), {"category": "cravings", "share": "on"}, follow=True)
    html = response.content.decode()
    script = re.search(r'<script id="sharing-choices" type="application/json">(.*?)</script>', html)
    assert json.loads(script.group(1)) == {
        "account": account_public_id(overdue_patient.user),
        "sharing": {"lessons": True, "cravings": True, "notes": False},
    }
    client.force_login(make_user())
    assert 'id="sharing-choices"' not in client.get(reverse("accounts:me")).content.decode()


def test_the_patient_page_says_plainly_when_cravings_are_not_shared(client, overdue_patient):
    staff = Client()
    staff.force_login(make_staff(clinic=overdue_patient.clinic))
    html = staff.get(overdue_patient.get_absolute_url()).content.decode()
    assert "data-cravings-not-shared" in html and "does not share craving summaries" in html
    assert "<svg class=\"chart-svg\"" not in html
