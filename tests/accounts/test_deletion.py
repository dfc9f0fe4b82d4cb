"""Deletion that deletes: an account deleted from /me/ takes its login-attempt
records and its invite with it, and the clinic's audit log keeps only that a
patient record existed and was deleted. Login-attempt records of everyone
else are purged after 30 days by a daily command."""

import json
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from clinics import services
from clinics.models import AuditEvent, Invite
from tests.factories import Client, make_clinic, make_invite, make_staff, make_user

pytestmark = pytest.mark.django_db

PASSPHRASE = "maple-heron-river-stone"


def login_records(username: str, *, when=None) -> None:
    """One row of each kind django-axes keeps, as a failed and a good sign-in leave them."""
    common = {
        "username": username,
        "ip_address": "203.0.113.9",
        "user_agent": "phone",
        "http_accept": "*/*",
        "path_info": "/accounts/login/",
    }
    attempt = AccessAttempt.objects.create(get_data="", post_data="", failures_since_start=1, **common)
    failure = AccessFailureLog.objects.create(locked_out=False, **common)
    log = AccessLog.objects.create(**common)
    if when is not None:  # attempt_time is auto_now_add: move it afterwards
        for model, row in ((AccessAttempt, attempt), (AccessFailureLog, failure), (AccessLog, log)):
            model.objects.filter(pk=row.pk).update(attempt_time=when)


def joined_patient(label: str = "JD-12"):
    """A patient who joined through an invite, as in real life (the invite
    and the 'joined' audit line exist)."""
    clinic = make_clinic()
    invite = services.invite_create(clinic=clinic, created_by=make_staff(clinic=clinic), label=label)
    return services.invite_redeem(code=invite.code, username="maple-heron-482", password=PASSPHRASE)


def delete_account(client, user) -> None:
    client.force_login(user)
    response = client.post(reverse("accounts:me_delete"), {"confirm": "on"})
    assert response["Location"] == reverse("accounts:deleted")


def test_deleting_an_account_removes_its_login_attempt_records_and_no_one_elses(client):
    user = make_user(username="leaving-soon")
    login_records("leaving-soon")
    login_records("staying")
    delete_account(client, user)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        assert list(model.objects.values_list("username", flat=True)) == ["staying"], model.__name__


def test_deleting_a_patient_removes_their_invite(client):
    patient = joined_patient()
    other = make_invite(clinic=patient.clinic, label="XY")
    delete_account(client, patient.user)
    assert list(Invite.objects.all()) == [other]


def test_the_audit_log_keeps_only_that_a_patient_record_existed_and_was_deleted(client):
    patient = joined_patient(label="JD-12")
    clinic = patient.clinic
    clinician = make_staff(clinic=clinic, username="dr-who")
    staff = Client()
    staff.force_login(clinician)
    staff.get(patient.get_absolute_url())
    services.sharing_set(patient=patient, category="lessons", share=False)
    username = patient.user.username

    delete_account(client, patient.user)

    events = list(AuditEvent.objects.filter(clinic=clinic))
    text = json.dumps([[e.actor_username, e.patient_label, e.detail] for e in events])
    assert username not in text and "JD-12" not in text
    deleted = [e for e in events if e.action == AuditEvent.Action.ACCOUNT_DELETED]
    assert len(deleted) == 1 and deleted[0].patient_label == "" and deleted[0].actor_username == ""
    # What staff did stays accountable: the view is still there, by whom and when.
    viewed = [e for e in events if e.action == AuditEvent.Action.PATIENT_VIEWED]
    assert [e.actor_username for e in viewed] == ["dr-who"]


def test_me_page_and_export_say_what_is_kept_after_deletion_and_why(client):
    patient = joined_patient()
    client.force_login(patient.user)
    page = client.get(reverse("accounts:me")).content.decode()
    export = json.loads(client.get(reverse("accounts:me_export")).content)
    kept = export["kept_after_deletion"]
    assert kept and all(line["what"] and line["why"] for line in kept)
    for line in kept:
        assert line["what"] in page
    assert any("audit log" in line["what"] for line in kept)
    assert any("sign-in" in line["what"].lower() for line in kept)
    deleted_page = client.get(reverse("accounts:deleted")).content.decode()
    assert "audit log" in deleted_page and "30 days" in deleted_page


def test_purge_removes_login_records_older_than_30_days_and_keeps_recent_ones(capsys):
    login_records("old-one", when=timezone.now() - timedelta(days=31))
    login_records("recent-one", when=timezone.now() - timedelta(days=29))
    call_command("purge_login_records")
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        assert list(model.objects.values_list("username", flat=True)) == ["recent-one"], model.__name__
    assert "3" in capsys.readouterr().out
