"""Session length is decided once, when anyone signs in (the user_logged_in
signal): staff get a working day on every way in, ended sooner by 30 minutes
without a request; patients stay for weeks."""

import time

import pytest
from django.db import OperationalError, connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from accounts.models import AccountSession
from accounts.services import STAFF_UNTIL_SESSION, set_password_path
from tests.factories import PASSWORD, make_invite, make_patient, make_staff, make_user

pytestmark = pytest.mark.django_db


def working_day(session, settings) -> bool:
    """Ends after 30 minutes idle, and a working day from now at the latest."""
    left = session[STAFF_UNTIL_SESSION] - time.time()
    return session.get_expiry_age() == settings.STAFF_IDLE_SECONDS and abs(left - settings.STAFF_SESSION_SECONDS) < 60


def test_staff_signing_in_on_the_login_page_get_a_working_day(client, settings):
    make_staff(username="dr-s")
    client.post(reverse("accounts:login"), {"username": "dr-s", "password": PASSWORD})
    assert working_day(client.session, settings)


def test_a_new_staff_member_signed_in_by_their_set_password_link_gets_a_working_day(settings):
    newcomer = make_staff(password=None)
    phone = Client()
    form_url = phone.get(set_password_path(user=newcomer))["Location"]
    phone.post(form_url, {"new_password1": "brand-new-pass-2026", "new_password2": "brand-new-pass-2026"})
    assert phone.session["_auth_user_id"] == str(newcomer.pk)
    assert working_day(phone.session, settings)


def test_a_superuser_signing_in_to_the_django_admin_gets_a_working_day(settings):
    make_user(username="root", is_staff=True, is_superuser=True)
    client = Client()
    client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD})
    assert client.session["_auth_user_id"]
    assert working_day(client.session, settings)


def test_patients_stay_signed_in_for_weeks_however_they_sign_in(client, settings):
    make_patient(username="pat-s")
    client.post(reverse("accounts:login"), {"username": "pat-s", "password": PASSWORD})
    assert client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE > settings.STAFF_SESSION_SECONDS
    joined = Client()
    invite = make_invite()
    joined.post(invite.get_join_url(), {"username": "maple-heron-555", "passphrase": "quiet-river-morning-lamp"})
    assert joined.session["_auth_user_id"]
    assert joined.session.get_expiry_age() == settings.SESSION_COOKIE_AGE


def _session_updates_fail(execute, sql, params, many, context):
    if sql.lstrip().upper().startswith("UPDATE") and "accounts_accountsession" in sql:
        raise OperationalError("server closed the connection unexpectedly")
    return execute(sql, params, many, context)


def test_a_database_dropping_while_a_sign_in_saves_its_session_answers_503_not_400():
    """Django reads any failed session update as "the session was deleted in
    another request" (400). A database out of reach is not that: the person
    should see the 503 page that says to try again, like every other
    request that cannot reach the database."""
    make_patient(username="pat-drop")
    phone = Client(raise_request_exception=False)
    with connection.execute_wrapper(_session_updates_fail):
        response = phone.post(reverse("accounts:login"), {"username": "pat-drop", "password": PASSWORD})
    assert response.status_code == 503
    assert response["Retry-After"] == "5"


def test_a_session_deleted_by_another_request_is_still_a_400():
    """The case Django's 400 is for: the session went (signed out in another
    tab) while this request was running."""
    make_patient(username="pat-gone")
    phone = Client(raise_request_exception=False)

    def sign_out_elsewhere_first(execute, sql, params, many, context):
        if sql.lstrip().upper().startswith("UPDATE") and "accounts_accountsession" in sql:
            AccountSession.objects.all().delete()
        return execute(sql, params, many, context)

    with connection.execute_wrapper(sign_out_elsewhere_first):
        response = phone.post(reverse("accounts:login"), {"username": "pat-gone", "password": PASSWORD})
    assert response.status_code == 400


# Every way in: the login page, the join page, a set-password link.
SIGN_INS = ("login", "join", "set_password")


@pytest.mark.parametrize("way", SIGN_INS)
def test_every_sign_in_loads_the_person_with_their_clinic_membership_in_one_query(way):
    """Every clinic page needs the staff member's membership and clinic:
    they come with the user, in the query that reads the user, not in one
    more query per page."""
    phone = Client()
    if way == "login":
        make_staff(username="dr-m")
        phone.post(reverse("accounts:login"), {"username": "dr-m", "password": PASSWORD})
    elif way == "join":
        joining = {"username": "maple-heron-556", "passphrase": "quiet-river-morning-lamp"}
        phone.post(make_invite().get_join_url(), joining)
    else:
        newcomer = make_staff(password=None)
        form_url = phone.get(set_password_path(user=newcomer))["Location"]
        phone.post(form_url, {"new_password1": "brand-new-pass-2026", "new_password2": "brand-new-pass-2026"})
    assert phone.session["_auth_user_id"]
    with CaptureQueriesContext(connection) as captured:
        phone.get(reverse("accounts:me"))
    users = [q["sql"] for q in captured if 'FROM "accounts_user"' in q["sql"]]
    assert users and all('JOIN "clinics_membership"' in sql for sql in users)
    assert not [q for q in captured if 'FROM "clinics_membership"' in q["sql"]]



def staff_signed_in(settings) -> Client:
    settings.STAFF_MFA = False
    make_staff(username="dr-idle")
    client = Client()
    assert client.post(reverse("accounts:login"), {"username": "dr-idle", "password": PASSWORD}).status_code == 302
    return client


def test_a_staff_session_ends_after_30_minutes_idle(settings, clock):
    client = staff_signed_in(settings)
    for _ in range(3):
        clock.advance(minutes=29)
        assert client.get(reverse("clinics:dashboard")).status_code == 200
    clock.advance(minutes=31)
    assert client.get(reverse("clinics:dashboard"))["Location"].startswith(reverse("accounts:login"))


def test_a_staff_session_ends_after_a_working_day_however_busy(settings, clock):
    client = staff_signed_in(settings)
    for _ in range(16):  # 8 hours, a request every half hour
        clock.advance(minutes=29, seconds=59)
        assert client.get(reverse("clinics:dashboard")).status_code == 200
    clock.advance(minutes=10)
    assert client.get(reverse("clinics:dashboard"))["Location"].startswith(reverse("accounts:login"))
