"""The service worker never keeps a private page: a clinician (password and
second factor) and a patient each open their signed-in pages online, with
the worker controlling the page; offline, none of them is in Cache Storage
and each address answers with the offline page, not the private one.

The worker has two rules for this (offline/templates/offline/serviceworker.js):
the signed-in areas by path (PRIVATE_AREAS), and any answer marked
`no-store` or `private`, which is what keeps a clinic's own lesson, at a
public lesson address, off the phone. Turning either rule off fails this
test."""

import json
import secrets

import pytest

from devtools.browser import wait_for_service_worker

from .test_clinic_story import DESKTOP, connect_authenticator, set_password_by_link, sign_in

pytestmark = pytest.mark.browser

SETUP = """
import json
from accounts.models import User
from clinics.models import Clinic, Invite, Membership, Patient
from lessons.models import Lesson
from datetime import timedelta
from django.utils import timezone
clinic = Clinic.objects.create(slug='__SUFFIX__', name='Clinic __SUFFIX__')
staff = User.objects.create_user('staff-__SUFFIX__')  # no password yet: a one-time link sets it
Membership.objects.create(user=staff, clinic=clinic, role='clinician')
user = User.objects.create_user('patient-__SUFFIX__', password='__PASSWORD__')
patient = Patient.objects.create(user=user, clinic=clinic, label='LABEL-__SUFFIX__')
lesson = Lesson.objects.create(
    slug='our-groups-__SUFFIX__', title='GROUPS-__SUFFIX__', body='ROOM-__SUFFIX__', clinic=clinic
)
invite = Invite.objects.create(clinic=clinic, label='INVITE-__SUFFIX__', expires_at=timezone.now() + timedelta(days=1))
from accounts.services import set_password_path
staff_link = set_password_path(user=staff)
made = {'patient': patient.pk, 'lesson': lesson.get_absolute_url(), 'invite': invite.code}
print(json.dumps({**made, 'staff_link': staff_link}))
"""

# Every response the worker keeps, in every cache, with its text.
KEPT = """async () => {
  const kept = [];
  for (const name of await caches.keys()) {
    const cache = await caches.open(name);
    for (const request of await cache.keys()) {
      const response = await cache.match(request);
      kept.push({ path: new URL(request.url).pathname, text: await response.text() });
    }
  }
  return kept;
}"""

PRIVATE_PREFIXES = ("/clinic/", "/accounts/", "/api/", "/join/", "/me/", "/admin/")


@pytest.fixture
def people(server):
    suffix = secrets.token_hex(3)
    # A word after the random part: "private-" and sixteen digits (it happens)
    # is a common password with digits added, and rightly refused.
    password = f"private-{secrets.token_hex(8)}-lantern"
    script = SETUP.replace("__SUFFIX__", suffix).replace("__PASSWORD__", password)
    made = json.loads(server.manage("shell", "-v", "0", "-c", script).strip())
    return {"suffix": suffix, "password": password, **made}


def open_online_then_offline(context, page, paths: list[str], secrets_: list[str]) -> None:
    """Open each page online through the worker, then prove offline that
    none was kept."""
    assert page.evaluate("navigator.serviceWorker.controller !== null")
    seen = ""
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.ok, path
        assert response.from_service_worker, path  # through the worker's fetch handler
        seen += page.content()
    # The pages were the private ones: every secret was on one of them.
    assert [secret for secret in secrets_ if secret not in seen] == []

    context.set_offline(True)
    kept = page.evaluate(KEPT)
    kept_paths = [entry["path"] for entry in kept]
    assert "/offline/" in kept_paths  # the walk reads the worker's caches
    assert [path for path in paths if path in kept_paths] == []
    assert [path for path in kept_paths if path.removeprefix("/es").startswith(PRIVATE_PREFIXES)] == []
    for entry in kept:
        for secret in secrets_:
            assert secret not in entry["text"], (entry["path"], secret)
    for path in paths:
        response = page.goto(path)
        assert response is not None and response.from_service_worker, path
        heading = page.locator("h1").first.inner_text()
        assert heading == ("Sin conexión" if path.startswith("/es/") else "No connection"), path
        body = page.content()
        for secret in secrets_:
            assert secret not in body, (path, secret)
    context.set_offline(False)


def test_a_clinicians_pages_are_never_kept_on_the_device(browser, server, people):
    context = browser.new_context(base_url=server.url, **DESKTOP)
    try:
        page = context.new_page()
        page.goto("/")
        wait_for_service_worker(page)
        # A staff member connects an authenticator only through a one-time link.
        set_password_by_link(page, people["staff_link"], people["password"])
        connect_authenticator(page)
        page.wait_for_url(f"{server.url}/clinic/")
        paths = [
            "/clinic/",
            f"/clinic/patients/{people['patient']}/",
            "/clinic/invites/",
            "/es/clinic/",
            "/accounts/password/",
            "/api/v1/me/assignments/",
            f"/join/{people['invite']}/",
            people["lesson"],  # a clinic's own lesson, at a public address
        ]
        suffix = people["suffix"]
        open_online_then_offline(
            context, page, paths, [f"LABEL-{suffix}", f"staff-{suffix}", f"GROUPS-{suffix}", people["invite"]]
        )
    finally:
        context.close()


def test_a_patients_pages_are_never_kept_on_the_device(context, page, people):
    page.goto("/")
    wait_for_service_worker(page)
    sign_in(page, f"patient-{people['suffix']}", people["password"])
    paths = [
        "/me/",
        "/es/me/",
        "/accounts/password/",
        "/api/v1/me/assignments/",
        f"/join/{people['invite']}/",
        people["lesson"],  # a clinic's own lesson, at a public address
    ]
    suffix = people["suffix"]
    open_online_then_offline(
        context, page, paths, [f"patient-{suffix}", f"GROUPS-{suffix}", f"ROOM-{suffix}", f"Clinic {suffix}"]
    )
