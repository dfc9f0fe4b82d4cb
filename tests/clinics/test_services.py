import csv
import io
import threading
from datetime import timedelta

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.utils import timezone

from clinics import services
from clinics.models import Assignment, AuditEvent, Invite, Membership, Patient
from tests.factories import (
    course_lesson,
    make_assignment,
    make_clinic,
    make_invite,
    make_patient,
    make_progress,
    make_staff,
)

pytestmark = pytest.mark.django_db


# --- Invites -----------------------------------------------------------------


def test_invite_create_sets_a_long_random_code_and_a_seven_day_expiry():
    clinic = make_clinic()
    clinician = make_staff(clinic=clinic)
    invite = services.invite_create(clinic=clinic, created_by=clinician, label="  JD-12 ")
    other = services.invite_create(clinic=clinic, created_by=clinician, label="JD-13")
    assert invite.label == "JD-12"
    assert len(invite.code) >= 20 and invite.code != other.code
    assert timedelta(days=6, hours=23) < invite.expires_at - timezone.now() <= timedelta(days=7)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.INVITE_CREATED, actor=clinician).count() == 2


def test_invite_redeem_creates_a_patient_of_the_clinic_and_uses_the_code():
    invite = make_invite(label="JD-12")
    patient = services.invite_redeem(code=invite.code, username="maple-heron-1", password="river-stone-cloud-lamp")
    invite.refresh_from_db()
    assert patient.clinic == invite.clinic and patient.label == "JD-12"
    assert patient.user.check_password("river-stone-cloud-lamp")
    assert patient.user.email == "" and patient.user.first_name == ""
    assert invite.used_at is not None and invite.patient == patient


def test_a_used_code_cannot_be_redeemed_again():
    invite = make_invite()
    services.invite_redeem(code=invite.code, username="first-person", password="river-stone-cloud-lamp")
    with pytest.raises(services.InviteUnavailable) as error:
        services.invite_redeem(code=invite.code, username="second-person", password="river-stone-cloud-lamp")
    assert error.value.reason == "used"
    assert Patient.objects.count() == 1


def test_an_expired_code_cannot_be_redeemed():
    invite = make_invite(expires_at=timezone.now() - timedelta(minutes=1))
    with pytest.raises(services.InviteUnavailable) as error:
        services.invite_redeem(code=invite.code, username="late-person", password="river-stone-cloud-lamp")
    assert error.value.reason == "expired"
    assert not Patient.objects.exists()


def test_a_weak_passphrase_is_refused_and_the_invite_stays_usable():
    invite = make_invite()
    with pytest.raises(ValidationError):
        services.invite_redeem(code=invite.code, username="weak-person", password="123456789012")
    invite.refresh_from_db()
    assert invite.used_at is None
    assert not Patient.objects.exists()


def test_a_taken_username_rolls_back_the_claim_on_the_invite():
    make_patient(username="taken-name")
    invite = make_invite()
    with pytest.raises(ValueError):
        services.invite_redeem(code=invite.code, username="taken-name", password="river-stone-cloud-lamp")
    invite.refresh_from_db()
    assert invite.used_at is None


@pytest.mark.django_db(transaction=True)
def test_two_people_racing_with_one_code_make_exactly_one_account():
    """The conditional UPDATE claims the invite once, whatever the timing."""
    invite = make_invite()
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def redeem(username: str) -> None:
        barrier.wait()
        try:
            services.invite_redeem(code=invite.code, username=username, password="river-stone-cloud-lamp")
            outcomes.append("ok")
        except services.InviteUnavailable:
            outcomes.append("refused")
        except Exception as error:  # noqa: BLE001 - SQLite may refuse a concurrent writer outright
            outcomes.append(f"error: {type(error).__name__}")
        finally:
            connection.close()

    threads = [threading.Thread(target=redeem, args=(name,)) for name in ("racer-one", "racer-two")]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert outcomes.count("ok") == 1, outcomes
    assert Patient.objects.count() == 1
    assert Invite.objects.get(pk=invite.pk).patient is not None


# --- Assignments -------------------------------------------------------------


def test_assignments_create_assigns_every_lesson_to_every_patient_in_one_step():
    clinic = make_clinic()
    clinician = make_staff(clinic=clinic)
    patients = [make_patient(clinic=clinic) for _ in range(3)]
    lessons = [course_lesson(0), course_lesson(1)]
    due = timezone.localdate() + timedelta(days=3)
    created = services.assignments_create(
        clinician=clinician, clinic=clinic, patients=patients, lessons=lessons, due_date=due, note="Before Tuesday"
    )
    assert len(created) == 6
    assert Assignment.objects.filter(due_date=due, note="Before Tuesday", assigned_by=clinician).count() == 6
    assert AuditEvent.objects.filter(action=AuditEvent.Action.ASSIGNED).count() == 3


def test_assigning_an_assigned_lesson_again_updates_it_instead_of_duplicating():
    clinic = make_clinic()
    clinician = make_staff(clinic=clinic)
    patient = make_patient(clinic=clinic)
    lesson = course_lesson(0)
    today = timezone.localdate()
    services.assignments_create(
        clinician=clinician, clinic=clinic, patients=[patient], lessons=[lesson], due_date=today
    )
    services.assignments_create(
        clinician=clinician, clinic=clinic, patients=[patient], lessons=[lesson], due_date=today + timedelta(days=9),
        note="New date",
    )
    only = Assignment.objects.get(patient=patient)
    assert only.due_date == today + timedelta(days=9) and only.note == "New date"


def test_assignments_create_refuses_a_patient_of_another_clinic():
    clinic = make_clinic()
    stranger = make_patient()
    with pytest.raises(ValueError):
        services.assignments_create(
            clinician=make_staff(clinic=clinic), clinic=clinic, patients=[stranger], lessons=[course_lesson()],
            due_date=timezone.localdate(),
        )
    assert not Assignment.objects.exists()


def test_withdraw_keeps_the_row_and_hides_it_from_active():
    patient = make_patient()
    assignment = make_assignment(patient=patient)
    clinician = make_staff(clinic=patient.clinic)
    services.assignment_withdraw(clinician=clinician, assignment=assignment)
    services.assignment_withdraw(clinician=clinician, assignment=assignment)  # twice: no second event
    assert Assignment.objects.filter(pk=assignment.pk).exists()
    assert not Assignment.objects.active().filter(pk=assignment.pk).exists()
    assert AuditEvent.objects.filter(action=AuditEvent.Action.WITHDRAWN).count() == 1


def test_a_withdrawn_lesson_can_be_assigned_again():
    patient = make_patient()
    clinician = make_staff(clinic=patient.clinic)
    old = make_assignment(patient=patient, lesson=course_lesson(0))
    services.assignment_withdraw(clinician=clinician, assignment=old)
    services.assignments_create(
        clinician=clinician, clinic=patient.clinic, patients=[patient], lessons=[course_lesson(0)],
        due_date=timezone.localdate(),
    )
    assert Assignment.objects.filter(patient=patient).count() == 2
    assert Assignment.objects.active().filter(patient=patient).count() == 1


def test_change_due_date_is_audited_with_old_and_new_dates():
    patient = make_patient()
    assignment = make_assignment(patient=patient)
    old = assignment.due_date
    new = old + timedelta(days=4)
    services.assignment_change_due(clinician=make_staff(clinic=patient.clinic), assignment=assignment, due_date=new)
    assignment.refresh_from_db()
    assert assignment.due_date == new
    event = AuditEvent.objects.get(action=AuditEvent.Action.DUE_CHANGED)
    assert old.isoformat() in event.detail and new.isoformat() in event.detail


# --- One status for an assignment -------------------------------------------


def test_with_status_is_the_one_definition_of_an_assignments_status():
    clinic = make_clinic()
    today = timezone.localdate()
    patient = make_patient(clinic=clinic)
    quiet = make_patient(clinic=clinic, shares_progress=False)
    lessons = [course_lesson(i) for i in range(5)]
    expected = {
        make_assignment(patient=patient, lesson=lessons[0], due_date=today + timedelta(days=3)).pk: "open",
        make_assignment(patient=patient, lesson=lessons[1], due_date=today).pk: "due_today",
        make_assignment(patient=patient, lesson=lessons[2], due_date=today - timedelta(days=1)).pk: "overdue",
        make_assignment(patient=patient, lesson=lessons[3], due_date=today - timedelta(days=1)).pk: "done",
        make_assignment(patient=patient, lesson=lessons[4], withdrawn_at=timezone.now()).pk: "withdrawn",
        make_assignment(patient=quiet, lesson=lessons[2], due_date=today - timedelta(days=1)).pk: "not_shared",
    }
    make_progress(patient=patient, lesson=lessons[3], done=True)
    make_progress(patient=quiet, lesson=lessons[2], done=True)
    got = dict(Assignment.objects.with_status(today=today).values_list("pk", "status"))
    assert got == expected
    assert {a.status_label for a in Assignment.objects.with_status(today=today)} >= {"Due today", "Not shared"}


# --- Dashboard annotations ---------------------------------------------------


def test_progress_rows_count_assigned_done_and_overdue_per_patient():
    clinic = make_clinic()
    today = timezone.localdate()
    busy = make_patient(clinic=clinic, label="busy")
    idle = make_patient(clinic=clinic, label="idle")
    make_patient(clinic=clinic, label="none")
    l0, l1, l2, l3 = (course_lesson(i) for i in range(4))
    make_assignment(patient=busy, lesson=l0, due_date=today - timedelta(days=2))  # done -> not overdue
    make_assignment(patient=busy, lesson=l1, due_date=today - timedelta(days=1))  # overdue
    make_assignment(patient=busy, lesson=l2, due_date=today + timedelta(days=1))  # open
    make_assignment(patient=busy, lesson=l3, due_date=today - timedelta(days=5), withdrawn_at=timezone.now())
    make_progress(patient=busy, lesson=l0, done=True)
    make_progress(patient=busy, lesson=l2, done=False, score=1, total=3)  # quiz only: not done
    make_assignment(patient=idle, lesson=l0, due_date=today)  # due today: not overdue
    fields = ("label", "assigned_count", "done_count", "overdue_count", "last_activity", "earliest_due_not_done")
    rows = {row["label"]: row for row in Patient.objects.for_clinic(clinic).progress_rows(*fields, today=today)}
    counts = {label: (row["assigned_count"], row["done_count"], row["overdue_count"]) for label, row in rows.items()}
    assert counts == {"busy": (3, 1, 1), "idle": (1, 0, 0), "none": (0, 0, 0)}
    assert rows["busy"]["last_activity"] is not None and rows["none"]["last_activity"] is None
    assert rows["busy"]["earliest_due_not_done"] == today - timedelta(days=1)
    assert rows["idle"]["earliest_due_not_done"] == today and rows["none"]["earliest_due_not_done"] is None
    base = Patient.objects.for_clinic(clinic)
    assert [p.label for p in base.overdue(today=today)] == ["busy"]
    assert [p.label for p in base.not_started()] == ["idle"]


def test_a_patient_never_appears_in_another_clinics_counts():
    clinic, other = make_clinic(), make_clinic()
    make_patient(clinic=other)
    assert Patient.objects.for_clinic(clinic).progress_rows("pk", today=timezone.localdate()) == []


# --- Export ------------------------------------------------------------------


def test_export_lists_only_this_clinics_active_assignments_and_is_audited():
    clinic = make_clinic()
    clinician = make_staff(clinic=clinic)
    mine = make_patient(clinic=clinic, label="=HYPERLINK(1)")
    theirs = make_patient(label="OTHER")
    lesson = course_lesson()
    make_assignment(patient=mine, lesson=lesson)
    make_assignment(patient=mine, lesson=course_lesson(1), withdrawn_at=timezone.now())
    make_assignment(patient=theirs, lesson=lesson)
    make_progress(patient=mine, lesson=lesson, done=True, score=2, total=3)
    rows = list(csv.reader(io.StringIO("".join(services.progress_export_csv(clinic=clinic, actor=clinician)))))
    assert rows[0] == services.CSV_HEADER
    assert len(rows) == 2
    assert rows[1][0] == "'=HYPERLINK(1)"  # not run as a formula by a spreadsheet
    assert rows[1][1:4] == [lesson.slug, rows[1][2], "done"] and rows[1][5:7] == ["2", "3"]
    exported = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED, actor=clinician, clinic=clinic)
    assert exported.filter(patient=None).count() == 1
    # and one line for each patient in the file, none for another clinic's
    assert list(exported.exclude(patient=None).values_list("patient", flat=True)) == [mine.pk]
    assert not AuditEvent.objects.filter(patient=theirs).exists()


# --- Staff -------------------------------------------------------------------


def test_staff_create_makes_a_member_with_no_usable_password():
    clinic = make_clinic()
    admin = make_staff(clinic=clinic, role=Membership.Role.ADMIN)
    user = services.staff_create(clinic=clinic, added_by=admin, username="dr-new")
    assert not user.has_usable_password()
    assert user.membership.clinic == clinic and user.membership.role == Membership.Role.CLINICIAN
    assert AuditEvent.objects.filter(action=AuditEvent.Action.STAFF_ADDED, actor=admin).exists()
