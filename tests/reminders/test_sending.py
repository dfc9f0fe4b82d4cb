"""send_reminders against a real (local, TLS) push service: what arrives is
signed with VAPID, encrypted with aes128gcm to the phone's keys, neutral on
a lock screen, has a TTL, and comes once per occurrence however many times
and on however many processes the command runs."""

import json
import os
import subprocess
import sys
import threading
import time as clock
from datetime import UTC, datetime, time, timedelta
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from django.core.management import CommandError, call_command
from django.db import connection

from lessons.models import Lesson
from reminders import push
from reminders.models import Reminder, Subscription
from reminders.services import reminder_payload, reminders_send_due
from tests.factories import course_lesson, make_assignment, make_patient, make_progress

from . import push_service
from .push_service import Phone

ROOT = Path(__file__).resolve().parents[2]
MORNING = datetime(2026, 5, 4, 9, 0, tzinfo=UTC)
# Not on a lock screen, in either language (issue 19).
WORDS = [
    "heroin", "opioid", "opiate", "drug", "craving", "overdose", "naloxone", "addict", "recovery", "relapse",
    "heroína", "opioide", "opiáceo", "droga", "ansias", "antojo", "sobredosis", "naloxona", "adicción",
    "recuperación", "recaída", "consum",
]


def subscribe(service, name: str, **fields) -> tuple[Subscription, Phone]:
    phone = Phone.new()
    keys = phone.subscription_json(service.endpoint(name))["keys"]
    defaults = {"checkin_time": time(9, 0), "time_zone": "UTC"}
    subscription = Subscription.objects.create(
        endpoint=service.endpoint(name), p256dh=keys["p256dh"], auth=keys["auth"], **{**defaults, **fields}
    )
    return subscription, phone


@pytest.mark.django_db
def test_a_check_in_arrives_signed_encrypted_neutral_and_with_a_ttl(pushes, settings):
    subscription, phone = subscribe(pushes, "one")
    report = reminders_send_due(now=MORNING)
    assert report.sent == 1
    [got] = pushes.for_path("one")

    claims, key = got.vapid()  # raises unless the ES256 signature verifies with that key
    assert key == push.vapid_public_key()
    assert claims["aud"] == pushes.url
    assert claims["sub"] == "mailto:ops@crest.example"
    assert 0 < claims["exp"] - clock.time() <= 24 * 3600

    assert got.headers["content-encoding"] == "aes128gcm"
    assert 0 < int(got.headers["ttl"]) <= 3 * 3600
    assert got.headers["urgency"] == "normal"
    assert got.headers["topic"] == "checkin"

    message = json.loads(phone.decrypt(got.body))
    assert message["web_push"] == 8030
    assert message["notification"]["title"] == "Crest"
    assert message["notification"]["body"] == "Time for your check-in."
    assert message["notification"]["navigate"].endswith("/check-in/")
    assert Reminder.objects.get().status == Reminder.Status.SENT


@pytest.mark.django_db
def test_the_text_is_in_the_phones_language(pushes):
    _, phone = subscribe(pushes, "es", language="es")
    reminders_send_due(now=MORNING)
    message = json.loads(phone.decrypt(pushes.for_path("es")[0].body))
    assert message["notification"]["body"] == "Es hora de su registro."
    assert message["notification"]["lang"] == "es"
    assert message["notification"]["navigate"].endswith("/es/check-in/")


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "es"])
@pytest.mark.parametrize("kind", Reminder.Kind.values)
def test_no_lock_screen_text_says_what_crest_is_for(language, kind):
    message = json.loads(reminder_payload(kind, language))
    text = json.dumps(message["notification"], ensure_ascii=False).lower()
    assert [word for word in WORDS if word in text] == []
    lesson_titles = [lesson.text.title.lower() for lesson in Lesson.objects.all()]
    assert not any(title in text for title in lesson_titles)
    assert set(message) == {"web_push", "notification"}
    assert {"title", "navigate"} <= set(message["notification"])


@pytest.mark.django_db
def test_a_lesson_reminder_arrives_the_day_before_and_not_once_it_is_done(pushes):
    patient = make_patient()
    lesson = course_lesson(0)
    make_assignment(patient=patient, lesson=lesson, due_date=datetime(2026, 5, 5).date())
    _, phone = subscribe(pushes, "lesson", user=patient.user, checkin_time=None)
    reminders_send_due(now=datetime(2026, 5, 4, 18, 0, tzinfo=UTC))
    [got] = pushes.for_path("lesson")
    message = json.loads(phone.decrypt(got.body))
    assert message["notification"]["body"] == "A short reading is waiting for you, due tomorrow."
    assert lesson.text.title not in json.dumps(message)
    assert patient.clinic.name not in json.dumps(message)
    assert got.headers["urgency"] == "low"

    # Done before its last-day reminder: that one is never sent.
    Subscription.objects.update(lessons=Subscription.Lessons.TWO)
    make_progress(patient=patient, lesson=lesson)
    reminders_send_due(now=datetime(2026, 5, 5, 18, 0, tzinfo=UTC))
    assert len(pushes.for_path("lesson")) == 1


@pytest.mark.django_db
def test_an_occurrence_no_longer_wanted_when_its_turn_comes_is_skipped(pushes):
    """Planned, then the person changed their check-in time before it went."""
    from reminders.services import reminders_plan

    subscription, _ = subscribe(pushes, "changed")
    reminders_plan(now=MORNING)
    assert Reminder.objects.get().status == Reminder.Status.PENDING
    Subscription.objects.filter(pk=subscription.pk).update(checkin_time=time(10, 0))
    report = reminders_send_due(now=MORNING + timedelta(minutes=1))
    assert report.skipped == 1
    assert pushes.for_path("changed") == []


@pytest.mark.django_db
def test_one_message_per_occurrence_however_often_it_runs(pushes):
    subscribe(pushes, "often")
    for minute in range(0, 180, 5):
        reminders_send_due(now=MORNING + timedelta(minutes=minute))
    assert len(pushes.for_path("often")) == 1


@pytest.mark.django_db
@pytest.mark.parametrize("status", [404, 410])
def test_a_gone_subscription_is_removed(pushes, status):
    subscribe(pushes, f"gone-{status}")
    pushes.answers[f"/push/gone-{status}"] = status
    report = reminders_send_due(now=MORNING)
    assert report.removed == 1
    assert not Subscription.objects.exists()
    assert not Reminder.objects.exists()


@pytest.mark.django_db
def test_a_push_service_error_is_retried_later_while_useful(pushes):
    subscribe(pushes, "busy")
    pushes.answers["/push/busy"] = 503
    first = reminders_send_due(now=MORNING)
    assert first.retrying == 1
    pushes.answers["/push/busy"] = 201
    reminders_send_due(now=MORNING + timedelta(seconds=30))  # not yet: it waits two minutes
    assert len(pushes.for_path("busy")) == 1
    second = reminders_send_due(now=MORNING + timedelta(minutes=3))
    assert second.sent == 1
    assert len(pushes.for_path("busy")) == 2


@pytest.mark.django_db
def test_a_lost_or_refused_message_is_never_logged_with_its_endpoint(pushes, caplog, settings):
    subscribe(pushes, "secret-path-400")
    pushes.answers["/push/secret-path-400"] = 400
    subscribe(pushes, "secret-path-private")
    settings.PUSH_HOSTS = ["*.push.apple.com", "127.0.0.1"]
    Subscription.objects.filter(endpoint__endswith="private").update(
        endpoint="https://localhost.push.apple.com/secret-path-private"
    )
    with caplog.at_level("INFO"):
        report = reminders_send_due(now=MORNING)
    assert report.failed == 2
    assert "secret-path" not in caplog.text
    assert "[redacted]" in caplog.text


def test_a_name_that_resolves_to_a_private_address_is_refused(settings):
    settings.PUSH_HOSTS = ["localhost", "*.push.apple.com"]
    push.endpoint_check("https://localhost/x")  # the name is listed...
    with pytest.raises(push.EndpointRefused, match="not public"):
        push.endpoint_resolve_check("https://localhost/x")  # ...but it is 127.0.0.1, which is not


def test_a_zero_ttl_is_refused(vapid_private):
    with pytest.raises(ValueError, match="TTL"):
        push.push_send(endpoint="https://x", p256dh="", auth="", payload=b"", ttl=0, urgency="low", topic="t",
                       key=push.vapid_key(vapid_private), session=None)


def test_the_private_key_may_be_raw_base64url_or_pem(vapid_private):
    raw = push.vapid_key(vapid_private)
    pem = raw.private_key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    assert push.vapid_public_key(push.vapid_key(pem)) == push.vapid_public_key(raw)
    escaped = pem.replace("\n", "\\n")  # one line, as in an environment file
    assert push.vapid_public_key(push.vapid_key(escaped)) == push.vapid_public_key(raw)


def test_vapid_keys_prints_a_key_the_sender_accepts(capsys):
    call_command("vapid_keys")
    lines = dict(line.split("=", 1) for line in capsys.readouterr().out.splitlines() if "=" in line and line[0] != "#")
    assert len(push.vapid_public_key(push.vapid_key(lines["CREST_VAPID_PRIVATE_KEY"]))) == 87
    assert lines["CREST_VAPID_SUBJECT"].startswith("mailto:")


def test_send_reminders_without_a_key_names_the_variable(settings):
    settings.VAPID_PRIVATE_KEY = ""
    with pytest.raises(CommandError, match="CREST_VAPID_PRIVATE_KEY"):
        call_command("send_reminders")


@pytest.mark.django_db
def test_each_run_builds_claims_for_its_own_push_service(pushes, tmp_path, monkeypatch):
    """pywebpush writes "aud" into the claims it is given: a dict shared
    between sends would sign the second service's message for the first."""
    other, server = push_service.start(tmp_path)
    try:
        subscribe(pushes, "first")
        Subscription.objects.create(endpoint=other.endpoint("second"), p256dh=Phone.new().p256dh,
                                    auth=push_service.b64url(os.urandom(16)), checkin_time=time(9, 0))
        monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(tmp_path / "both.pem"))
        (tmp_path / "both.pem").write_text(pushes.ca_file.read_text() + other.ca_file.read_text())
        reminders_send_due(now=MORNING)
        assert pushes.for_path("first")[0].vapid()[0]["aud"] == pushes.url
        assert other.for_path("second")[0].vapid()[0]["aud"] == other.url
    finally:
        server.shutdown()


# --- Many runs at once -----------------------------------------------------------


def many_subscriptions(service, count: int) -> list[str]:
    names = [f"many-{n}" for n in range(count)]
    for name in names:
        subscribe(service, name)
    return names


@pytest.mark.django_db(transaction=True)
def test_threads_running_at_once_send_each_occurrence_once(pushes):
    names = many_subscriptions(pushes, 12)
    barrier = threading.Barrier(6)
    errors = []

    def run() -> None:
        try:
            barrier.wait()
            reminders_send_due(now=MORNING)
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            connection.close()

    workers = [threading.Thread(target=run) for _ in range(6)]
    for worker in workers:
        worker.start()
    for worker in workers:
        worker.join()
    assert errors == []
    assert sorted(len(pushes.for_path(name)) for name in names) == [1] * 12
    assert Reminder.objects.filter(status=Reminder.Status.SENT).count() == 12


def database_url() -> str:
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    return f"postgres://{db['USER']}@{db['HOST'] or '127.0.0.1'}:{db['PORT'] or 5432}/{db['NAME']}"


@pytest.mark.django_db(transaction=True)
def test_servers_running_the_command_at_once_send_each_occurrence_once(pushes, vapid_private):
    """Four `manage.py send_reminders` processes started together, as four
    servers' timers would, then each run again a minute later."""
    names = many_subscriptions(pushes, 20)
    env = {
        **os.environ, "DJANGO_DEBUG": "1", "DATABASE_URL": database_url(), "CREST_VAPID_PRIVATE_KEY": vapid_private,
        "CREST_VAPID_SUBJECT": "mailto:ops@crest.example", "CREST_PUSH_HOSTS": "127.0.0.1",
        "REQUESTS_CA_BUNDLE": str(pushes.ca_file),
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    for moment in (MORNING, MORNING + timedelta(minutes=1)):
        command = [sys.executable, "manage.py", "send_reminders", "--now", moment.isoformat()]
        runs = [subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
                for _ in range(4)]
        outputs = [run.communicate(timeout=120) for run in runs]
        assert [run.returncode for run in runs] == [0] * 4, outputs
    assert sorted(len(pushes.for_path(name)) for name in names) == [1] * 20
    assert Reminder.objects.filter(status=Reminder.Status.SENT).count() == 20


@pytest.mark.django_db
def test_a_run_out_of_time_hands_back_what_it_did_not_send(pushes, monkeypatch):
    """deploy/systemd/crest-reminders.service stops a run after 50 s. A run
    claimed 200 reminders at once, and one slow push service (up to 15 s a
    send) could keep it past that: what it had claimed stayed "sending" for
    good, never sent. A run now stops sending when its time is up and hands
    the rest back, and the next run sends them."""
    for name in ("a", "b", "c"):
        subscribe(pushes, name)
    sends = []
    real_send = push.push_send

    def counted_send(**kwargs):
        sends.append(kwargs["endpoint"])
        return real_send(**kwargs)

    monkeypatch.setattr(push, "push_send", counted_send)
    report = reminders_send_due(now=MORNING, seconds=0)  # out of time after the first send
    assert report.sent == 1 and len(sends) == 1
    assert sorted(Reminder.objects.values_list("status", flat=True)) == [
        Reminder.Status.PENDING, Reminder.Status.PENDING, Reminder.Status.SENT,
    ]
    assert reminders_send_due(now=MORNING + timedelta(minutes=1)).sent == 2
    assert set(Reminder.objects.values_list("status", flat=True)) == {Reminder.Status.SENT}
