"""The `crest_account` cookie tells the phone's scripts whose data to show
(issue 20): the account's opaque id while signed in, gone the moment nobody
is, and never on an anonymous visitor's public pages."""

import pytest
from django.test import Client
from django.urls import reverse

from accounts.middleware import PHONE_ACCOUNT_COOKIE
from accounts.services import account_public_id, sessions_end_all
from tests.factories import PASSWORD, make_invite, make_patient, make_staff

pytestmark = pytest.mark.django_db


def cookie_of(response):
    return response.cookies.get(PHONE_ACCOUNT_COOKIE)


def test_signing_in_sets_the_accounts_id_readable_by_the_pages_for_as_long_as_the_session(client, settings):
    patient = make_patient(username="pat-c")
    response = client.post(reverse("accounts:login"), {"username": "pat-c", "password": PASSWORD})
    cookie = cookie_of(response)
    assert cookie.value == account_public_id(patient.user)
    assert not cookie["httponly"] and cookie["samesite"] == "Lax" and cookie["path"] == "/"
    assert cookie["max-age"] == client.session.get_expiry_age() == settings.SESSION_COOKIE_AGE
    # The API names the same account.
    assert client.get(reverse("phone:api_assignments")).json()["account"] == cookie.value


def test_joining_sets_it_too():
    phone = Client()
    form = {"username": "maple-heron-556", "passphrase": "quiet-river-morning-lamp"}
    response = phone.post(make_invite().get_join_url(), form)
    assert cookie_of(response).value == account_public_id(response.wsgi_request.user)


def test_staff_get_it_for_as_long_as_their_session(client, settings):
    """A staff session ends after STAFF_IDLE_SECONDS without a request (and
    is pushed back while they work): the cookie ends with it."""
    staff = make_staff(username="dr-c")
    response = client.post(reverse("accounts:login"), {"username": "dr-c", "password": PASSWORD})
    assert cookie_of(response).value == account_public_id(staff)
    assert cookie_of(response)["max-age"] == settings.STAFF_IDLE_SECONDS


def test_the_sign_out_answer_removes_it(client):
    make_patient(username="pat-d")
    client.post(reverse("accounts:login"), {"username": "pat-d", "password": PASSWORD})
    response = client.post(reverse("accounts:logout"))
    assert cookie_of(response).value == "" and cookie_of(response)["max-age"] == 0
    assert PHONE_ACCOUNT_COOKIE not in client.cookies or client.cookies[PHONE_ACCOUNT_COOKIE].value == ""


def test_a_session_ended_elsewhere_removes_it_on_the_next_answer(client):
    patient = make_patient(username="pat-e")
    client.post(reverse("accounts:login"), {"username": "pat-e", "password": PASSWORD})
    sessions_end_all(user=patient.user)
    response = client.get(reverse("phone:api_assignments"))
    assert response.json() == {"signed_in": False}
    assert cookie_of(response).value == "" and cookie_of(response)["max-age"] == 0


def test_a_signed_in_request_with_the_cookie_right_sets_nothing(client):
    make_patient(username="pat-f")
    client.post(reverse("accounts:login"), {"username": "pat-f", "password": PASSWORD})
    assert cookie_of(client.get(reverse("phone:api_assignments"))) is None


def test_an_anonymous_visitor_gets_no_cookie(client):
    for url in (reverse("phone:api_assignments"), reverse("accounts:me"), reverse("accounts:login")):
        assert cookie_of(client.get(url)) is None, url


def test_a_page_kept_for_everyone_never_carries_it(client):
    """Even for someone signed in without it (a session from before the
    cookie): the API call every page makes sets it instead."""
    patient = make_patient()
    client.force_login(patient.user)
    assert cookie_of(client.get(reverse("home"))) is None
    assert cookie_of(client.get(reverse("phone:api_assignments"))).value == account_public_id(patient.user)


def test_a_cookie_left_from_someone_else_is_removed_for_an_anonymous_visitor(client):
    client.cookies[PHONE_ACCOUNT_COOKIE] = "0" * 24
    response = client.get(reverse("phone:api_assignments"))
    assert cookie_of(response)["max-age"] == 0
