"""The Django admin: a superuser reading a patient's data is audited like a
clinician's view."""

import pytest
from django.urls import reverse

from clinics.models import AuditEvent
from tests.factories import course_lesson, make_assignment, make_patient, make_progress

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "admin_url",
    ["admin:clinics_patient_change", "admin:clinics_assignment_change", "admin:clinics_lessonprogress_change"],
)
def test_a_superuser_reading_a_patient_in_the_admin_writes_an_audit_row(admin_client, admin_user, admin_url):
    patient = make_patient(label="AD-1")
    objects = {
        "admin:clinics_patient_change": patient,
        "admin:clinics_assignment_change": make_assignment(patient=patient),
        "admin:clinics_lessonprogress_change": make_progress(patient=patient, lesson=course_lesson(1)),
    }
    response = admin_client.get(reverse(admin_url, args=[objects[admin_url].pk]))
    assert response.status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.PATIENT_VIEWED)
    assert event.patient_id == patient.pk and event.clinic == patient.clinic
    assert event.actor == admin_user and event.actor_username == admin_user.username
    assert "admin" in event.detail


def test_a_missing_object_in_the_admin_writes_no_audit_row(admin_client):
    admin_client.get(reverse("admin:clinics_patient_change", args=[999_999]))
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PATIENT_VIEWED).exists()
