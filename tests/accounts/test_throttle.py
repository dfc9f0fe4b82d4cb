"""Login throttling: failures are counted in fixed 15-minute windows per
username and address, per address across distinct unknown usernames, and
per username across addresses (with a higher limit); IPv6 addresses per
/64. A failure during a lockout does not restart it, and no lockout
outlasts its window. A device that signed in before (its signed device
cookie) is never refused the right password."""

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
    """timezone.now(), which the throttle reads, under the test's control."""

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


def test_signing_in_clears_that_persons_typos_but_not_the_usernames_count(clock):
    make_user(username="typist")
    for _ in range(3):
        for _ in range(4):
            login("typist", "wrong-password")
        assert login("typist").status_code == 302
    # 12 failures so far: 18 more from elsewhere reach the username's 30.
    for n in range(18):
        login("typist", "wrong-password", ip=f"203.0.113.{n + 1}")
    assert login("typist", ip="192.0.2.44").status_code == 429


def test_a_correct_password_from_a_device_that_signed_in_before_is_never_refused(clock):
    make_staff(username="dr-target")
    own_computer = Client()
    assert login("dr-target", client=own_computer).status_code == 302
    cookie = own_computer.cookies["crest_device"]
    assert cookie["httponly"] and cookie["samesite"] == "Lax" and int(cookie["max-age"]) >= 60 * 60 * 24 * 300
    own_computer.post(reverse("accounts:logout"))
    clock.advance(hours=1)
    # Someone keeps the username's count and the clinic address's count full.
    for n in range(30):
        login("dr-target", f"guess-{n}", ip=f"203.0.113.{n + 1}")
    for n in range(20):
        login(f"nobody-{n}", "guess", ip=HOME)
    assert login("dr-target", ip=HOME).status_code == 429  # a device without the cookie
    assert login("dr-target", client=own_computer).status_code == 302
    # A forged or altered cookie is no cookie.
    forged = Client()
    forged.cookies["crest_device"] = cookie.value[:-2] + "xx"
    assert login("dr-target", client=forged).status_code == 429


def test_a_device_that_keeps_guessing_loses_its_pass_for_the_window(clock):
    make_user(username="shared-phone")
    phone = Client()
    assert login("shared-phone", client=phone, ip="203.0.113.200").status_code == 302
    phone.post(reverse("accounts:logout"))
    for n in range(30):
        login("shared-phone", f"guess-{n}", ip=f"203.0.113.{n + 1}")
    for _ in range(5):
        assert login("shared-phone", "wrong-again", client=phone, ip="203.0.113.200").status_code in (200, 429)
    assert login("shared-phone", client=phone, ip="203.0.113.200").status_code == 429


def test_typos_of_real_usernames_on_a_clinics_wifi_do_not_block_everyone_behind_it(clock):
    for n in range(5):
        make_user(username=f"nurse-{n}")
        for _ in range(4):
            login(f"nurse-{n}", "typo")  # 20 failures from the clinic's one address
    make_user(username="bystander")
    assert login("bystander").status_code == 302


def test_one_unknown_username_tried_again_and_again_counts_once_for_the_address(clock):
    for n in range(4):
        for _ in range(5):
            login(f"no-such-person-{n}", "guess")  # 20 failures, 4 usernames
    make_user(username="bystander")
    assert login("bystander").status_code == 302


def test_an_ipv6_64_counts_as_one_address(clock):
    make_user(username="target")
    for n in range(5):
        login("target", "wrong-password", ip=f"2001:db8:1:2::{n + 1:x}")
    assert login("target", ip="2001:db8:1:2:ffff:ffff:ffff:9").status_code == 429
    assert login("target", ip="2001:db8:1:3::1").status_code == 302
    for n in range(20):
        login(f"sprayed-{n}", "guess", ip=f"2001:db8:9:9:{n:x}::1")
    make_user(username="bystander")
    assert login("bystander", ip="2001:db8:9:9::77").status_code == 429


def test_the_django_admin_sign_in_is_throttled_too(clock):
    make_user(username="root", is_staff=True, is_superuser=True)
    for _ in range(5):
        Client().post(reverse("admin:login"), {"username": "root", "password": "wrong"}, REMOTE_ADDR=HOME)
    client = Client()
    client.post(reverse("admin:login"), {"username": "root", "password": PASSWORD}, REMOTE_ADDR=HOME)
    assert "_auth_user_id" not in client.session


def test_guessing_the_old_password_on_the_password_page_is_throttled(clock):
    """Someone with a signed-in session (a phone left open) must not get
    unlimited guesses at the password through the change form."""
    user = make_user(username="left-open")
    session = Client()
    session.force_login(user)
    new = {"new_password1": "quiet-river-morning-lamp", "new_password2": "quiet-river-morning-lamp"}
    page = reverse("accounts:password_change")
    for n in range(5):
        wrong = session.post(page, {"old_password": f"guess-{n}", **new}, REMOTE_ADDR=HOME)
        assert wrong.status_code == 200
    refused = session.post(page, {"old_password": PASSWORD, **new}, REMOTE_ADDR=HOME)
    assert refused.status_code == 200 and "Too many" in refused.content.decode()
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    # The same count as the sign-in page's.
    assert login("left-open").status_code == 429
