"""The audit trail a hospital can rely on: security events of staff accounts
are in it, every read of patient data in the Django admin is in it, each row
carries a hash chained to the row before (`manage.py verify_audit`), on
PostgreSQL the database refuses to change or delete a row, and deleting a
patient's account still works without touching a row."""

import json
import re
from base64 import b32decode

import pytest
from django.core.management import CommandError, call_command
from django.db import DatabaseError, connection, transaction
from django.test import Client as DjangoClient
from django.urls import reverse
from django_otp.oath import totp

from accounts.services import set_password_path
from clinics import services
from clinics.models import AuditEvent, CravingSummary, Invite, SyncedItem
from tests.factories import (
    PASSWORD,
    Client,
    course_lesson,
    make_admin,
    make_assignment,
    make_authenticator,
    make_invite,
    make_patient,
    make_progress,
    make_staff,
    make_user,
    totp_code,
)

pytestmark = pytest.mark.django_db

Action = AuditEvent.Action


def actions(**filters) -> list[str]:
    return list(AuditEvent.objects.filter(**filters).order_by("pk").values_list("action", flat=True))


def sign_in(client, username: str, password: str = PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


# --- Tamper-evident ---------------------------------------------------------


def some_rows():
    patient = make_patient(label="CH-1")
    clinician = make_staff(clinic=patient.clinic)
    for _ in range(3):
        services.audit_record(actor=clinician, clinic=patient.clinic, action=Action.PATIENT_VIEWED, patient=patient)
    services.invite_create(clinic=patient.clinic, created_by=clinician, label="CH-2")
    return patient


def test_each_row_carries_a_hash_chained_to_the_row_before_and_verify_audit_checks_it(capsys):
    some_rows()
    rows = list(AuditEvent.objects.order_by("pk"))
    assert len(rows) == 4 and all(re.fullmatch(r"[0-9a-f]{64}", row.hash) for row in rows)
    assert len({row.hash for row in rows}) == 4
    call_command("verify_audit")
    out = capsys.readouterr().out
    assert "4 rows" in out and rows[-1].hash in out


def tamper(sql: str, params: list) -> None:
    """What someone with the database's owner role could do (on PostgreSQL,
    past the trigger: replica mode skips it)."""
    with transaction.atomic(), connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            cursor.execute("SET LOCAL session_replication_role = replica")
        cursor.execute(sql, params)


@pytest.mark.parametrize("change", ["edit", "delete"])
def test_verify_audit_finds_a_changed_or_removed_row(change):
    some_rows()
    second = AuditEvent.objects.order_by("pk")[1]
    table = AuditEvent._meta.db_table
    if change == "edit":
        tamper(f"UPDATE {table} SET detail = %s WHERE id = %s", ["nothing to see", second.pk])
    else:
        tamper(f"DELETE FROM {table} WHERE id = %s", [second.pk])
    with pytest.raises(CommandError, match=r"#\d+"):
        call_command("verify_audit")


def test_a_row_is_never_changed_through_the_app():
    patient = some_rows()
    row = AuditEvent.objects.filter(patient=patient).first()
    row.detail = "rewritten"
    with pytest.raises(ValueError):
        row.save()


@pytest.mark.only_on("postgresql")  # a trigger on PostgreSQL only
def test_on_postgresql_the_database_refuses_to_update_or_delete_a_row():
    some_rows()
    table = AuditEvent._meta.db_table
    for sql in (f"UPDATE {table} SET detail = 'x'", f"DELETE FROM {table}"):
        with pytest.raises(DatabaseError, match="append-only"), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(sql)
    assert AuditEvent.objects.count() == 4


def test_deleting_a_patient_with_every_kind_of_audit_row_works_and_changes_no_row(client):
    patient = make_patient(label="DEL-1", shares_cravings=True)
    clinic = patient.clinic
    clinician = make_staff(clinic=clinic, username="dr-stays")
    invite = Invite.objects.create(clinic=clinic, label="DEL-1", patient=patient)
    services.audit_record(actor=clinician, clinic=clinic, action=Action.INVITE_CREATED, detail=f"invite #{invite.pk}")
    make_assignment(patient=patient)
    make_progress(patient=patient, lesson=course_lesson(1))
    item = SyncedItem.objects.create(id="5f0e8d0a-1a2b-4c3d-9e8f-001122334455", patient=patient,
                                     type=SyncedItem.Type.CRAVING_LOGGED, at="2026-03-01T10:00:00Z")
    CravingSummary.objects.create(item=item, patient=patient, at=item.at, intensity_before=7)
    staff = Client()
    staff.force_login(clinician)
    staff.get(patient.get_absolute_url())
    staff.force_login(make_admin(clinic=clinic))
    staff.post(reverse("clinics:export_csv"))
    services.sharing_set(patient=patient, category="cravings", share=False)
    before = list(AuditEvent.objects.order_by("pk").values_list("pk", "hash"))

    client.force_login(patient.user)
    assert client.post(reverse("accounts:me_delete"), {"confirm": "on"})["Location"] == reverse("accounts:deleted")

    after = list(AuditEvent.objects.order_by("pk").values_list("pk", "hash"))
    assert after[: len(before)] == before  # not a row changed
    assert actions(clinic=clinic)[-1] == Action.ACCOUNT_DELETED
    text = json.dumps(list(AuditEvent.objects.values_list("actor_username", "detail")))
    assert "DEL-1" not in text and patient.user.username not in text
    call_command("verify_audit")


# --- Security events ----------------------------------------------------------


def test_staff_sign_ins_and_failures_are_in_their_clinics_audit_trail():
    clinician = make_staff(username="dr-audit")
    clinic = clinician.membership.clinic
    browser = DjangoClient()
    sign_in(browser, "dr-audit", "wrong-password")
    sign_in(browser, "DR-AUDIT", "wrong-password")  # the same account, however it is typed
    assert sign_in(browser, "dr-audit").status_code == 302
    assert actions(clinic=clinic) == [Action.SIGN_IN_FAILED, Action.SIGN_IN_FAILED, Action.SIGNED_IN]
    assert set(AuditEvent.objects.values_list("actor", flat=True)) == {clinician.pk}
    assert "127.0.0.1" in AuditEvent.objects.get(action=Action.SIGNED_IN).detail


def test_a_patients_sign_ins_are_not_recorded():
    patient = make_patient()
    browser = DjangoClient()
    sign_in(browser, patient.user.username, "wrong-password")
    sign_in(browser, patient.user.username)
    assert not AuditEvent.objects.exists()


def test_the_second_factor_enrolment_codes_and_recovery_codes_are_in_the_audit_trail():
    clinician = make_staff(username="dr-codes", password=None)
    clinic = clinician.membership.clinic
    browser = DjangoClient()
    form_url = browser.get(set_password_path(user=clinician))["Location"]
    browser.post(form_url, {"new_password1": PASSWORD, "new_password2": PASSWORD})
    setup = browser.get(reverse("accounts:two_factor_setup")).content.decode()
    typed = re.search(r"data-totp-key>([A-Z2-7 ]+)<", setup).group(1).replace(" ", "")
    key = b32decode(typed + "=" * (-len(typed) % 8))
    done = browser.post(reverse("accounts:two_factor_setup"), {"code": f"{totp(key):06d}"})
    codes = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    browser.post(reverse("accounts:logout"))

    again = DjangoClient()
    sign_in(again, "dr-codes")
    again.post(reverse("accounts:two_factor"), {"code": "000000"})
    again.post(reverse("accounts:two_factor"), {"code": codes[0]})
    again.post(reverse("accounts:two_factor_recovery_codes"))
    assert actions(clinic=clinic) == [
        Action.PASSWORD_SET_BY_LINK, Action.SIGNED_IN, Action.SECOND_FACTOR_ADDED, Action.RECOVERY_CODES_MADE,
        Action.SIGNED_IN, Action.SECOND_FACTOR_FAILED, Action.RECOVERY_CODE_USED, Action.RECOVERY_CODES_MADE,
    ]


def test_an_authenticator_code_that_completes_a_sign_in_is_in_the_audit_trail():
    clinician = make_staff(username="dr-app")
    device = make_authenticator(user=clinician)
    browser = DjangoClient()
    sign_in(browser, "dr-app")
    browser.post(reverse("accounts:two_factor"), {"code": totp_code(device)})
    assert actions() == [Action.SIGNED_IN, Action.SECOND_FACTOR_PASSED]


def test_a_staff_password_change_and_a_set_password_link_are_in_the_audit_trail(client):
    newcomer = make_staff(username="dr-new", password=None)
    browser = DjangoClient()
    form_url = browser.get(set_password_path(user=newcomer))["Location"]
    new = "quiet-river-morning-lamp"
    assert browser.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    assert actions(actor=newcomer) == [Action.PASSWORD_SET_BY_LINK, Action.SIGNED_IN]

    newcomer.refresh_from_db()
    client.force_login(newcomer)
    newer = "amber-harbor-quiet-lantern"
    changed = client.post(
        reverse("accounts:password_change"),
        {"old_password": new, "new_password1": newer, "new_password2": newer},
    )
    assert changed["Location"] == reverse("accounts:password_change_done")
    assert actions(actor=newcomer)[-1] == Action.PASSWORD_CHANGED


def test_a_patients_reset_by_link_is_in_their_clinics_audit_trail():
    patient = make_patient(label="RL-1")
    browser = DjangoClient()
    form_url = browser.get(set_password_path(user=patient.user))["Location"]
    new = "quiet-river-morning-lamp"
    browser.post(form_url, {"new_password1": new, "new_password2": new})
    event = AuditEvent.objects.get(action=Action.PASSWORD_SET_BY_LINK)
    assert event.patient_id == patient.pk and event.clinic == patient.clinic and event.actor_username == ""


def test_a_clinician_using_a_patients_link_is_audited_and_the_patient_is_told_on_their_phone(client):
    patient = make_patient(label="CL-1")
    clinician = make_staff(clinic=patient.clinic, username="dr-shortcut")
    client.force_login(clinician)
    html = client.post(reverse("clinics:patient_passphrase_link", args=[patient.pk])).content.decode()
    link = re.search(r"data-passphrase-link>(http[^<]+)<", html).group(1)
    # The clinician opens the link on the clinic's computer, still signed in.
    form_url = client.get(link)["Location"]
    new = "quiet-river-morning-lamp"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    event = AuditEvent.objects.get(action=Action.LINK_USED_BY_STAFF)
    assert event.actor == clinician and event.patient_id == patient.pk

    phone = DjangoClient()
    signed_in = phone.post(reverse("accounts:login"), {"username": patient.user.username, "password": new},
                           follow=True)
    assert signed_in.redirect_chain[-1][0] == reverse("accounts:me")
    assert "with a link from your clinic, by a member of its staff" in signed_in.content.decode()
    # Told once.
    phone.post(reverse("accounts:logout"))
    again = phone.post(reverse("accounts:login"), {"username": patient.user.username, "password": new}, follow=True)
    assert "with a link from your clinic" not in again.content.decode()


def test_deactivation_and_reactivation_are_in_the_audit_trail(client):
    admin = make_admin()
    clinician = make_staff(clinic=admin.membership.clinic, username="dr-leaves")
    client.force_login(admin)
    client.post(reverse("clinics:staff_deactivate", args=[clinician.membership.pk]))
    client.post(reverse("clinics:staff_reactivate", args=[clinician.membership.pk]))
    clinician.refresh_from_db()
    assert clinician.is_active
    assert actions(action__in=[Action.STAFF_DEACTIVATED, Action.STAFF_REACTIVATED]) == [
        Action.STAFF_DEACTIVATED, Action.STAFF_REACTIVATED,
    ]


# --- A cross-site GET -------------------------------------------------------


def test_a_cross_site_get_of_a_patient_page_shows_nothing_and_writes_no_viewed_row(client):
    patient = make_patient(label="XS-1")
    client.force_login(make_staff(clinic=patient.clinic))
    response = client.get(patient.get_absolute_url(), HTTP_SEC_FETCH_SITE="cross-site")
    assert response.status_code == 200 and "XS-1" not in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert not AuditEvent.objects.filter(action=Action.PATIENT_VIEWED).exists()
    # Opened from Crest itself (or typed in), it is the page, and audited.
    for site in ("same-origin", "none"):
        assert "XS-1" in client.get(patient.get_absolute_url(), HTTP_SEC_FETCH_SITE=site).content.decode()
    assert AuditEvent.objects.filter(action=Action.PATIENT_VIEWED).count() == 2


# --- The Django admin ---------------------------------------------------------


def test_a_changelist_writes_one_viewed_row_per_patient_shown(admin_client, admin_user):
    one, two = make_patient(label="CLST-1"), make_patient(label="CLST-2")
    make_assignment(patient=one)
    admin_client.get(reverse("admin:clinics_patient_changelist"))
    viewed = AuditEvent.objects.filter(action=Action.PATIENT_VIEWED)
    assert set(viewed.values_list("patient_id", "clinic_id", "actor_id")) == {
        (one.pk, one.clinic_id, admin_user.pk), (two.pk, two.clinic_id, admin_user.pk),
    }
    before = AuditEvent.objects.count()
    admin_client.get(reverse("admin:clinics_assignment_changelist"))
    assert AuditEvent.objects.count() == before + 1
    assert AuditEvent.objects.order_by("-pk").first().patient_id == one.pk


def test_a_delete_confirmation_and_the_history_page_write_a_viewed_row(admin_client):
    patient = make_patient(label="DC-1")
    for url in (
        reverse("admin:clinics_patient_delete", args=[patient.pk]),
        reverse("admin:clinics_patient_history", args=[patient.pk]),
        reverse("admin:accounts_user_delete", args=[patient.user.pk]),
    ):
        before = AuditEvent.objects.count()
        assert admin_client.get(url).status_code == 200, url
        assert AuditEvent.objects.count() == before + 1, url
        assert AuditEvent.objects.order_by("-pk").first().patient_id == patient.pk, url


def test_the_delete_selected_confirmation_writes_a_row_per_patient(admin_client):
    patients = [make_patient(label=f"DS-{n}") for n in range(3)]
    admin_client.post(
        reverse("admin:clinics_patient_changelist"),
        {"action": "delete_selected", "_selected_action": [p.pk for p in patients]},
    )
    viewed = AuditEvent.objects.filter(action=Action.PATIENT_VIEWED)
    assert set(viewed.values_list("patient_id", flat=True)) == {p.pk for p in patients}


def test_the_admin_invite_page_shows_no_working_code(admin_client):
    invite = make_invite(label="IV-1")
    page = admin_client.get(reverse("admin:clinics_invite_change", args=[invite.pk])).content.decode()
    assert invite.code not in page
    listing = admin_client.get(reverse("admin:clinics_invite_changelist")).content.decode()
    assert invite.code not in listing


def test_staff_accounts_are_not_patients(admin_client):
    """A changelist of staff-only data writes nothing."""
    make_user(username="plain")
    admin_client.get(reverse("admin:clinics_membership_changelist"))
    assert not AuditEvent.objects.filter(action=Action.PATIENT_VIEWED).exists()


def test_the_audit_log_page_names_a_patient_while_they_exist(client):
    staying = make_patient(label="LOG-STAYS")
    leaving = make_patient(clinic=staying.clinic, label="LOG-LEAVES")
    admin = make_admin(clinic=staying.clinic)
    for patient in (staying, leaving):
        services.audit_record(actor=admin, clinic=patient.clinic, action=Action.PATIENT_VIEWED, patient=patient)
    phone = Client()
    phone.force_login(leaving.user)
    phone.post(reverse("accounts:me_delete"), {"confirm": "on"})
    client.force_login(admin)
    page = client.get(reverse("clinics:audit_log")).content.decode()
    assert "LOG-STAYS" in page and "LOG-LEAVES" not in page and "A deleted patient record" in page
