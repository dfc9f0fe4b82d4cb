"""Due dates follow the clinic's calendar day, not the server's (UTC)."""

from datetime import UTC, date, datetime

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse

from clinics import services
from clinics.models import Assignment
from tests.factories import course_lesson, make_assignment, make_clinic, make_patient, make_progress, make_staff

pytestmark = pytest.mark.django_db

# 02:00 UTC on 11 March is still the evening of 10 March in New York.
LATE_EVENING_IN_NEW_YORK = datetime(2026, 3, 11, 2, 0, tzinfo=UTC)


@pytest.fixture
def new_york_evening(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.now", lambda: LATE_EVENING_IN_NEW_YORK)


def test_an_assignment_due_today_is_not_overdue_in_the_clinics_evening(client, new_york_evening):
    clinic = make_clinic(time_zone="America/New_York")
    patient = make_patient(clinic=clinic)
    make_assignment(patient=patient, lesson=course_lesson(), due_date=date(2026, 3, 10))
    client.force_login(patient.user)
    [item] = client.get(reverse("phone:api_assignments")).json()["assignments"]
    assert item["status"] == "due_today"

    utc_clinic = make_clinic(time_zone="UTC")
    other = make_patient(clinic=utc_clinic)
    make_assignment(patient=other, lesson=course_lesson(), due_date=date(2026, 3, 10))
    client.force_login(other.user)
    [item] = client.get(reverse("phone:api_assignments")).json()["assignments"]
    assert item["status"] == "overdue"


@pytest.mark.parametrize(("zone", "accepted"), [("America/New_York", True), ("UTC", False)])
def test_today_as_a_due_date_means_the_clinics_today(client, new_york_evening, zone, accepted):
    clinic = make_clinic(time_zone=zone)
    patient = make_patient(clinic=clinic)
    client.force_login(make_staff(clinic=clinic))
    response = client.post(
        reverse("clinics:assign"),
        {"patients": [patient.pk], "lessons": [course_lesson().pk], "due_date": "2026-03-10", "note": ""},
    )
    assert (response.status_code == 302) is accepted
    assert Assignment.objects.filter(patient=patient, due_date=date(2026, 3, 10)).exists() is accepted


def test_a_due_date_cannot_be_moved_into_the_past(client):
    clinic = make_clinic()
    patient = make_patient(clinic=clinic)
    assignment = make_assignment(patient=patient, lesson=course_lesson())
    client.force_login(make_staff(clinic=clinic))
    response = client.post(
        reverse("clinics:assignment_due", args=[assignment.pk]), {"due_date": "2001-01-01"}, follow=True
    )
    assignment.refresh_from_db()
    assert assignment.due_date != date(2001, 1, 1)
    assert "cannot be in the past" in response.content.decode()


def test_an_unknown_time_zone_is_refused_clearly():
    clinic = make_clinic()
    clinic.time_zone = "Mars/Olympus_Mons"
    with pytest.raises(ValidationError, match="not a time zone name"):
        clinic.full_clean()


# --- One rule for times: the clinic's zone on clinic pages and in its CSV,
# the phone's on the patient's own pages. ---------------------------------


def test_the_csv_completion_time_is_the_clinics_to_the_second_with_its_offset():
    clinic = make_clinic(time_zone="America/New_York")
    staff = make_staff(clinic=clinic)
    patient = make_patient(clinic=clinic)
    lesson = course_lesson()
    make_assignment(patient=patient, lesson=lesson, due_date=date(2026, 3, 10))
    progress = make_progress(patient=patient, lesson=lesson)
    progress.completed_at = datetime(2026, 3, 11, 2, 0, 5, 123456, tzinfo=UTC)
    progress.save(update_fields=["completed_at"])
    rows = "".join(services.progress_export_csv(clinic=clinic, actor=staff)).splitlines()
    # 02:00:05.123456 UTC on the 11th is 22:00:05 on the 10th in New York (EDT).
    assert "2026-03-10T22:00:05-04:00" in rows[1]
    assert "2026-03-10" in rows[1] and ".123456" not in rows[1] and "+00:00" not in rows[1]


def test_joined_reads_the_clinics_day_on_its_page_and_the_phones_on_the_patients(client):
    clinic = make_clinic(time_zone="America/New_York")
    patient = make_patient(clinic=clinic)
    patient.created_at = LATE_EVENING_IN_NEW_YORK  # the 11th in UTC, the 10th in New York
    patient.save(update_fields=["created_at"])
    client.force_login(make_staff(clinic=clinic))
    assert "Joined 10 Mar 2026." in client.get(patient.get_absolute_url()).content.decode()

    client.force_login(patient.user)
    me = client.get(reverse("accounts:me")).content.decode()
    # The phone writes the day in its own zone (static/js/local-dates.js) from the exact moment.
    assert '<time datetime="2026-03-11T02:00:00+00:00" data-local-date>' in me
    assert "local-dates.js" in me
