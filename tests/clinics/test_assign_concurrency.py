"""Two clinicians (or one double click) assign the same lesson to the same
patient at the same moment: one assignment, and neither gets an error (the
second updates the first, as assigning an assigned lesson does). Real
threads and transactions, on whichever database the suite runs on; on
PostgreSQL both once inserted, and the second hit the one-active-assignment
constraint with a 500."""

from datetime import timedelta

import pytest
from django.utils import timezone

from clinics import services
from clinics.models import Assignment
from tests.concurrency import at_once
from tests.factories import course_lesson, make_patient, make_staff

THREADS = 4


@pytest.mark.django_db(transaction=True)
def test_the_same_lesson_assigned_at_once_is_one_assignment_and_no_error():
    patient = make_patient()
    clinicians = [make_staff(clinic=patient.clinic) for _ in range(THREADS)]
    lesson = course_lesson(0)
    due = timezone.localdate() + timedelta(days=3)
    at_once(
        lambda clinician: services.assignments_create(
            clinician=clinician, clinic=patient.clinic, patients=[patient], lessons=[lesson], due_date=due
        ),
        clinicians,
    )
    assert Assignment.objects.filter(patient=patient, lesson=lesson, withdrawn_at__isnull=True).count() == 1
    patient.refresh_from_db()
    assert patient.assigned_count == 1
