"""A patient who forgot their passphrase gets a one-time link from their
clinic and keeps their account: no second patient record, nothing lost."""

import re
from datetime import datetime, timedelta

import pytest
from django.contrib.auth.tokens import PasswordResetTokenGenerator
from django.test import Client
from django.urls import reverse

from accounts.services import set_password_path
from clinics.models import AuditEvent, LessonProgress, Patient
from tests.factories import PASSWORD, course_lesson, make_patient, make_progress, make_staff, make_user

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
    assert AuditEvent.objects.filter(
        action=AuditEvent.Action.PASSPHRASE_LINK, patient=patient, actor=clinician
    ).count() == 1

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


def new_passphrase_link(client, patient) -> str:
    client.force_login(make_staff(clinic=patient.clinic))
    html = client.post(reverse("clinics:patient_passphrase_link", args=[patient.pk])).content.decode()
    return re.search(r'data-passphrase-link>(http[^<]+)<', html).group(1)


def test_a_new_passphrase_link_expires_within_24_hours(client, monkeypatch):
    patient = make_patient()
    link = new_passphrase_link(client, patient)
    later = datetime.now() + timedelta(hours=24, minutes=1)
    monkeypatch.setattr(PasswordResetTokenGenerator, "_now", lambda self: later)
    page = Client().get(link, follow=True)
    assert "no longer works" in page.content.decode()
    assert "new_password1" not in page.content.decode()


def test_a_new_passphrase_link_is_refused_for_staff_accounts():
    """A link resets a password with no second factor and no old password:
    never for staff, whose accounts open every patient of a clinic."""
    for staff in (make_staff(), make_user(is_staff=True, is_superuser=True)):
        link = set_password_path(user=staff)
        phone = Client()
        page = phone.get(link, follow=True)
        assert "no longer works" in page.content.decode()
        session_url = link.rsplit("/", 2)[0] + "/set-password/"
        phone.post(session_url, {"new_password1": "taken-over-2026-x", "new_password2": "taken-over-2026-x"})
        staff.refresh_from_db()
        assert staff.check_password(PASSWORD)


def test_a_new_staff_members_first_password_link_still_works():
    newcomer = make_staff(password=None)
    phone = Client()
    form_url = phone.get(set_password_path(user=newcomer))["Location"]
    response = phone.post(form_url, {"new_password1": "brand-new-pass-2026", "new_password2": "brand-new-pass-2026"})
    assert response.status_code == 302
    newcomer.refresh_from_db()
    assert newcomer.check_password("brand-new-pass-2026")


# --- The page the patient opens: a passphrase suggested and shown whole ------


def open_link(link: str) -> tuple[Client, str, str]:
    phone = Client()
    page = phone.get(link, follow=True)
    return phone, page.redirect_chain[-1][0], page.content.decode()


@pytest.mark.parametrize("prefix, copy, keep", [
    ("", "Copy passphrase", "Write down your new passphrase"),
    ("/es", "Copiar la frase de contraseña", "Anote su frase de contraseña nueva"),
])
def test_the_patients_page_suggests_a_passphrase_shown_whole_with_a_copy_button(client, prefix, copy, keep):
    patient = make_patient()
    link = new_passphrase_link(client, patient)
    path = re.sub(r"^https?://[^/]+", "", link)
    _, _, html = open_link(prefix + path)
    # One box that wraps (a textarea), with four words in it; no second field to type it again.
    suggested = re.search(r'<textarea name="new_password1"[^>]*>\s*([^<]+?)</textarea>', html)[1]
    assert len(suggested.split("-")) == 4 and "new_password2" not in html
    assert 'data-copy="id_new_password1"' in html and copy in html and keep in html
    assert patient.user.username in html


def test_keeping_the_suggestion_saves_it_and_leads_home_not_to_a_clinic_page(client):
    patient = make_patient()
    phone, form_url, html = open_link(new_passphrase_link(client, patient))
    suggested = re.search(r'<textarea name="new_password1"[^>]*>\s*([^<]+?)</textarea>', html)[1]
    done = phone.post(form_url, {"new_password1": suggested + "\r\n"}, follow=True)
    patient.user.refresh_from_db()
    assert patient.user.check_password(suggested)  # a line break from the box is not part of it
    page = done.content.decode()
    assert "Your new passphrase is saved" in page
    assert f'href="{reverse("home")}"' in page and reverse("clinics:dashboard") not in page


def test_a_too_short_passphrase_is_refused_and_nothing_changes(client):
    patient = make_patient()
    phone, form_url, _ = open_link(new_passphrase_link(client, patient))
    response = phone.post(form_url, {"new_password1": "short"})
    assert response.status_code == 200 and "errorlist" in response.content.decode()
    patient.user.refresh_from_db()
    assert patient.user.check_password(PASSWORD)
