"""`manage.py create_clinic`: the operator's way to start a clinic in
production, with its first clinic admin and a one-time set-password link."""

import os
import re
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.test import Client
from django.urls import reverse

from clinics.models import AuditEvent, Clinic, Membership
from tests.factories import make_clinic, make_user

User = get_user_model()
ROOT = Path(__file__).resolve().parents[2]
LINK = re.compile(r"^(https?://[^/\s]+)?(/accounts/set-password/[^/\s]+/[^/\s]+/)$", re.MULTILINE)

pytestmark = pytest.mark.django_db


def create_clinic(*args: str) -> str:
    out = StringIO()
    call_command("create_clinic", *args, stdout=out)
    return out.getvalue()


def test_creates_the_clinic_and_its_admin_with_no_password_and_prints_a_path_under_accounts(settings):
    settings.SITE_URL = ""
    output = create_clinic("Riverside  Clinic", "--admin", "alex.admin", "--time-zone", "Europe/London")

    clinic = Clinic.objects.get(name="Riverside Clinic")
    assert clinic.time_zone == "Europe/London" and clinic.slug == "riverside-clinic"
    admin = User.objects.get(username="alex.admin")
    assert admin.membership.clinic == clinic and admin.membership.role == Membership.Role.ADMIN
    assert not admin.has_usable_password()
    host, path = LINK.search(output).groups()
    assert host is None and path.startswith("/accounts/")
    assert AuditEvent.objects.filter(clinic=clinic, action=AuditEvent.Action.STAFF_ADDED).count() == 1


def test_the_printed_link_lets_the_admin_set_a_password_once():
    output = create_clinic("Hillside Clinic", "--admin", "hill-admin")
    path = LINK.search(output)[2]
    newcomer = Client()
    form_url = newcomer.get(path)["Location"]  # Django swaps the token for a session marker
    response = newcomer.post(form_url, {"new_password1": "hillside-pass-2026!", "new_password2": "hillside-pass-2026!"})
    assert response["Location"] == reverse("accounts:set_password_done")
    admin = User.objects.get(username="hill-admin")
    assert admin.check_password("hillside-pass-2026!")
    assert newcomer.session["_auth_user_id"] == str(admin.pk)  # signed in
    assert "no longer works" in Client().get(path, follow=True).content.decode()


def test_with_django_site_url_the_link_is_a_full_url(settings):
    settings.SITE_URL = "https://crest.example.org"
    output = create_clinic("Lakeside Clinic", "--admin", "lake-admin")
    host, path = LINK.search(output).groups()
    assert host == "https://crest.example.org" and path.startswith("/accounts/set-password/")


def test_default_time_zone_is_utc_and_a_slug_clash_gets_a_suffix():
    make_clinic(name="Older", slug="new-dawn")
    create_clinic("New Dawn", "--admin", "dawn-admin")
    clinic = Clinic.objects.get(name="New Dawn")
    assert clinic.time_zone == "UTC" and clinic.slug == "new-dawn-2"


@pytest.mark.parametrize(
    "args, message",
    [
        (["riverside clinic", "--admin", "someone-new"], "A clinic named “Riverside Clinic” already exists."),
        (["Brand New Clinic", "--admin", "TAKEN-name"], "The username “TAKEN-name” is taken"),
        (["Brand New Clinic", "--admin", "x", "--time-zone", "Mars/Olympus"], "Unknown time zone “Mars/Olympus”"),
        (["Brand New Clinic", "--admin", "x", "--time-zone", "europe/london"], "Did you mean Europe/London?"),
        (["Brand New Clinic", "--admin", "no spaces allowed"], "Username “no spaces allowed”:"),
        (["   ", "--admin", "x"], "The clinic needs a name."),
    ],
)
def test_refuses_with_one_clear_line_and_writes_nothing(args, message):
    make_clinic(name="Riverside Clinic")
    make_user(username="taken-name")
    clinics, users = Clinic.objects.count(), User.objects.count()
    with pytest.raises(CommandError) as error:
        create_clinic(*args)
    assert message in str(error.value) and "\n" not in str(error.value)
    assert (Clinic.objects.count(), User.objects.count()) == (clinics, users)


def test_runs_with_debug_off_and_fails_with_a_non_zero_exit(tmp_path):
    """As an operator runs it on a production server: its own process, debug
    off, a real database file."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    env.update(
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY="create-clinic-test-only",
        DATABASE_URL=f"sqlite:///{tmp_path / 'prod.sqlite3'}",
        DJANGO_SITE_URL="https://crest.example.org/",
    )

    def manage(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
        )

    assert manage("migrate", "--noinput", "-v", "0").returncode == 0
    made = manage("create_clinic", "Harbour Clinic", "--admin", "harbour-admin", "--time-zone", "America/Chicago")
    assert made.returncode == 0, made.stderr
    assert LINK.search(made.stdout)[1] == "https://crest.example.org"

    again = manage("create_clinic", "Harbour Clinic", "--admin", "other-admin")
    assert again.returncode != 0
    assert again.stderr.strip() == "CommandError: A clinic named “Harbour Clinic” already exists."


def run_bare(*args: str) -> subprocess.CompletedProcess:
    """As on a fresh clone: no DJANGO_* variable at all (no key, debug off)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("args", [["create_clinic", "--help"], ["help", "create_clinic"], ["create_clinic", "-h"]])
def test_help_works_with_nothing_set(args):
    result = run_bare(*args)
    assert result.returncode == 0, result.stderr
    assert "--admin USERNAME" in result.stdout and "--time-zone" in result.stdout


def test_a_real_run_with_nothing_set_names_what_to_set():
    result = run_bare("create_clinic", "Harbour Clinic", "--admin", "harbour-admin")
    assert result.returncode != 0
    [line] = result.stderr.strip().splitlines()
    assert "DJANGO_SECRET_KEY" in line and "DJANGO_DEBUG=1" in line and "server's secret key" in line


@pytest.mark.parametrize(
    "seconds, said", [(60 * 60 * 24, "for 1 day"), (3 * 60 * 60 * 24, "for 3 days"), (12 * 60 * 60, "for 12 hours")]
)
def test_the_link_lifetime_it_prints_is_the_one_django_checks(settings, seconds, said):
    settings.PASSWORD_RESET_TIMEOUT = seconds
    assert said in create_clinic(f"Clinic {seconds}", "--admin", f"admin-{seconds}")


def test_the_staff_page_and_an_expired_link_say_the_same_lifetime(client, settings):
    """They said "within a day" whatever the setting."""
    settings.PASSWORD_RESET_TIMEOUT = 3 * 60 * 60 * 24
    create_clinic("Lifetime Clinic", "--admin", "lifetime-new")
    new_admin = User.objects.get(username="lifetime-new")
    client.force_login(new_admin)
    page = client.get(reverse("clinics:staff")).content.decode()
    assert "it works once, within 3 days" in page
    expired = Client().get("/accounts/set-password/MQ/not-a-token/", follow=True).content.decode()
    assert "works once, within 3 days" in expired
