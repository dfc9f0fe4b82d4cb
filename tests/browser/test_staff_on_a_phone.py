"""Clinic staff on a phone (390 × 800), in English and Spanish: the way in
from the public pages, a frame of their own (no patient menu or footer; Help
now and the language switch kept), tables that fit or become cards, every
word in the page's language, and a page that says they are signed out."""

import re
import secrets

import pytest
from playwright.sync_api import expect

from devtools.browser import PHONE

from .conftest import new_page
from .test_clinic_story import code_from_setup_page

pytestmark = pytest.mark.browser

SETUP = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from clinics import services
from clinics.models import Clinic, Membership, Patient
from lessons.models import Lesson
clinic = Clinic.objects.create(
    name='Riverside Community Health Clinic', slug='phone-__S__', time_zone='America/Chicago'
)
admin = User.objects.create_user('phone-admin-__S__')  # a one-time link sets the password
Membership.objects.create(user=admin, clinic=clinic, role='admin')
services.staff_create(clinic=clinic, added_by=admin, username='new-clinician-with-a-long-name-__S__')
patients = []
for n in range(3):
    user = User.objects.create_user(f'phone-patient-{n}-__S__', password='__PASSWORD__')
    patients.append(Patient.objects.create(user=user, clinic=clinic, label=f'PT-__S__-{n}', language='es'))
lessons = list(Lesson.objects.course()[:3])
services.assignments_create(clinician=admin, clinic=clinic, patients=patients, lessons=lessons,
                            due_date=timezone.localdate() + timedelta(days=2), note='Before our next session')
services.assignment_change_due(clinician=admin, assignment=patients[0].assignments.first(),
                               due_date=timezone.localdate() + timedelta(days=5))
list(services.progress_export_csv(clinic=clinic, actor=admin))
invite = services.invite_create(clinic=clinic, created_by=admin, label='PT-__S__-new')
from accounts.services import set_password_path
print(patients[0].pk, invite.pk, set_password_path(user=admin))
"""

# Anything wider than the screen: the page itself, or a table, field or link
# running past its edge, or a table's box that has to scroll.
OVERFLOW = """() => {
  const width = document.documentElement.clientWidth;
  const over = [];
  if (document.documentElement.scrollWidth > width) over.push(`page ${document.documentElement.scrollWidth}`);
  const wide = "main table, main .table-wrap, main input, main textarea, main .join-link, main code";
  for (const el of document.querySelectorAll(wide)) {
    const box = el.getBoundingClientRect();
    if (box.right > width + 0.5) over.push(`${el.tagName}.${el.className} ends at ${box.right}`);
    if (el.classList.contains("table-wrap") && el.scrollWidth > el.clientWidth + 1) {
      over.push(`table box scrolls ${el.scrollWidth}`);
    }
  }
  return over;
}"""


@pytest.fixture
def clinic(server):
    suffix = secrets.token_hex(3)
    password = f"quiet-river-{suffix}-morning-lamp"
    out = server.manage("shell", "-c", SETUP.replace("__S__", suffix).replace("__PASSWORD__", password))
    patient_pk, invite_pk, link = out.strip().splitlines()[-1].split()
    return {"admin": f"phone-admin-{suffix}", "password": password, "patient": patient_pk, "invite": invite_pk,
            "link": link}


def enrol_and_sign_in(page, link: str, password: str) -> None:
    """The first sign-in: the one-time link from the clinic (only a link lets
    staff connect an authenticator app), a password, then the app, in
    whatever language the page is."""
    page.goto(link)
    page.fill("input[name=new_password1]", password)
    page.fill("input[name=new_password2]", password)
    page.locator("main button[type=submit]").click()
    page.wait_for_url(re.compile(r"/accounts/set-password/done/$"))
    page.goto("/clinic/")
    page.wait_for_url(re.compile(r"/accounts/two-factor/setup/"))
    page.fill("input[name=code]", code_from_setup_page(page))
    page.locator("main button[type=submit].button").first.click()
    page.locator("[data-continue]").click()
    page.wait_for_url(re.compile(r"/clinic/$"))


@pytest.mark.parametrize("locale, prefix, words", [
    ("en-US", "", {"entrance": "Staff sign-in", "out": "Sign out",
                   "signed_out": "You are signed out of Crest’s staff pages.",
                   "language": "Reads Crest in: Spanish", "due": ", due "}),
    ("es-US", "/es", {"entrance": "Acceso del personal", "out": "Cerrar sesión",
                      "signed_out": "Cerró sesión en las páginas del personal de Crest.",
                      "language": "Lee Crest en: español", "due": ", fecha límite "}),
])
def test_staff_find_the_way_in_work_on_a_phone_and_are_told_when_they_are_out(
    browser, server, clinic, locale, prefix, words
):
    context = browser.new_context(base_url=server.url, locale=locale, **PHONE)
    try:
        page = new_page(context)
        # The way in: a footer link on the public pages that names no clinic.
        page.goto(f"{prefix}/")
        entrance = page.locator("footer").get_by_role("link", name=words["entrance"])
        entrance.click()
        page.wait_for_url(f"**{prefix}/accounts/login/")
        enrol_and_sign_in(page, clinic["link"], clinic["password"])

        paths = [
            "/clinic/", f"/clinic/patients/{clinic['patient']}/", "/clinic/assign/", "/clinic/invites/",
            f"/clinic/invites/{clinic['invite']}/", "/clinic/audit/", "/clinic/staff/",
        ]
        for path in (prefix + p for p in paths):
            page.goto(path)
            # Their own frame: no patient menu, footer or install offer; Help now, the language and a way out.
            assert page.locator(".top-nav").count() == 0 and page.locator("footer").count() == 0, path
            expect(page.locator("header .help-link")).to_be_visible()
            expect(page.locator(".lang-switch a")).to_be_visible()
            expect(page.locator("[data-sign-out] button")).to_have_text(words["out"])
            # The header is one row, however long the clinic's name and the words: Help now beside the name.
            brand = page.locator("header .staff-top .staff-brand").bounding_box()
            help_link = page.locator("header .staff-top .help-link").bounding_box()
            assert help_link["y"] < brand["y"] + brand["height"] and help_link["x"] >= brand["x"] + brand["width"], path
            assert page.evaluate(OVERFLOW) == [], path
        # Cards on a phone: every patient's numbers are there, named.
        page.goto(f"{prefix}/clinic/")
        expect(page.locator("table.patients tbody tr")).to_have_count(3)
        assert page.locator("table.patients thead").bounding_box()["height"] <= 1
        # The audit log in the page's language; the patient's language named in it too.
        page.goto(f"{prefix}/clinic/audit/")
        expect(page.locator('tr[data-audit="assigned"]').first).to_contain_text(words["due"])
        page.goto(f"{prefix}/clinic/patients/{clinic['patient']}/")
        expect(page.locator("[data-patient-language]")).to_have_text(words["language"])

        # Signing out: the sign-in page, saying so, not the patient's home screen.
        page.locator("[data-sign-out] button").click()
        page.wait_for_url(f"**{prefix}/accounts/login/")
        expect(page.locator(".messages")).to_have_text(words["signed_out"])
        assert page.js_errors == []
    finally:
        context.close()
