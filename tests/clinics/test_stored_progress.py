"""Each patient's stored progress (assigned_count, done_count,
earliest_due_not_done), which the dashboard filters and pages on, is
recounted by every write that changes it. Each test makes one write through
the app and checks that the stored columns changed to what a fresh recount
gives: it fails if that write path stops calling refresh_progress()."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from clinics import services
from clinics.models import Assignment, Invite, LessonProgress, Patient
from tests.factories import (
    course_lesson,
    lesson_item,
    make_assignment,
    make_clinic,
    make_invite,
    make_patient,
    make_progress,
    make_staff,
    post_sync,
)

pytestmark = pytest.mark.django_db


def stored(patient: Patient) -> tuple:
    return Patient.objects.values_list("assigned_count", "done_count", "earliest_due_not_done").get(pk=patient.pk)


def assert_stored_is_fresh(patient: Patient) -> tuple:
    """The stored columns, after checking they equal a recount made now."""
    before = stored(patient)
    Patient.objects.filter(pk=patient.pk).refresh_progress()
    assert before == stored(patient)
    return before


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def patient(today):
    """Two lessons assigned: one done, one overdue."""
    patient = make_patient(clinic=make_clinic())
    make_assignment(patient=patient, lesson=course_lesson(0), due_date=today - timedelta(days=5))
    make_assignment(patient=patient, lesson=course_lesson(1), due_date=today - timedelta(days=2))
    make_progress(patient=patient, lesson=course_lesson(0), done=True)
    assert stored(patient) == (2, 1, today - timedelta(days=2))
    return patient


def test_a_patient_who_does_not_share_has_nothing_done_or_due(today):
    patient = make_patient(shares_progress=False)
    make_assignment(patient=patient, lesson=course_lesson(0), due_date=today - timedelta(days=1))
    make_progress(patient=patient, lesson=course_lesson(1), done=True)
    assert assert_stored_is_fresh(patient) == (1, 0, None)
    assert not Patient.objects.overdue(today=today).exists() and not Patient.objects.not_started().exists()


def test_assigning_a_new_lesson_recounts(patient, today):
    staff = make_staff(clinic=patient.clinic)
    services.assignments_create(
        clinician=staff, clinic=patient.clinic, patients=[patient], lessons=[course_lesson(2)],
        due_date=today - timedelta(days=9),
    )
    assert assert_stored_is_fresh(patient) == (3, 1, today - timedelta(days=9))


def test_assigning_an_assigned_lesson_again_recounts_its_new_due_date(patient, today):
    staff = make_staff(clinic=patient.clinic)
    services.assignments_create(
        clinician=staff, clinic=patient.clinic, patients=[patient], lessons=[course_lesson(1)], due_date=today
    )
    assert assert_stored_is_fresh(patient) == (2, 1, today)


def test_changing_a_due_date_recounts(patient, today):
    assignment = Assignment.objects.get(patient=patient, lesson=course_lesson(1))
    services.assignment_change_due(
        clinician=make_staff(clinic=patient.clinic), assignment=assignment, due_date=today + timedelta(days=4)
    )
    assert assert_stored_is_fresh(patient) == (2, 1, today + timedelta(days=4))


def test_withdrawing_recounts(patient):
    assignment = Assignment.objects.get(patient=patient, lesson=course_lesson(1))
    services.assignment_withdraw(clinician=make_staff(clinic=patient.clinic), assignment=assignment)
    assert assert_stored_is_fresh(patient) == (1, 1, None)


def test_a_lesson_completed_through_the_sync_recounts(client, patient):
    client.force_login(patient.user)
    response = post_sync(client, [lesson_item(course_lesson(1))])
    assert response.json()["results"][0]["status"] == "stored"
    assert assert_stored_is_fresh(patient) == (2, 2, None)


def test_a_lesson_completed_again_earlier_keeps_the_count(client, patient):
    """A second completion of a done lesson changes its row, not the counts."""
    client.force_login(patient.user)
    earlier = (timezone.now() - timedelta(days=30)).isoformat()
    post_sync(client, [lesson_item(course_lesson(0), at=earlier)])
    assert LessonProgress.objects.get(patient=patient, lesson=course_lesson(0)).completed_at.isoformat() == earlier
    assert assert_stored_is_fresh(patient)[:2] == (2, 1)


def test_stopping_and_starting_to_share_progress_recounts(patient, today):
    services.sharing_set(patient=patient, category="lessons", share=False)
    assert assert_stored_is_fresh(patient) == (2, 0, None)
    services.sharing_set(patient=patient, category="lessons", share=True)
    # The server deleted the completion when sharing stopped: both are to do.
    assert assert_stored_is_fresh(patient) == (2, 0, today - timedelta(days=5))


def test_joining_starts_with_a_fresh_count():
    """Nothing can be assigned before the patient exists: the defaults are the count."""
    invite = make_invite(clinic=make_clinic(), label="NEW-1")
    patient = services.invite_redeem(code=invite.code, username="new-person", password="a-long-test-passphrase-42")
    assert Invite.objects.get(pk=invite.pk).patient == patient
    assert assert_stored_is_fresh(patient) == (0, 0, None)


def test_adding_and_deleting_an_assignment_in_the_admin_recounts(admin_client, patient, today):
    response = admin_client.post(
        reverse("admin:clinics_assignment_add"),
        {"patient": patient.pk, "lesson": course_lesson(2).pk, "due_date": (today - timedelta(days=7)).isoformat(),
         "note": "", "assigned_by": "", "withdrawn_at_0": "", "withdrawn_at_1": ""},
    )
    assert response.status_code == 302, response.content
    assert assert_stored_is_fresh(patient) == (3, 1, today - timedelta(days=7))
    added = Assignment.objects.get(patient=patient, lesson=course_lesson(2))
    response = admin_client.post(reverse("admin:clinics_assignment_delete", args=[added.pk]), {"post": "yes"})
    assert response.status_code == 302
    assert assert_stored_is_fresh(patient) == (2, 1, today - timedelta(days=2))


def test_deleting_lesson_progress_in_bulk_in_the_admin_recounts(admin_client, patient, today):
    response = admin_client.post(
        reverse("admin:clinics_lessonprogress_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in LessonProgress.objects.all()], "post": "yes"},
    )
    assert response.status_code == 302
    assert not LessonProgress.objects.exists()
    assert assert_stored_is_fresh(patient) == (2, 0, today - timedelta(days=5))


def test_deleting_a_lesson_recounts_the_patients_it_was_assigned_to(admin_client, patient, today):
    """Its assignments and completions go with it (a cascade, not a service)."""
    response = admin_client.post(reverse("admin:lessons_lesson_delete", args=[course_lesson(1).pk]), {"post": "yes"})
    assert response.status_code == 302
    assert not Assignment.objects.filter(patient=patient, due_date=today - timedelta(days=2)).exists()
    assert assert_stored_is_fresh(patient) == (1, 1, None)
    assert not Patient.objects.overdue(today=today).exists()
