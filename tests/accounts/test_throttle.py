"""Login throttling: failures are counted in fixed 15-minute windows per
username and address, per address across usernames, and per username
across addresses (with a higher limit). A failure during a lockout does
not restart it, and no lockout outlasts its window."""

from datetime import UTC, datetime, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import PASSWORD, make_staff, make_user

pytestmark = pytest.mark.django_db

HOME = "198.51.100.1"


def login(username: str, password: str = PASSWORD, ip: str = HOME, client: Client | None = None):
    return (client or Client()).post(
        reverse("accounts:login"), {"username": username, "password": password}, REMOTE_ADDR=ip
    )


@pytest.fixture
def clock(monkeypatch):
    """timezone.now(), which the throttle (and django-axes) read, under the test's control."""

    class Clock:
        now = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)

        def advance(self, **delta) -> None:
            self.now += timedelta(**delta)

    clock = Clock()
    monkeypatch.setattr(timezone, "now", lambda: clock.now)
    return clock


def test_five_wrong_passwords_lock_one_username_from_one_address_with_a_clear_page(clock):
    make_user(username="target")
    for _ in range(4):
        assert login("target", "wrong-password").status_code == 200  # the form again, with an error
    locked = login("target", "wrong-password")
    assert locked.status_code == 429
    assert int(locked["Retry-After"]) <= 15 * 60
    body = locked.content.decode()
    assert "Too many sign-in tries" in body and "15 minutes" in body
    # Even the right password is refused while locked out.
    client = Client()
    assert login("target", client=client).status_code == 429
    assert "_auth_user_id" not in client.session
    # From another address (a patient at home, not the clinic's Wi-Fi) it works.
    assert login("target", ip="203.0.113.50").status_code == 302


def test_a_failure_during_a_lockout_does_not_restart_it(clock):
    make_user(username="target")
    for _ in range(5):
        login("target", "wrong-password")
    clock.advance(minutes=14)
    assert login("target", "wrong-password").status_code == 429
    assert login("target", "still-wrong").status_code == 429
    clock.advance(minutes=1, seconds=1)
    assert login("target").status_code == 302


def test_spraying_many_usernames_from_one_address_is_stopped(clock):
    for n in range(20):
        login(f"someone-{n}", "Winter2026!")
    make_user(username="real-person")
    assert login("real-person", ip=HOME).status_code == 429
    assert login("real-person", ip="203.0.113.7").status_code == 302  # other addresses are not affected


def test_rotating_addresses_against_one_username_is_slowed(clock):
    make_staff(username="dr-target")
    for n in range(30):
        login("dr-target", "guess-number-{n}", ip=f"203.0.113.{n + 1}")
    assert login("dr-target", ip="192.0.2.200").status_code == 429
    make_user(username="bystander")
    assert login("bystander", ip="192.0.2.200").status_code == 302


def test_nobody_can_lock_a_clinician_out_for_longer_than_one_window(clock):
    make_staff(username="dr-target")
    for n in range(60):  # keeps trying all through the window
        login("dr-target", f"guess-{n}", ip=f"203.0.113.{n + 1}")
        clock.advance(seconds=14)
    clock.now = datetime(2026, 3, 2, 9, 15, 0, tzinfo=UTC)
    assert login("dr-target", ip="192.0.2.10").status_code == 302


def test_a_lockout_for_one_username_does_not_block_another(clock):
    make_user(username="target")
    make_user(username="bystander")
    for _ in range(5):
        login("target", "wrong-password")
    assert login("bystander").status_code == 302


def test_signing_in_clears_that_persons_typos_but_not_the_addresss_count(clock):
    make_user(username="typist")
    for _ in range(3):
        for _ in range(4):
            login("typist", "wrong-password")
        assert login("typist").status_code == 302
    # 12 failures so far from HOME: eight more (on any usernames) stop it.
    for n in range(8):
        login(f"other-{n}", "wrong-password")
    assert login("typist").status_code == 429


def test_the_django_admin_sign_in_is_throttled_too(clock):
    make_user(username="root", is_staff=True, is_superuser=True)
    for _ in range(5):
        Client().post(reverse("admin:login"), {"username": "root", "password": "wrong"}, REMOTE_ADDR=HOME)
    client = Client()
    client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD}, REMOTE_ADDR=HOME)
    assert "_auth_user_id" not in client.session
