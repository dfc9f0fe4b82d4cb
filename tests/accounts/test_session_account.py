"""Each session keeps the account signed in to it in a column of its own
(accounts.AccountSession), so an account's sessions are found with an index,
not by reading every session's signed data (50,000 sessions took about 7 s
on a deletion). Sessions from before that column keep working through the
deploy (migration accounts 0008)."""

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountSession
from accounts.services import account_delete
from accounts.sessions import SessionStore
from tests.factories import PASSWORD, make_patient

pytestmark = pytest.mark.django_db


def signed_in(username: str) -> Client:
    phone = Client()
    assert phone.post(reverse("accounts:login"), {"username": username, "password": PASSWORD}).status_code == 302
    return phone


def account_of_session(phone: Client) -> int | None:
    return AccountSession.objects.values_list("account_id", flat=True).get(pk=phone.cookies["sessionid"].value)


def test_the_session_names_its_account_from_sign_in_to_sign_out():
    patient = make_patient(username="pat-col")
    phone = Client()
    phone.get(reverse("accounts:login"))
    phone.post(reverse("accounts:login"), {"username": "pat-col", "password": PASSWORD})
    assert account_of_session(phone) == patient.user.pk
    phone.post(reverse("accounts:logout"))
    assert not AccountSession.objects.filter(account_id=patient.user.pk).exists()


def test_deleting_an_account_ends_its_sessions_without_reading_anyone_elses():
    """The defect: the deletion read and decoded every session on the server."""
    gone, stays = make_patient(username="pat-gone-s"), make_patient(username="pat-stays")
    first, second, other = signed_in("pat-gone-s"), signed_in("pat-gone-s"), signed_in("pat-stays")
    with CaptureQueriesContext(connection) as captured:
        account_delete(user=gone.user)
    assert not [q["sql"] for q in captured if "session_data" in q["sql"]]
    keys = [phone.cookies["sessionid"].value for phone in (first, second)]
    assert not AccountSession.objects.filter(pk__in=keys).exists()
    assert account_of_session(other) == stays.user.pk
    assert other.get(reverse("accounts:me")).status_code == 200


def test_sessions_from_before_the_deploy_move_over_and_stay_signed_in():
    patient = make_patient(username="pat-before")
    old = SessionStore()
    old["_auth_user_id"], old["_auth_user_backend"] = str(patient.user.pk), "accounts.backends.ModelBackend"
    old["_auth_user_hash"] = patient.user.get_session_auth_hash()
    data = old.encode(old._get_session(no_load=True))
    later = timezone.now() + timedelta(days=3)
    Session.objects.create(session_key="k" * 32, session_data=data, expire_date=later)
    gone = timezone.now() - timedelta(days=1)
    Session.objects.create(session_key="e" * 32, session_data=data, expire_date=gone)
    AccountSession.objects.all().delete()

    migration = importlib.import_module("accounts.migrations.0008_account_sessions")
    migration.sessions_move(apps, connection.schema_editor())

    assert list(AccountSession.objects.values_list("pk", "account_id")) == [("k" * 32, patient.user.pk)]
    assert not Session.objects.exists()
    phone = Client()
    phone.cookies["sessionid"] = "k" * 32
    assert phone.get(reverse("accounts:me")).status_code == 200
