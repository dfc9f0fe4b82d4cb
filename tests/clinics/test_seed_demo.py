"""seed_demo with two-factor sign-in on: the demo staff get a known
authenticator key and recovery codes, printed after the login lines."""

import re
from base64 import b32decode

import pytest
from django.core.management import call_command
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp

pytestmark = pytest.mark.django_db


def test_demo_staff_complete_the_second_step_with_what_seed_demo_prints(settings, capsys):
    settings.DEBUG = True
    settings.STAFF_MFA = True
    call_command("seed_demo")
    out = capsys.readouterr().out
    logins = {
        role: (username, password) for role, username, password in re.findall(r"^login (\S+) (\S+) (\S+)$", out, re.M)
    }
    assert list(logins) == ["clinic-admin", "clinician", "patient"]
    for role in ("clinic-admin", "clinician"):
        username, password = logins[role]
        key = re.search(rf"^totp {username} ([A-Z2-7]+)$", out, re.M).group(1)
        codes = re.search(rf"^recovery-codes {username} ((?:[a-z2-7]+ ?){{10}})$", out, re.M).group(1).split()
        code = f"{totp(b32decode(key + '=' * (-len(key) % 8))):06d}"
        for second_step in (code, codes[0]):
            client = Client()
            client.post(reverse("accounts:login"), {"username": username, "password": password})
            assert client.post(reverse("accounts:two_factor"), {"code": second_step})["Location"] == "/clinic/"
            assert client.get("/clinic/").status_code == 200
            client.post(reverse("accounts:logout"))
            call_command("seed_demo")  # puts the printed codes back (each works once)
            capsys.readouterr()
    assert not re.search(rf"^totp {logins['patient'][0]}", out, re.M)
