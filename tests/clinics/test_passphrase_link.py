"""A patient who forgot their passphrase gets a one-time link from their
clinic and keeps their account: no second patient record, nothing lost."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from clinics.models import AuditEvent, LessonProgress, Patient
from tests.factories import PASSWORD, course_lesson, make_patient, make_progress, make_staff

pytestmark = pytest.mark.django_db


def test_the_link_sets_a_new_passphrase_on_the_same_account_once(client):
    patient = make_patient(label="FP-1")
    make_progress(patient=patient, lesson=course_lesson(), done=True)
    clinician = make_staff(clinic=patient.clinic)
    client.force_login(clinician)
    response = client.post(reverse("clinics:patient_passphrase_link", args=[patient.pk]))
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    link = re.search(r'data-passphrase-link>(http[^<]+)<', html).group(1)
    assert AuditEvent.objects.filter(action=AuditEvent.Action.PASSPHRASE_LINK, patient=patient, actor=clinician).count() == 1

    phone = Client()
    page = phone.get(link, follow=True)  # Django swaps the token for a session-bound URL
    form_url = page.redirect_chain[-1][0] if page.redirect_chain else link
    new = "quiet-river-morning-lamp"
    done = phone.post(form_url, {"new_password1": new, "new_password2": new})
    assert done.status_code == 302
    patient.user.refresh_from_db()
    assert patient.user.check_password(new) and not patient.user.check_password(PASSWORD)
    assert Patient.objects.filter(label="FP-1").count() == 1
    assert LessonProgress.objects.filter(patient=patient, completed_at__isnull=False).count() == 1

    # Used once: the same link no longer works.
    again = Client().get(link, follow=True)
    assert "no longer works" in again.content.decode()


def test_a_get_does_not_make_a_link(client):
    patient = make_patient()
    client.force_login(make_staff(clinic=patient.clinic))
    assert client.get(reverse("clinics:patient_passphrase_link", args=[patient.pk])).status_code == 405
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.PASSPHRASE_LINK).exists()
