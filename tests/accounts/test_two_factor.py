"""Two-factor sign-in for staff: a password, then a code from an
authenticator app (TOTP) or one of ten single-use recovery codes, before
any clinic page, the Django admin or their account opens.

These tests sign in through the pages with django.test.Client (the
`client` fixture's force_login() would complete the second step for them)."""

import re
import subprocess
import sys
from base64 import b32decode
from binascii import hexlify
from importlib import import_module
from io import StringIO

import pytest
from django.apps import apps
from django.core.management import call_command
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django_otp.oath import totp
from django_otp.plugins.otp_static.models import StaticDevice, StaticToken
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import at_rest
from accounts.mfa import recovery_codes_replace
from accounts.services import set_password_path
from tests.factories import PASSWORD, make_admin, make_authenticator, make_patient, make_staff, make_user, totp_code
from tests.project.test_settings import ROOT, clean_env

pytestmark = pytest.mark.django_db


def password_only(user) -> Client:
    client = Client()
    response = client.post(reverse("accounts:login"), {"username": user.username, "password": PASSWORD})
    assert response.status_code == 302
    return client


def staff_paths() -> list[str]:
    """Every /clinic/ URL (ids filled in with 1), plus the admin and the
    staff member's own account pages."""
    paths = ["/admin/", "/admin/clinics/patient/", "/me/", "/me/export.json", reverse("accounts:password_change")]

    def walk(patterns, prefix: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                walk(pattern.url_patterns, route)
            elif isinstance(pattern, URLPattern) and route.startswith("clinic"):
                paths.append("/" + re.sub(r"<int:\w+>", "1", route))

    walk(get_resolver().url_patterns, "")
    return paths


@pytest.mark.parametrize("make", [make_staff, make_admin, lambda: make_user(is_staff=True, is_superuser=True)],
                         ids=["clinician", "clinic-admin", "superuser"])
def test_staff_with_only_a_password_get_no_clinic_page_admin_or_account_page(make):
    user = make()
    make_authenticator(user=user)
    client = password_only(user)
    paths = staff_paths()
    assert "/clinic/" in paths and "/clinic/export.csv" in paths
    for path in paths:
        for method in ("get", "post"):
            response = getattr(client, method)(path)
            assert response.status_code == 302, (method, path)
            assert response["Location"].startswith(reverse("accounts:two_factor") + "?next="), (method, path)


def test_the_code_from_the_authenticator_app_completes_the_sign_in_and_works_once():
    staff = make_staff()
    device = make_authenticator(user=staff)
    client = password_only(staff)
    page = client.get(reverse("accounts:two_factor") + "?next=/clinic/invites/")
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    code = totp_code(device)
    response = client.post(reverse("accounts:two_factor"), {"code": code, "next": "/clinic/invites/"})
    assert response["Location"] == "/clinic/invites/"
    assert client.get("/clinic/").status_code == 200
    # The same code cannot sign anyone in again.
    again = password_only(staff)
    assert again.post(reverse("accounts:two_factor"), {"code": code}).status_code == 200
    assert again.get("/clinic/").status_code == 302


def test_a_wrong_code_is_refused_with_a_plain_message():
    staff = make_staff()
    make_authenticator(user=staff)
    client = password_only(staff)
    response = client.post(reverse("accounts:two_factor"), {"code": "000000"})
    assert response.status_code == 200
    assert "did not work" in response.content.decode()
    assert client.get("/clinic/").status_code == 302



def test_wrong_codes_slow_down_but_never_lock_anyone_out_for_more_than_ten_minutes(clock):
    staff = make_staff()
    device = make_authenticator(user=staff)
    client = password_only(staff)
    for _ in range(16):
        clock.advance(minutes=10, seconds=1)
        response = client.post(reverse("accounts:two_factor"), {"code": "000000"})
        assert "did not work" in response.content.decode()
    too_soon = client.post(reverse("accounts:two_factor"), {"code": totp_code(device)})
    assert "Too many wrong codes" in too_soon.content.decode()
    clock.advance(minutes=10, seconds=1)
    assert client.post(reverse("accounts:two_factor"), {"code": totp_code(device)})["Location"] == "/clinic/"


def test_the_person_is_told_when_wrong_codes_were_tried_after_their_password(clock):
    staff = make_staff()
    device = make_authenticator(user=staff)
    someone_else = password_only(staff)
    for _ in range(3):
        clock.advance(minutes=1)
        someone_else.post(reverse("accounts:two_factor"), {"code": "000000"})
    clock.advance(minutes=10)
    own = password_only(staff)
    done = own.post(reverse("accounts:two_factor"), {"code": totp_code(device)}, follow=True)
    text = done.content.decode()
    assert "3 wrong codes were entered after your password" in text.replace("&#x27;", "")
    # Told once.
    own.post(reverse("accounts:logout"))
    clock.advance(minutes=1)
    again = password_only(staff).post(reverse("accounts:two_factor"), {"code": "000000"})
    assert "wrong codes were entered after your password" not in again.content.decode()


def test_a_recovery_code_signs_in_once():
    staff = make_staff()
    make_authenticator(user=staff)
    codes = recovery_codes_replace(user=staff)
    assert len(codes) == len(set(codes)) == 10
    client = password_only(staff)
    assert client.post(reverse("accounts:two_factor"), {"code": codes[0].upper()})["Location"] == "/clinic/"
    assert client.get("/clinic/").status_code == 200
    again = password_only(staff)
    assert again.post(reverse("accounts:two_factor"), {"code": codes[0]}).status_code == 200
    assert StaticToken.objects.filter(device__user=staff).count() == 9


def test_the_next_page_must_be_on_this_site():
    staff = make_staff()
    device = make_authenticator(user=staff)
    client = password_only(staff)
    response = client.post(reverse("accounts:two_factor"), {"code": totp_code(device), "next": "https://evil.example/"})
    assert response["Location"] == "/clinic/"


def key_from_page(html: str) -> str:
    typed = re.search(r"<code class=\"totp-key\" data-totp-key>([A-Z2-7 ]+)</code>", html).group(1).replace(" ", "")
    return hexlify(b32decode(typed + "=" * (-len(typed) % 8))).decode()


def signed_in_by_set_password_link(staff) -> Client:
    client = Client()
    form_url = client.get(set_password_path(user=staff))["Location"]
    new = "quiet-river-morning-lamp"
    assert client.post(form_url, {"new_password1": new, "new_password2": new}).status_code == 302
    return client


def test_first_sign_in_connects_an_app_by_qr_code_and_gives_ten_recovery_codes():
    staff = make_staff(username="dr-new", password=None)
    client = signed_in_by_set_password_link(staff)
    to_step = client.get("/clinic/patients/")
    setup_url = client.get(to_step["Location"])["Location"]
    assert setup_url.startswith(reverse("accounts:two_factor_setup"))
    page = client.get(setup_url)
    html = page.content.decode()
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    # The QR code is drawn on the server, inline: no request to anyone else.
    svg = re.search(r"<svg[^>]*>.*?</svg>", html, re.S).group(0)
    assert 'role="img"' in svg and "<path" in svg and "style=" not in svg
    assert "<script" not in html.split("<main", 1)[1].split("</main>", 1)[0]
    assert not TOTPDevice.objects.filter(user=staff).exists()

    key = key_from_page(html)
    wrong = client.post(reverse("accounts:two_factor_setup"), {"code": "123456"})
    assert wrong.status_code == 200 and not TOTPDevice.objects.filter(user=staff).exists()
    code = f"{totp(bytes.fromhex(key)):06d}"
    done = client.post(reverse("accounts:two_factor_setup"), {"code": code, "next": "/clinic/"})
    assert done.status_code == 200 and "no-store" in done["Cache-Control"]
    shown = re.findall(r"<li><code>([a-z2-7]+)</code></li>", done.content.decode())
    assert len(shown) == 10
    stored = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert stored == {at_rest.code_hash(code) for code in shown}
    assert at_rest.key_decrypt(TOTPDevice.objects.get(user=staff, confirmed=True).key).hex() == key
    assert client.get("/clinic/").status_code == 200


def test_someone_with_only_the_password_cannot_connect_another_app():
    staff = make_staff()
    make_authenticator(user=staff)
    client = password_only(staff)
    response = client.get(reverse("accounts:two_factor_setup"))
    assert response["Location"].startswith(reverse("accounts:two_factor"))
    assert TOTPDevice.objects.filter(user=staff).count() == 1


def test_recovery_codes_can_be_renewed_once_fully_signed_in(client):
    staff = make_staff()
    old = recovery_codes_replace(user=staff)
    client.force_login(staff)  # tests.factories.Client: both steps done
    assert "10 recovery codes left" in client.get(reverse("accounts:me")).content.decode()
    response = client.post(reverse("accounts:two_factor_recovery_codes"))
    new = re.findall(r"<li><code>([a-z2-7]+)</code></li>", response.content.decode())
    assert len(new) == 10 and not set(new) & set(old)
    assert StaticDevice.objects.filter(user=staff).count() == 1
    # Not with a password alone.
    half = password_only(staff)
    half.post(reverse("accounts:two_factor_recovery_codes"))
    stored = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert stored == {at_rest.code_hash(code) for code in new}


def test_patients_never_get_a_second_step():
    patient = make_patient()
    client = Client()
    client.post(reverse("accounts:login"), {"username": patient.user.username, "password": PASSWORD})
    assert client.get(reverse("accounts:me")).status_code == 200
    assert client.get(reverse("accounts:two_factor")).status_code == 302


def test_staff_mfa_off_lets_a_password_alone_open_the_clinic(settings):
    settings.STAFF_MFA = False
    client = password_only(make_staff())
    assert client.get("/clinic/").status_code == 200


@pytest.mark.parametrize(("value", "expected"), [(None, "True"), ("off", "False"), ("on", "True")])
def test_staff_mfa_is_on_unless_django_staff_mfa_is_off(value, expected):
    env = clean_env(DJANGO_DEBUG="1")
    if value is not None:
        env["DJANGO_STAFF_MFA"] = value
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0",
         "-c", "from django.conf import settings; print(settings.STAFF_MFA)"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=60,
    )
    assert result.stdout.strip() == expected, result.stderr


def test_the_operator_resets_a_superusers_sign_in_with_a_printed_link():
    root = make_user(username="root", is_staff=True, is_superuser=True)
    make_authenticator(user=root)
    out = StringIO()
    call_command("sign_in_link", "root", stdout=out)
    link = out.getvalue().strip().splitlines()[-1]
    root.refresh_from_db()
    assert not root.has_usable_password() and not TOTPDevice.objects.filter(user=root).exists()
    client = Client()
    form_url = client.get(link)["Location"]
    client.post(form_url, {"new_password1": "quiet-river-morning-lamp", "new_password2": "quiet-river-morning-lamp"})
    assert "data-totp-key" in client.get(reverse("accounts:two_factor_setup")).content.decode()


# --- Second-factor secrets at rest ------------------------------------------


def test_recovery_codes_are_kept_only_as_hashes_and_still_work_once():
    staff = make_staff()
    make_authenticator(user=staff)
    codes = recovery_codes_replace(user=staff)
    stored = set(StaticToken.objects.filter(device__user=staff).values_list("token", flat=True))
    assert len(stored) == 10 and not stored & set(codes)
    assert not any(code in token for code in codes for token in stored)
    client = password_only(staff)
    assert client.post(reverse("accounts:two_factor"), {"code": codes[3]})["Location"] == "/clinic/"
    again = password_only(staff)
    assert again.post(reverse("accounts:two_factor"), {"code": codes[3]}).status_code == 200


def test_an_authenticator_secret_is_kept_encrypted_and_still_checks_codes():
    staff = make_staff(username="dr-secret", password=None)
    client = signed_in_by_set_password_link(staff)
    setup = client.get(reverse("accounts:two_factor_setup")).content.decode()
    key = key_from_page(setup)
    client.post(reverse("accounts:two_factor_setup"), {"code": f"{totp(bytes.fromhex(key)):06d}"})
    stored = TOTPDevice.objects.get(user=staff).key
    assert key not in stored and key.upper() not in stored and stored.startswith("enc1:")
    client.post(reverse("accounts:logout"))
    again = Client()
    again.post(reverse("accounts:login"), {"username": "dr-secret", "password": "quiet-river-morning-lamp"})
    # A fresh code (the enrolment's own cannot be used twice).
    with_code = None
    for step in (1, 2):
        code = f"{totp(bytes.fromhex(key), t0=-30 * step):06d}"
        response = again.post(reverse("accounts:two_factor"), {"code": code})
        if response.status_code == 302:
            with_code = response
            break
    assert with_code is not None and with_code["Location"] == "/clinic/"


def test_the_migration_encrypts_plain_secrets_and_hashes_plain_recovery_codes():
    staff = make_staff()
    plain_key = "3132333435363738393031323334353637383930"
    device = TOTPDevice.objects.create(user=staff, name="Authenticator app", confirmed=True, key=plain_key)
    static = StaticDevice.objects.create(user=staff, name="Recovery codes", confirmed=True)
    StaticToken.objects.create(device=static, token="abcd2345")
    migration = import_module("accounts.migrations.0007_second_factor_secrets_at_rest")
    migration.protect_secrets(apps, None)
    device.refresh_from_db()
    assert device.key.startswith("enc1:") and plain_key not in device.key
    assert StaticToken.objects.get(device=static).token != "abcd2345"
    client = password_only(staff)
    assert client.post(reverse("accounts:two_factor"), {"code": "abcd2345"})["Location"] == "/clinic/"
