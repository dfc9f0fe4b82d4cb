"""Each patient's stored progress (assigned_count, done_count,
earliest_due_not_done, last_activity), which the dashboard filters, pages
and shows, follows
every write that changes it, whoever writes (clinics.hooks). Each test makes
one write (through the app, the admin, or a plain ORM call) and checks that
the stored columns changed to what a fresh recount gives. Writes that send
no signals are corrected by `manage.py recount_progress`."""

import re
from datetime import timedelta

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
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
    """The stored columns, after checking they (and the last activity) equal
    a recount made now."""
    before = stored(patient), last_activity(patient)
    Patient.objects.filter(pk=patient.pk).refresh_progress()
    assert before == (stored(patient), last_activity(patient))
    return before[0]


def last_activity(patient: Patient):
    return Patient.objects.values_list("last_activity", flat=True).get(pk=patient.pk)


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


# --- Plain ORM writes (a shell, a data migration, code that skips the services)


def dashboard_row(client, patient: Patient) -> dict[str, str]:
    body = client.get(reverse("clinics:dashboard")).content.decode()
    row = re.search(rf'<tr data-patient-row="{re.escape(patient.label)}">(.*?)</tr>', body, re.S)[1]
    return dict(re.findall(r"data-(assigned|done|overdue)>([^<]*)<", row))


def test_an_assignment_created_with_a_plain_orm_write_is_counted_on_the_dashboard(client, today):
    """The defect: the dashboard said "Assigned 0" for a patient who has an assignment."""
    patient = make_patient(clinic=make_clinic())
    client.force_login(make_staff(clinic=patient.clinic))
    Assignment.objects.create(patient=patient, lesson=course_lesson(0), due_date=today - timedelta(days=1))
    assert stored(patient) == (1, 0, today - timedelta(days=1))
    assert dashboard_row(client, patient) == {"assigned": "1", "done": "0", "overdue": "1"}
    assert list(Patient.objects.overdue(today=today)) == [patient]


def test_lesson_progress_created_and_deleted_with_plain_orm_writes_is_counted(patient, today):
    progress = LessonProgress.objects.create(patient=patient, lesson=course_lesson(1), completed_at=timezone.now())
    assert stored(patient) == (2, 2, None)
    progress.delete()
    assert stored(patient) == (2, 1, today - timedelta(days=2))
    LessonProgress.objects.filter(patient=patient).delete()
    assert stored(patient) == (2, 0, today - timedelta(days=5))


def test_an_assignment_saved_and_deleted_with_plain_orm_writes_is_counted(patient, today):
    assignment = Assignment.objects.get(patient=patient, lesson=course_lesson(1))
    assignment.due_date = today + timedelta(days=3)
    assignment.save()
    assert stored(patient) == (2, 1, today + timedelta(days=3))
    assignment.withdrawn_at = timezone.now()
    assignment.save(update_fields=["withdrawn_at"])
    assert stored(patient) == (1, 1, None)
    Assignment.objects.filter(patient=patient).delete()
    assert stored(patient) == (0, 0, None)


def test_a_row_moved_to_another_patient_recounts_both(patient, today):
    other = make_patient(clinic=patient.clinic)
    assignment = Assignment.objects.get(patient=patient, lesson=course_lesson(1))
    assignment.patient = other
    assignment.save()
    assert stored(patient) == (1, 1, None)
    assert stored(other) == (1, 0, today - timedelta(days=2))


def test_a_change_of_sharing_saved_with_a_plain_orm_write_is_counted(patient, today):
    patient.shares_progress = False
    patient.save()
    assert stored(patient) == (2, 0, None)
    patient.shares_progress = True
    patient.save(update_fields=["shares_progress"])
    assert stored(patient) == (2, 1, today - timedelta(days=2))


# --- The safety net: manage.py recount_progress ------------------------------


def test_recount_progress_corrects_what_writes_without_signals_left_behind_and_says_what(patient, today, capsys):
    other = make_patient(clinic=patient.clinic)
    Assignment.objects.bulk_create([Assignment(patient=other, lesson=course_lesson(3), due_date=today)])
    Patient.objects.filter(pk=patient.pk).update(done_count=0)
    assert stored(other) == (0, 0, None)  # bulk_create and update() send no signals

    call_command("recount_progress")
    out = capsys.readouterr().out
    assert stored(other) == (1, 0, today) and stored(patient) == (2, 1, today - timedelta(days=2))
    slug = patient.clinic.slug
    assert f"Patient {other.pk} ({slug}): assigned_count 0 → 1, earliest_due_not_done None → {today}" in out
    assert f"Patient {patient.pk} ({slug}): done_count 0 → 1\n" in out
    assert out.endswith("Checked 2 patients; corrected 2.\n")

    call_command("recount_progress")
    assert capsys.readouterr().out == "Checked 2 patients; corrected 0.\n"


def test_recount_progress_for_one_clinic(patient, capsys):
    elsewhere = make_patient(clinic=make_clinic())
    Patient.objects.update(assigned_count=7)
    call_command("recount_progress", clinic=patient.clinic.slug)
    assert capsys.readouterr().out.endswith("Checked 1 patient; corrected 1.\n")
    assert stored(patient)[0] == 2 and stored(elsewhere)[0] == 7
    with pytest.raises(CommandError, match="No clinic has the slug"):
        call_command("recount_progress", clinic="nowhere")


# --- The last activity, and overdue counted for a day ------------------------


def overdue_on(patient: Patient, day) -> int:
    [row] = Patient.objects.filter(pk=patient.pk).progress_rows("pk", "overdue_count", today=day)
    return row["overdue_count"]


def test_the_last_activity_is_the_latest_lesson_progress_whoever_writes_it(patient):
    latest = LessonProgress.objects.filter(patient=patient).latest("updated_at")
    assert last_activity(patient) == latest.updated_at
    later = latest.updated_at + timedelta(hours=3)
    LessonProgress.objects.create(patient=patient, lesson=course_lesson(1), updated_at=later)
    assert last_activity(patient) == later
    LessonProgress.objects.filter(patient=patient).delete()
    assert last_activity(patient) is None


def test_overdue_follows_the_day_with_no_write(today):
    """Due today is not overdue; the same assignment is, the next day, with
    nothing written in between."""
    patient = make_patient(clinic=make_clinic())
    make_assignment(patient=patient, lesson=course_lesson(0), due_date=today)
    assert overdue_on(patient, today) == 0
    assert overdue_on(patient, today + timedelta(days=1)) == 1
    assert Patient.objects.values_list("overdue_counted_on", flat=True).get(pk=patient.pk) == today + timedelta(days=1)


def test_overdue_is_counted_again_after_a_write_on_the_same_day(patient, today):
    assert overdue_on(patient, today) == 1
    LessonProgress.objects.create(patient=patient, lesson=course_lesson(1), completed_at=timezone.now())
    assert overdue_on(patient, today) == 0
    Assignment.objects.create(patient=patient, lesson=course_lesson(2), due_date=today - timedelta(days=1))
    assert overdue_on(patient, today) == 1
    patient.shares_progress = False
    patient.save()
    assert overdue_on(patient, today) == 0


def test_a_second_view_the_same_day_counts_nothing_again(client, patient, today):
    """The first view of the day stores the counts; the next only reads them."""
    client.force_login(make_staff(clinic=patient.clinic))
    views = []
    for _ in range(2):
        with CaptureQueriesContext(connection) as captured:
            assert dashboard_row(client, patient)["overdue"] == "1"
        views.append([q["sql"] for q in captured if q["sql"].startswith('UPDATE "clinics_patient"')])
    assert len(views[0]) == 1 and views[1] == []


def test_recount_progress_corrects_a_last_activity_an_update_left_behind(patient, capsys):
    LessonProgress.objects.filter(patient=patient).update(updated_at=timezone.now() + timedelta(days=1))
    call_command("recount_progress")
    assert "last_activity" in capsys.readouterr().out
    assert last_activity(patient) == LessonProgress.objects.get(patient=patient).updated_at
