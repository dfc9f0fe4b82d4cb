"""Clinic admins manage their staff: deactivating a clinician ends their
sessions at once and is written to the audit log."""

import pytest
from django.urls import reverse

from clinics.models import AuditEvent
from tests.factories import (
    PASSWORD,
    Client,  # staff signed in by force_login() have passed the second factor
    make_admin,
    make_clinic,
    make_staff,
)

pytestmark = pytest.mark.django_db


def deactivate_url(user) -> str:
    return reverse("clinics:staff_deactivate", args=[user.membership.pk])


def test_a_clinic_admin_deactivates_a_clinician_whose_sessions_end_at_once(client):
    clinic = make_clinic()
    clinician = make_staff(clinic=clinic, username="dr-leaving")
    workstation = Client()
    workstation.force_login(clinician)
    assert workstation.get(reverse("clinics:dashboard")).status_code == 200

    admin = make_admin(clinic=clinic)
    client.force_login(admin)
    response = client.post(deactivate_url(clinician))
    assert response["Location"] == reverse("clinics:staff")

    clinician.refresh_from_db()
    assert not clinician.is_active
    # Their open session ends on its very next request.
    assert workstation.get(reverse("clinics:dashboard"))["Location"].startswith(reverse("accounts:login"))
    assert not workstation.get(reverse("accounts:me")).context["user"].is_authenticated
    # And their password no longer signs in.
    assert Client().post(reverse("accounts:login"), {"username": "dr-leaving", "password": PASSWORD}).status_code == 200
    event = AuditEvent.objects.get(action=AuditEvent.Action.STAFF_DEACTIVATED)
    assert event.actor == admin and event.clinic == clinic and "dr-leaving" in event.detail
    assert "Deactivated" in client.get(reverse("clinics:staff")).content.decode()


def test_an_admin_cannot_deactivate_themselves(client):
    admin = make_admin()
    client.force_login(admin)
    client.post(deactivate_url(admin))
    admin.refresh_from_db()
    assert admin.is_active
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.STAFF_DEACTIVATED).exists()


def test_deactivating_is_a_post_for_an_admin_of_the_same_clinic_only(client):
    clinician = make_staff()
    client.force_login(make_admin())  # another clinic
    assert client.post(deactivate_url(clinician)).status_code == 404
    client.force_login(make_admin(clinic=clinician.membership.clinic))
    assert client.get(deactivate_url(clinician)).status_code == 405
    clinician.refresh_from_db()
    assert clinician.is_active
