"""Query counts do not grow with the number of rows on a page."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from tests.factories import (
    course_lesson,
    make_assignment,
    make_clinic,
    make_lesson,
    make_patient,
    make_progress,
    make_staff,
)

pytestmark = pytest.mark.django_db


def count_queries(client, url: str, method: str = "get") -> int:
    with CaptureQueriesContext(connection) as captured:
        response = getattr(client, method)(url)
        if response.streaming:  # its queries run while it is read
            b"".join(response.streaming_content)
    assert response.status_code == 200
    return len(captured)


def clinic_with_patients(n: int):
    clinic = make_clinic()
    today = timezone.localdate()
    lessons = [course_lesson(0), course_lesson(1)]
    for i in range(n):
        patient = make_patient(clinic=clinic)
        make_assignment(patient=patient, lesson=lessons[0], due_date=today - timedelta(days=1))
        make_assignment(patient=patient, lesson=lessons[1], due_date=today + timedelta(days=3))
        if i % 2:
            make_progress(patient=patient, lesson=lessons[0], done=True, score=2, total=3)
    return clinic


def test_dashboard_makes_the_same_number_of_queries_for_1_and_50_patients(client):
    """Guards the N+1 of counting each patient's assigned / done / overdue
    lessons and last activity row by row: they must be annotations (one
    correlated subquery each) on the single page query. 50 patients span two
    pages of 25, so the check uses a full page."""
    small, large = clinic_with_patients(1), clinic_with_patients(50)
    client.force_login(make_staff(clinic=small))
    one = count_queries(client, reverse("clinics:dashboard"))
    client.force_login(make_staff(clinic=large))
    fifty = count_queries(client, reverse("clinics:dashboard"))
    filtered = count_queries(client, reverse("clinics:dashboard") + "?show=overdue&q=P-")
    print(f"\ndashboard queries: 1 patient {one}, 50 patients {fifty}, filtered {filtered}")
    assert one == fifty
    assert filtered == fifty


def test_patient_page_makes_the_same_number_of_queries_for_1_and_50_patients(client):
    """Guards the N+1 of building the clinic's patient context per patient
    (the page must look up one patient, scoped, not walk the clinic)."""
    small, large = clinic_with_patients(1), clinic_with_patients(50)
    client.force_login(make_staff(clinic=small))
    one = count_queries(client, small.patients.first().get_absolute_url())
    client.force_login(make_staff(clinic=large))
    fifty = count_queries(client, large.patients.last().get_absolute_url())
    print(f"\npatient page queries: clinic of 1 {one}, clinic of 50 {fifty}")
    assert one == fifty


def test_patient_page_makes_the_same_number_of_queries_for_1_and_30_assignments(client):
    """Guards the N+1 of fetching each assignment's lesson and its completion
    (date, score) one row at a time: select_related plus subquery annotations."""
    clinic = make_clinic()
    client.force_login(make_staff(clinic=clinic))
    few = make_patient(clinic=clinic)
    lesson = course_lesson(0)
    make_assignment(patient=few, lesson=lesson)
    make_progress(patient=few, lesson=lesson, done=True, score=3, total=3)
    many = make_patient(clinic=clinic)
    for i in range(30):
        lesson = make_lesson()
        make_assignment(patient=many, lesson=lesson)
        make_progress(patient=many, lesson=lesson, done=bool(i % 2), score=1, total=2)
    for _ in range(5):  # lessons done without being assigned
        make_progress(patient=many, lesson=make_lesson(), done=True)
    one = count_queries(client, few.get_absolute_url())
    thirty = count_queries(client, many.get_absolute_url())
    print(f"\npatient page queries: 1 assignment {one}, 30 assignments {thirty}")
    assert one == thirty


def test_assignments_api_makes_the_same_number_of_queries_for_1_and_30_assignments(client):
    """Guards the N+1 of the phone's "From your clinic" list: lesson and
    completion per assignment."""
    clinic = make_clinic()
    few, many = make_patient(clinic=clinic), make_patient(clinic=clinic)
    make_assignment(patient=few, lesson=course_lesson(0))
    for _ in range(30):
        lesson = make_lesson()
        make_assignment(patient=many, lesson=lesson)
        make_progress(patient=many, lesson=lesson, done=True, score=1, total=2)
    client.force_login(few.user)
    one = count_queries(client, reverse("clinics:api_assignments"))
    client.force_login(many.user)
    thirty = count_queries(client, reverse("clinics:api_assignments"))
    assert one == thirty


def test_export_makes_the_same_number_of_queries_for_1_and_50_patients(client):
    """Guards the N+1 of looking up each row's patient, lesson and completion."""
    small, large = clinic_with_patients(1), clinic_with_patients(50)
    client.force_login(make_staff(clinic=small))
    one = count_queries(client, reverse("clinics:export_csv"), method="post")
    client.force_login(make_staff(clinic=large))
    fifty = count_queries(client, reverse("clinics:export_csv"), method="post")
    assert one == fifty
