"""Clinic admins manage their staff: deactivating a clinician ends their
sessions at once, a sign-in reset issues a one-time link that also removes
their authenticator (the only way, with the first set-password link, to
connect an app), other admins are told, and a site superuser who is a
member can be removed from the clinic, not deactivated. All audited."""

import re
from base64 import b32decode

import pytest
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.mfa import recovery_codes_replace
from accounts.models import User
from accounts.services import set_password_path
from clinics.models import AuditEvent
from tests.factories import (
    PASSWORD,
    Client,  # staff signed in by force_login() have passed the second factor
    make_admin,
    make_authenticator,
    make_clinic,
    make_staff,
    totp_code,
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


# --- Sign-in resets, enrolment, superusers ---------------------------------


def reset_url(user) -> str:
    return reverse("clinics:staff_sign_in_reset", args=[user.membership.pk])


def test_an_admin_issues_a_link_that_resets_a_staff_members_password_and_authenticator(client):
    clinician = make_staff(username="dr-lost-phone")
    make_authenticator(user=clinician)
    recovery_codes_replace(user=clinician)
    clinic = clinician.membership.clinic
    workstation = Client()
    workstation.force_login(clinician)
    admin = make_admin(clinic=clinic, username="adm-one")
    client.force_login(admin)

    page = client.post(reset_url(clinician))
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    link = re.search(r"data-sign-in-link>(http[^<]+)<", page.content.decode()).group(1)
    clinician.refresh_from_db()
    assert not clinician.has_usable_password()
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert not StaticDevice.objects.filter(user=clinician).exists()
    assert workstation.get(reverse("clinics:dashboard"))["Location"].startswith(reverse("accounts:login"))
    event = AuditEvent.objects.get(action=AuditEvent.Action.SIGN_IN_RESET)
    assert event.actor == admin and event.clinic == clinic and "dr-lost-phone" in event.detail

    # The link sets a password and lets them connect a new app.
    phone = DjangoClient()
    form_url = phone.get(link)["Location"]
    new = "quiet-river-morning-lamp"
    assert phone.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    setup = phone.get(reverse("accounts:two_factor_setup"))
    assert setup.status_code == 200 and "data-totp-key" in setup.content.decode()


def test_connecting_an_app_needs_a_one_time_link_not_a_password_alone():
    """A staff member with a password and no app (a superuser removed it in
    the Django admin): whoever knows the password must not connect theirs."""
    clinician = make_staff(username="dr-no-app")
    browser = DjangoClient()
    browser.post(reverse("accounts:login"), {"username": "dr-no-app", "password": PASSWORD})
    setup = browser.get(reverse("accounts:two_factor_setup"))
    html = setup.content.decode()
    assert "data-totp-key" not in html and "link" in html
    browser.post(reverse("accounts:two_factor_setup"), {"code": "123456"})
    assert not TOTPDevice.objects.filter(user=clinician).exists()
    assert browser.get(reverse("clinics:dashboard")).status_code == 302


def test_other_admins_are_told_when_a_staff_member_connects_an_app_or_a_sign_in_is_reset(client):
    clinic = make_clinic()
    other_admin = make_admin(clinic=clinic, username="adm-two")
    device = make_authenticator(user=other_admin)
    admin = make_admin(clinic=clinic, username="adm-one")
    newcomer = make_staff(clinic=clinic, username="dr-new", password=None)
    client.force_login(admin)
    link = re.search(r"data-sign-in-link>(http[^<]+)<", client.post(reset_url(newcomer)).content.decode()).group(1)
    phone = DjangoClient()
    form_url = phone.get(link)["Location"]
    phone.post(form_url, {"new_password1": "quiet-river-morning-lamp", "new_password2": "quiet-river-morning-lamp"})
    key = re.search(r"data-totp-key>([A-Z2-7 ]+)<", phone.get(reverse("accounts:two_factor_setup")).content.decode())
    typed = key.group(1).replace(" ", "")
    code = f"{totp(b32decode(typed + '=' * (-len(typed) % 8))):06d}"
    phone.post(reverse("accounts:two_factor_setup"), {"code": code})

    browser = DjangoClient()
    browser.post(reverse("accounts:login"), {"username": "adm-two", "password": PASSWORD})
    page = browser.post(reverse("accounts:two_factor"), {"code": totp_code(device)}, follow=True).content.decode()
    assert "adm-one reset the sign-in of dr-new" in page
    assert "dr-new connected an authenticator app" in page
    # The admin who did it is not told about it.
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.SECOND_FACTOR_ADDED, actor=other_admin).exists()


def test_a_clinic_admin_cannot_deactivate_or_reset_a_site_superuser_only_remove_them(client):
    clinic = make_clinic()
    root = make_staff(clinic=clinic, username="root", is_superuser=True, is_staff=True)
    admin = make_admin(clinic=clinic)
    client.force_login(admin)
    client.post(deactivate_url(root))
    client.post(reset_url(root))
    root.refresh_from_db()
    assert root.is_active and root.has_usable_password()
    assert not AuditEvent.objects.filter(
        action__in=[AuditEvent.Action.STAFF_DEACTIVATED, AuditEvent.Action.SIGN_IN_RESET]
    ).exists()
    assert client.post(reverse("clinics:staff_remove", args=[root.membership.pk]))["Location"] == reverse(
        "clinics:staff"
    )
    root.refresh_from_db()
    assert not hasattr(root, "membership") and root.is_active
    assert AuditEvent.objects.get(action=AuditEvent.Action.STAFF_REMOVED).detail.startswith("root")


def test_a_site_superusers_set_password_link_is_never_shown_to_a_clinic_admin(client):
    """`manage.py sign_in_link root` (the operator's reset for a superuser)
    leaves root's password unusable until root uses the link it printed. The
    clinic's staff page once showed that link too: a clinic admin could set
    root's password, connect their own app and open the Django admin as root.
    Only accounts the clinic may change get a link on the page."""
    clinic = make_clinic()
    root = make_staff(clinic=clinic, username="root", is_superuser=True, is_staff=True)
    newcomer = make_staff(clinic=clinic, username="newcomer")
    for user in (root, newcomer):
        user.set_unusable_password()
        user.save()
    client.force_login(make_admin(clinic=clinic))
    page = client.get(reverse("clinics:staff")).content.decode()
    shown = re.findall(r"data-set-password-link>([^<]+)</code>", page)
    assert [urlsafe_base64_encode(force_bytes(newcomer.pk)) in link for link in shown] == [True], shown
    assert not any(f"/{urlsafe_base64_encode(force_bytes(root.pk))}/" in link for link in shown)


def test_a_clinics_only_admin_cannot_delete_their_account_and_a_staff_deletion_is_in_the_clinics_log(client):
    """/me/ lets anyone delete their account. A clinic's only active admin
    once could too, leaving nobody to manage its staff or read its audit
    log, and a staff member's deletion left no line in that log. Now the
    only admin is told what to do first (and stays signed in, account
    whole); anyone else's deletion is a line in the clinic's log."""
    clinic = make_clinic()
    admin = make_admin(clinic=clinic, username="only-admin")
    leaving = make_staff(clinic=clinic, username="leaving")
    client.force_login(admin)
    refused = client.post(reverse("accounts:me_delete"), {"confirm": "on"})
    assert refused.status_code == 409 and "only admin" in refused.content.decode()
    assert User.objects.filter(pk=admin.pk, membership__clinic=clinic).exists()
    assert client.get(reverse("clinics:staff")).status_code == 200  # still signed in, still the admin
    assert not AuditEvent.objects.filter(action=AuditEvent.Action.STAFF_REMOVED).exists()

    other = Client()
    other.force_login(leaving)
    assert other.post(reverse("accounts:me_delete"), {"confirm": "on"})["Location"] == reverse("accounts:deleted")
    assert not User.objects.filter(pk=leaving.pk).exists()
    line = AuditEvent.objects.get(clinic=clinic, action=AuditEvent.Action.STAFF_REMOVED)
    assert line.actor_username == "leaving" and "deleted their own account" in line.detail


def test_an_admin_with_another_admin_beside_them_may_delete_their_account(client):
    clinic = make_clinic()
    admin = make_admin(clinic=clinic)
    make_admin(clinic=clinic)
    client.force_login(admin)
    assert client.post(reverse("accounts:me_delete"), {"confirm": "on"})["Location"] == reverse("accounts:deleted")
    assert not User.objects.filter(pk=admin.pk).exists()


def test_a_set_password_link_stops_working_when_its_staff_member_is_deactivated(client):
    """A new clinician's link (valid a day) once still set their password
    after an admin deactivated them, signed them in and was audited as a
    sign-in: the token does not cover whether the account is active."""
    clinic = make_clinic()
    newcomer = make_staff(clinic=clinic, username="not-starting")
    newcomer.set_unusable_password()
    newcomer.save()
    link = set_password_path(user=newcomer)
    client.force_login(make_admin(clinic=clinic))
    client.post(deactivate_url(newcomer))
    visitor = DjangoClient()
    page = visitor.get(link, follow=True)
    assert "no longer works" in page.content.decode()
    new = "a long new passphrase 42"
    visitor.post(link, {"new_password1": new, "new_password2": new})
    newcomer.refresh_from_db()
    assert not newcomer.has_usable_password()
