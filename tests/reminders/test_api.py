"""/api/v1/push/: the phone's subscription, signed in or anonymous, with the
sync API's rules (CSRF, JSON errors, 4xx for bad input)."""

import json
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.services import sessions_end_all
from reminders.models import Reminder, Subscription
from reminders.services import reminders_plan
from tests.factories import make_patient, make_user

from .push_service import Phone

URL = "/api/v1/push/subscriptions"
FCM = "https://fcm.googleapis.com/fcm/send/abc123"


def send(client, method: str, body, **extra):
    data = body if isinstance(body, str | bytes) else json.dumps(body)
    return client.generic(method, URL, data, content_type=extra.pop("content_type", "application/json"), **extra)


@pytest.fixture
def keyed(settings, vapid_private):
    settings.VAPID_PRIVATE_KEY = vapid_private
    settings.VAPID_SUBJECT = "mailto:ops@crest.example"


def subscription(endpoint: str = FCM, **extra) -> dict:
    return {**Phone.new().subscription_json(endpoint), **extra}


@pytest.mark.django_db
def test_the_urls_are_the_contracts():
    assert reverse("reminders_api:subscriptions") == URL
    assert reverse("reminders_api:config") == "/api/v1/push/"


@pytest.mark.django_db
def test_config_gives_the_public_key_and_a_csrf_token(client, keyed, vapid_private):
    from reminders import push

    answer = client.get("/api/v1/push/").json()
    assert answer["available"] is True
    assert answer["public_key"] == push.vapid_public_key(push.vapid_key(vapid_private))
    assert len(push.vapid_public_key()) == 87  # 65 bytes, base64url
    assert answer["csrf_token"]


@pytest.mark.django_db
def test_without_a_key_reminders_are_not_offered(client, settings):
    settings.VAPID_PRIVATE_KEY = ""
    assert client.get("/api/v1/push/").json()["available"] is False
    response = send(client, "POST", subscription())
    assert response.status_code == 503


@pytest.mark.django_db
def test_anonymous_subscribe_is_201_then_200_and_stores_the_phones_zone(client, keyed):
    body = subscription(time_zone="America/Chicago", language="es", reminders={"checkin": "07:30"})
    first = send(client, "POST", body)
    assert first.status_code == 201
    assert first.json()["reminders"]["checkin"] == "07:30"
    assert first.json()["reminders"]["time_zone"] == "America/Chicago"
    assert "endpoint" not in json.dumps(first.json())
    again = send(client, "POST", body)
    assert again.status_code == 200
    stored = Subscription.objects.get()
    assert (stored.user, stored.language, stored.time_zone, str(stored.checkin_time)) == (
        None, "es", "America/Chicago", "07:30:00")


@pytest.mark.django_db
def test_the_default_quiet_hours_are_ten_at_night_to_eight(client, keyed):
    answer = send(client, "POST", subscription()).json()["reminders"]
    assert answer["quiet"] == {"start": "22:00", "end": "08:00", "mode": "wait"}


@pytest.mark.django_db
def test_signed_in_subscription_belongs_to_the_account(client, keyed):
    patient = make_patient()
    client.force_login(patient.user)
    assert send(client, "POST", subscription()).status_code == 201
    assert Subscription.objects.get().user == patient.user


@pytest.mark.django_db
def test_csrf_is_required_as_for_the_sync(keyed):
    client = Client(enforce_csrf_checks=True)
    refused = send(client, "POST", subscription())
    assert refused.status_code == 403
    token = client.get("/api/v1/push/").json()["csrf_token"]
    accepted = send(client, "POST", subscription(), HTTP_X_CSRFTOKEN=token)
    assert accepted.status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint",
    [
        "http://fcm.googleapis.com/fcm/send/abc",  # not https
        "https://evil.example/push/abc",  # not a push service
        "https://fcm.googleapis.com.evil.example/x",  # a look-alike
        "https://127.0.0.1/push/x",  # an address, not listed
        "https://10.0.0.5/push/x",
        "https://[::1]/push/x",
        "https://user:pw@fcm.googleapis.com/fcm/send/x",
        "javascript:alert(1)",
        "https://fcm.googleapis.com:99999/x",
        "",
    ],
)
def test_endpoints_off_the_push_services_are_refused(client, keyed, endpoint):
    response = send(client, "POST", subscription(endpoint))
    assert response.status_code == 400
    assert response.json()["errors"]
    assert not Subscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    "endpoint",
    [
        "https://fcm.googleapis.com/fcm/send/abc",
        "https://updates.push.services.mozilla.com/wpush/v2/abc",
        "https://web.push.apple.com/QGx3abc",
        "https://wns2-par02p.notify.windows.com/w/?token=abc",
    ],
)
def test_the_major_push_services_are_accepted(client, keyed, endpoint):
    assert send(client, "POST", subscription(endpoint)).status_code == 201


@pytest.mark.django_db
@pytest.mark.parametrize(
    "change",
    [
        {"keys": {"p256dh": "AAAA", "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},
        {"keys": {"p256dh": "B" + "A" * 86, "auth": "AAAAAAAAAAAAAAAAAAAAAA"}},  # not on the curve
        {"keys": None},
        {"expirationTime": "soon"},
        {"time_zone": "Mars/Olympus"},
        {"time_zone": "../../etc/passwd"},
        {"language": "fr"},
        {"language": []},  # a list or an object is no language (and no dict key): once a 500
        {"language": {"es": 1}},
        {"reminders": {"checkin": "25:00"}},
        {"reminders": {"checkin": "7:30"}},
        {"reminders": {"weekly": {"day": 7, "time": "19:00"}}},
        {"reminders": {"weekly": {"day": True, "time": "19:00"}}},
        {"reminders": {"lessons": "always"}},
        {"reminders": {"quiet": {"start": "22:00", "end": "08:00", "mode": "later"}}},
        {"reminders": {"why": "cravings on Friday"}},
        {"extra": 1},
    ],
)
def test_bad_input_is_a_400_listing_the_problem(client, keyed, change):
    response = send(client, "POST", {**subscription(), **change})
    assert response.status_code == 400
    assert response.json()["error"]
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_keys_with_characters_outside_base64url_are_a_400_not_stored_as_sent(client, keyed):
    """Lenient decoding dropped the characters outside the alphabet, and the
    string as sent was stored: 87 good characters and 100 dots passed every
    check and overflowed the column (a 500 on PostgreSQL)."""
    body = subscription()
    body["keys"] = {"p256dh": body["keys"]["p256dh"] + "." * 100, "auth": body["keys"]["auth"]}
    assert send(client, "POST", body).status_code == 400
    body = subscription()
    body["keys"] = {"p256dh": body["keys"]["p256dh"], "auth": "!" + body["keys"]["auth"]}
    assert send(client, "POST", body).status_code == 400
    assert not Subscription.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("language", [[], {"es": 1}])
def test_a_refresh_with_a_language_that_is_no_string_is_a_400(client, keyed, language):
    send(client, "POST", body := subscription())
    response = send(client, "PATCH", {"endpoint": body["endpoint"], "time_zone": "UTC", "language": language})
    assert response.status_code == 400 and response.json()["error"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    "body, content_type, status",
    [
        ("{", "application/json", 400),
        ("[]", "application/json", 400),
        ('{"endpoint": 1}', "application/json", 400),
        ("x" * 9000, "application/json", 413),
        ("{}", "text/plain", 415),
        ("[" * 5000, "application/json", 400),
    ],
)
def test_malformed_bodies_get_a_4xx_never_a_500(client, keyed, body, content_type, status):
    for method in ("POST", "PATCH", "DELETE"):
        assert send(client, method, body, content_type=content_type).status_code == status


@pytest.mark.django_db
def test_other_methods_are_405_with_allow(client, keyed):
    response = client.get(URL)
    assert response.status_code == 405
    assert set(response["Allow"].split(", ")) == {"POST", "PATCH", "DELETE"}


@pytest.mark.django_db
def test_delete_removes_it_and_is_idempotent(client, keyed):
    send(client, "POST", subscription())
    assert send(client, "DELETE", {"endpoint": FCM}).status_code == 204
    assert not Subscription.objects.exists()
    assert send(client, "DELETE", {"endpoint": FCM}).status_code == 204


@pytest.mark.django_db
def test_refresh_updates_the_time_zone_when_the_phone_moves(client, keyed):
    send(client, "POST", subscription(time_zone="America/New_York", reminders={"checkin": "08:00"}))
    response = send(client, "PATCH", {"endpoint": FCM, "time_zone": "Europe/Madrid", "language": "es"})
    assert response.status_code == 200
    assert response.json()["reminders"]["time_zone"] == "Europe/Madrid"
    stored = Subscription.objects.get()
    assert (stored.time_zone, stored.language, str(stored.checkin_time)) == ("Europe/Madrid", "es", "08:00:00")


@pytest.mark.django_db
def test_refresh_of_an_unknown_endpoint_is_404(client, keyed):
    assert send(client, "PATCH", {"endpoint": FCM}).status_code == 404


@pytest.mark.django_db
def test_refresh_after_the_owner_left_the_phone_deletes_it(client, keyed):
    """Someone else (or nobody) is signed in where the account's reminders
    were turned on: the phone is told they are gone, and they are."""
    owner = make_patient().user
    client.force_login(owner)
    send(client, "POST", subscription())
    other = Client()
    other.force_login(make_user())
    assert send(other, "PATCH", {"endpoint": FCM}).status_code == 404
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_signing_out_removes_the_accounts_subscriptions(client, keyed):
    patient = make_patient()
    client.force_login(patient.user)
    send(client, "POST", subscription())
    send(client, "POST", subscription("https://fcm.googleapis.com/fcm/send/second-phone"))
    anonymous = Subscription.objects.create(endpoint="https://fcm.googleapis.com/fcm/send/anon", p256dh="x", auth="y")
    client.post(reverse("accounts:logout"))
    assert list(Subscription.objects.all()) == [anonymous]


@pytest.mark.django_db
def test_signing_out_everywhere_removes_them(client, keyed):
    patient = make_patient()
    client.force_login(patient.user)
    send(client, "POST", subscription())
    client.post(reverse("accounts:me_sign_out_everywhere"))
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_what_is_already_due_when_reminders_are_turned_on_is_not_sent(client, keyed):
    """A check-in time an hour ago, chosen now (or reminders turned off and
    on again, which makes a new subscription): planning looks three hours
    back for missed check-ins, and once sent "Time for your check-in" at
    once, or a second time the same morning."""
    now = timezone.now()
    an_hour_ago = (now - timedelta(hours=1)).strftime("%H:%M")
    reminders = {"checkin": an_hour_ago, "quiet": {"start": "03:00", "end": "03:00", "mode": "wait"}}  # none
    assert send(client, "POST", subscription(time_zone="UTC", reminders=reminders)).status_code == 201
    reminders_plan(now=now)
    assert list(Reminder.objects.values_list("kind", "status")) == [(Reminder.Kind.CHECKIN, Reminder.Status.SKIPPED)]


@pytest.mark.django_db
def test_every_way_an_accounts_sessions_all_end_removes_its_subscriptions(client, keyed):
    """A clinic admin deactivating a staff member, or resetting their sign-in,
    ends every session of theirs without a sign-out (no user_logged_out):
    their phones went on getting check-ins. Every end of all sessions
    (accounts.services.sessions_end_all) now removes them."""
    staff = make_user()
    client.force_login(staff)
    send(client, "POST", subscription())
    sessions_end_all(user=staff)
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_deleting_the_account_removes_them_and_the_export_has_the_settings_not_the_endpoint(client, keyed):
    from accounts.services import account_delete, account_export

    patient = make_patient()
    client.force_login(patient.user)
    send(client, "POST", subscription(reminders={"checkin": "09:15", "weekly": {"day": 4, "time": "18:30"}}))
    exported = account_export(user=patient.user)
    assert exported["reminders"][0]["checkin"] == "09:15"
    assert exported["reminders"][0]["weekly"] == {"day": 4, "time": "18:30"}
    assert "fcm.googleapis.com" not in json.dumps(exported, default=str)
    account_delete(user=patient.user)
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_subscribing_again_signed_in_takes_over_the_phones_subscription(client, keyed):
    """One browser has one subscription: whoever turned reminders on last owns it."""
    send(client, "POST", subscription(reminders={"checkin": "07:00"}))
    patient = make_patient()
    client.force_login(patient.user)
    send(client, "POST", subscription(reminders={"checkin": "21:00"}))
    stored = Subscription.objects.get()
    assert stored.user == patient.user
    assert str(stored.checkin_time) == "21:00:00"


@pytest.mark.django_db
def test_the_language_prefixed_api_is_404(client, keyed):
    assert send(client, "POST", subscription()).status_code == 201
    assert client.post("/es/api/v1/push/subscriptions", "{}", content_type="application/json").status_code == 404


# --- The push service renews a subscription (the worker's pushsubscriptionchange) ---

RENEWED = "https://fcm.googleapis.com/fcm/send/renewed456"


def sent_checkin(stored: Subscription) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from reminders.models import Reminder

    now = timezone.now()
    Reminder.objects.create(
        subscription=stored, kind=Reminder.Kind.CHECKIN, due_at=now, send_at=now,
        useful_until=now + timedelta(hours=1), status=Reminder.Status.SENT, sent_at=now,
    )


@pytest.mark.django_db
def test_a_renewed_subscription_takes_the_old_ones_place_with_its_person_settings_and_history(client, keyed):
    """Crest may be closed when the browser renews: the worker tells the
    server at once, so the next reminder reaches the phone, and today's
    check-in already sent is not sent again to the new endpoint."""
    patient = make_patient()
    client.force_login(patient.user)
    send(client, "POST", subscription(time_zone="Europe/Madrid", language="es", reminders={"checkin": "07:30"}))
    old = Subscription.objects.get()
    sent_checkin(old)
    phone = Phone.new()
    worker = Client()  # no session needed: the old endpoint is the proof, as for a delete
    renewed = send(worker, "POST", {**phone.subscription_json(RENEWED), "replaces": FCM})
    assert renewed.status_code == 200
    assert renewed.json()["reminders"]["checkin"] == "07:30"
    stored = Subscription.objects.get()
    assert (stored.pk, stored.endpoint, stored.p256dh) == (old.pk, RENEWED, phone.p256dh)
    assert (stored.user, stored.language, stored.time_zone) == (patient.user, "es", "Europe/Madrid")
    assert stored.reminders.count() == 1


@pytest.mark.django_db
def test_renewing_an_unknown_subscription_is_404_and_stores_nothing(client, keyed):
    response = send(client, "POST", subscription(RENEWED, replaces=FCM))
    assert response.status_code == 404
    assert not Subscription.objects.exists()


@pytest.mark.django_db
def test_a_renewal_after_a_page_stored_the_new_subscription_leaves_one(client, keyed):
    send(client, "POST", subscription(reminders={"checkin": "21:00"}))
    send(client, "POST", subscription(RENEWED))  # a page saw the new one first
    assert send(client, "POST", subscription(RENEWED, replaces=FCM)).status_code == 200
    stored = Subscription.objects.get()
    assert (stored.endpoint, str(stored.checkin_time)) == (RENEWED, "21:00:00")


@pytest.mark.django_db
@pytest.mark.parametrize("replaces", [None, 7, "", "x" * 1025])
def test_a_renewal_naming_no_real_endpoint_is_a_400(client, keyed, replaces):
    send(client, "POST", subscription())
    response = send(client, "POST", subscription(RENEWED, replaces=replaces))
    assert response.status_code == 400
    assert "replaces" in json.dumps(response.json())
    assert Subscription.objects.get().endpoint == FCM
