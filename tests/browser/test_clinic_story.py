"""The whole clinic story in a real browser against the production-mode
server: a clinician signs in and invites a patient; the patient opens the
link on a phone, joins, sees the assignment, does the lesson and its check;
the clinician's dashboard and patient page show it done with the score."""

import re
import secrets
from base64 import b32decode
from urllib.parse import urlparse

import pytest
from django_otp.oath import totp

pytestmark = pytest.mark.browser

DESKTOP = {"viewport": {"width": 1200, "height": 900}}


def create_clinician(server) -> tuple[str, str]:
    """seed_demo is refused with debug off (by design), so the test makes its
    own clinician in the server's database."""
    username = f"dr-story-{secrets.token_hex(3)}"
    out = server.manage(
        "shell",
        "-c",
        "from clinics.models import Clinic, Membership; from accounts.models import User; "
        "from accounts.services import set_password_path; "
        "clinic, _ = Clinic.objects.get_or_create(slug='story', defaults={'name': 'Story Clinic'}); "
        f"user = User.objects.create_user({username!r}); "
        "Membership.objects.create(user=user, clinic=clinic, role='clinician'); "
        "print(set_password_path(user=user))",
    )
    return username, out.strip().splitlines()[-1]


def set_password_by_link(page, link: str, password: str) -> None:
    """A new staff member's first sign-in: the one-time link from their
    clinic admin (only a link lets them connect an authenticator app)."""
    page.goto(link)
    page.fill("input[name=new_password1]", password)
    page.fill("input[name=new_password2]", password)
    with page.expect_navigation():  # to "done", or back to the form with its errors
        page.click("button[type=submit]")
    assert page.url.endswith("/accounts/set-password/done/"), page.locator(".errorlist").all_inner_texts()
    page.goto("/clinic/")


def code_from_setup_page(page) -> str:
    """What the staff member's authenticator app would show, from the key the
    setup page offers to type in."""
    key = page.locator("[data-totp-key]").inner_text().replace(" ", "")
    return f"{totp(b32decode(key + '=' * (-len(key) % 8))):06d}"


def connect_authenticator(page, axe=None) -> None:
    """A staff member's first sign-in, from the password onwards: connect an
    app, keep the recovery codes, continue. With axe, each page is checked."""
    page.wait_for_url(re.compile(r"/accounts/two-factor/setup/"))
    assert page.locator("figure.qr svg[role=img]").is_visible()
    if axe is not None:
        assert axe.run(page).violations_count == 0, axe.run(page).generate_report()
    page.fill("input[name=code]", code_from_setup_page(page))
    page.click("button:has-text('Turn on')")
    page.locator("[data-recovery-codes] li").first.wait_for()
    assert page.locator("[data-recovery-codes] li").count() == 10
    if axe is not None:
        assert axe.run(page).violations_count == 0, axe.run(page).generate_report()
    page.click("[data-continue]")


def test_clinician_invites_patient_joins_does_the_lesson_and_clinician_sees_the_score(browser, server, page):
    username, link = create_clinician(server)
    password = f"story-pass-{secrets.token_hex(6)}"
    label = f"JD-{secrets.token_hex(2).upper()}"
    staff_context = browser.new_context(base_url=server.url, **DESKTOP)
    staff = staff_context.new_page()
    staff_errors: list[str] = []
    staff.on("pageerror", lambda error: staff_errors.append(str(error)))
    csp_violations: list[str] = []
    for p in (staff, page):
        p.on("console", lambda msg: csp_violations.append(msg.text) if "Content Security Policy" in msg.text else None)
    try:
        # 1. The clinician signs in for the first time: their one-time link,
        # a password, then they connect an authenticator app (second step),
        # and land on the dashboard.
        set_password_by_link(staff, link, password)
        connect_authenticator(staff)
        staff.wait_for_url(re.compile(r"/clinic/$"))
        assert staff.locator("h1").inner_text() == "Patients"

        # 2. They create an invite: a link and a QR code.
        staff.click("nav.clinic-nav >> text=Invites")
        staff.fill("input[name=label]", label)
        staff.click("button:has-text('Create invite')")
        staff.wait_for_url(re.compile(r"/clinic/invites/\d+/$"))
        join_url = staff.get_attribute("[data-join-link]", "href")
        assert re.search(r"/join/[\w-]{20,}/$", join_url)
        assert staff.locator("figure.qr svg[role=img]").is_visible()

        # 3. The patient opens the link on a phone and keeps the suggested login.
        page.goto(urlparse(join_url).path)
        assert page.locator("h1").inner_text() == "Join Story Clinic"
        patient_username = page.input_value("input[name=username]")
        passphrase = page.input_value("textarea[name=passphrase]")
        assert patient_username and len(passphrase) >= 12 and len(passphrase.split("-")) >= 4
        page.click("button:has-text('Join')")
        page.wait_for_url(f"{server.url}/")
        # Nothing is assigned yet: the block says so, without naming the
        # clinic (a shared phone's home screen must not say where).
        page.locator("[data-assigned]").wait_for(state="visible")
        assert "your clinic" in page.locator("[data-assigned]").inner_text()
        assert "Story Clinic" not in page.locator("[data-assigned]").inner_text()

        # 4. The clinician assigns a lesson to the new patient from the dashboard.
        staff.goto("/clinic/")
        staff.locator(f'tr[data-patient-row="{label}"] input[type=checkbox]').check()
        staff.click("button:has-text('Assign lessons to selected')")
        staff.wait_for_url(re.compile(r"/clinic/assign/"))
        staff.locator("label:has-text('Why quitting is hard: two forces')").click()
        staff.fill("textarea[name=note]", "Before our next session")
        staff.click("button:has-text('Assign')")
        staff.wait_for_url(re.compile(r"/clinic/patients/\d+/$"))
        patient_page_url = staff.url
        assert staff.locator('[data-assignment="two-forces"] [data-status]').inner_text() == "Not done yet"

        # 5. The patient sees it on the home screen and the lessons list.
        page.goto("/")
        item = page.locator('[data-assigned] [data-assigned-lesson="two-forces"]')
        item.wait_for(state="visible")
        assert item.locator("[data-assigned-status]").inner_text().startswith("Due ")
        assert "Before our next session" in item.inner_text()
        page.goto("/lessons/")
        page.locator('[data-assigned] [data-assigned-lesson="two-forces"]').wait_for(state="visible")

        # 6. They open it, do the check (one answer wrong), and mark it done.
        page.locator('[data-assigned-lesson="two-forces"] a').click()
        page.wait_for_url(re.compile(r"/lessons/two-forces/$"))
        # A reflection ([data-unscored]) has no right answer and is not counted.
        page.locator("[data-question][data-unscored] input").first.check()
        questions = page.locator("[data-question]:not([data-unscored])")
        total = questions.count()
        assert total >= 2
        questions.nth(0).locator("input:not([data-correct])").first.check()
        for i in range(1, total):
            questions.nth(i).locator("input[data-correct]").check()
        page.click("[data-mark-done]")
        page.locator("[data-server-progress]").filter(has_text="Sent to your clinic.").wait_for()

        # 7. Back home, the assignment reads as done with the score.
        page.goto("/")
        status = page.locator('[data-assigned-lesson="two-forces"] [data-assigned-status]')
        status.wait_for(state="visible")
        page.wait_for_function(
            "() => document.querySelector('[data-assigned-lesson=\"two-forces\"] [data-assigned-status]')"
            ".textContent.startsWith('Done')"
        )
        assert status.inner_text() == f"Done · {total - 1} of {total} right"

        # 8. The clinician sees it done, with the score, on the dashboard and patient page.
        staff.goto("/clinic/")
        row = staff.locator(f'tr[data-patient-row="{label}"]')
        assert row.locator("[data-assigned]").inner_text() == "1"
        assert row.locator("[data-done]").inner_text() == "1"
        assert row.locator("[data-overdue]").inner_text() == "0"
        staff.goto(patient_page_url)
        assert staff.locator('[data-assignment="two-forces"] [data-status]').inner_text().startswith("Done")
        assert staff.locator('[data-assignment="two-forces"] [data-score]').inner_text() == f"{total - 1} of {total}"

        assert page.js_errors == [] and staff_errors == []
        assert csp_violations == []
    finally:
        staff_context.close()


SETUP_SCRIPT = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from clinics import services
from clinics.models import Clinic, Membership, Patient
from lessons.models import Lesson
clinic, _ = Clinic.objects.get_or_create(slug='axe', defaults={'name': 'Axe Clinic'})
from accounts.services import set_password_path
admin = User.objects.create_user('__ADMIN__')
Membership.objects.create(user=admin, clinic=clinic, role='admin')
patient_user = User.objects.create_user('__PATIENT__', password='__PASSWORD__')
patient = Patient.objects.create(user=patient_user, clinic=clinic, label='AX-1')
lessons = list(Lesson.objects.course()[:2])
services.assignments_create(clinician=admin, clinic=clinic, patients=[patient], lessons=lessons,
                            due_date=timezone.localdate() + timedelta(days=2), note='A note')
first = lessons[0]
from clinics.phone import sync
sync.sync_items_apply(patient=patient, items=[{"id": "2f1c8e52-6f0e-4a39-9d55-3f1f5b8c0a11", "type": "lesson.completed",
    "at": timezone.now().isoformat(), "lesson": first.slug, "score": 1, "total": first.quiz_total}])
invite = services.invite_create(clinic=clinic, created_by=admin, label='AX-2')
print(patient.pk, invite.pk, invite.code, set_password_path(user=admin))
"""


def sign_in(page, username: str, password: str) -> None:
    page.goto("/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", password)
    with page.expect_navigation():  # not just the page already loaded: the answer to the form
        page.click("button[type=submit]")


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_clinic_and_account_pages_have_no_axe_violations(browser, server, scheme):
    from axe_playwright_python.sync_playwright import Axe

    from devtools.browser import PHONE

    from .test_accessibility import axe_options

    suffix = secrets.token_hex(3)
    admin, patient, password = f"axe-admin-{suffix}", f"axe-patient-{suffix}", f"axe-pass-{suffix}-long"
    script = SETUP_SCRIPT.replace("__ADMIN__", admin).replace("__PATIENT__", patient).replace("__PASSWORD__", password)
    out = server.manage("shell", "-c", script)
    patient_pk, invite_pk, code, link = out.strip().splitlines()[-1].split()
    axe = Axe()

    def check(page, paths: list[str]) -> None:
        for path in paths:
            page.goto(path)
            page.wait_for_load_state("networkidle")
            assert urlparse(page.url).path == path, f"{path} redirected to {page.url}"
            results = axe.run(page, options=axe_options(scheme))
            assert results.violations_count == 0, f"{path} ({scheme}):\n{results.generate_report()}"

    anonymous = browser.new_context(base_url=server.url, color_scheme=scheme, **PHONE)
    staff = browser.new_context(base_url=server.url, color_scheme=scheme, **DESKTOP)
    phone = browser.new_context(base_url=server.url, color_scheme=scheme, **PHONE)
    try:
        check(anonymous.new_page(), ["/accounts/login/", f"/join/{code}/", "/join/no-such-code/"])
        staff_page = staff.new_page()
        set_password_by_link(staff_page, link, "quiet-river-morning-lamp")
        connect_authenticator(staff_page, axe=axe)
        staff_page.wait_for_url(re.compile(r"/clinic/$"))
        check(
            staff_page,
            ["/clinic/", f"/clinic/patients/{patient_pk}/", "/clinic/assign/", "/clinic/invites/",
             f"/clinic/invites/{invite_pk}/", "/clinic/audit/", "/clinic/staff/", "/me/"],
        )
        phone_page = phone.new_page()
        sign_in(phone_page, patient, password)
        phone_page.goto("/")
        phone_page.locator("[data-assigned-lesson]").first.wait_for(state="visible")
        assert axe.run(phone_page, options=axe_options(scheme)).violations_count == 0
        check(phone_page, ["/me/"])
    finally:
        for context in (anonymous, staff, phone):
            context.close()


RESEND_SETUP = """
from datetime import timedelta
from django.utils import timezone
from accounts.models import User
from clinics import services
from clinics.models import Clinic, Membership, Patient
from lessons.models import Lesson
clinic, _ = Clinic.objects.get_or_create(slug='resend', defaults={'name': 'Resend Clinic'})
staff = User.objects.create_user('__STAFF__', password='__PASSWORD__')
Membership.objects.create(user=staff, clinic=clinic, role='clinician')
user = User.objects.create_user('__PATIENT__', password='__PASSWORD__')
patient = Patient.objects.create(user=user, clinic=clinic, label='RS-1')
services.assignments_create(clinician=staff, clinic=clinic, patients=[patient],
                            lessons=[Lesson.objects.get(slug='natural-rewards')],
                            due_date=timezone.localdate() + timedelta(days=3), note='')
"""

PROGRESS_ON_SERVER = (
    "from clinics.models import LessonProgress; "
    "p = LessonProgress.objects.filter(patient__user__username='__PATIENT__', lesson__slug='natural-rewards').first(); "
    "print('none' if p is None else f'{bool(p.completed_at)} {p.score} {p.total}')"
)


def test_a_completion_that_failed_to_send_reaches_the_clinic_on_the_next_visit(server, page):
    patient = f"pt-{secrets.token_hex(3)}"
    password = f"pass-{secrets.token_hex(8)}"
    script = RESEND_SETUP.replace("__STAFF__", f"st-{secrets.token_hex(3)}").replace("__PATIENT__", patient)
    server.manage("shell", "-c", script.replace("__PASSWORD__", password))
    sign_in(page, patient, password)

    # The request to the clinic fails (a dropped connection) while the
    # patient does the check and marks the lesson done; the service worker's
    # Background Sync tries too, and fails the same way (context.route).
    page.context.route("**/api/v1/sync", lambda route: route.abort())
    page.goto("/lessons/natural-rewards/")
    questions = page.locator("[data-question]")
    total = questions.count()
    for i in range(total):
        questions.nth(i).locator("input[data-correct]").check()
    page.click("[data-mark-done]")
    page.locator("[data-server-progress]").filter(has_text="Waiting to send").wait_for()
    assert server.manage("shell", "-v", "0", "-c", PROGRESS_ON_SERVER.replace("__PATIENT__", patient)).strip() == "none"

    # Next visit with a working connection: the outbox sends it.
    page.context.unroute("**/api/v1/sync")
    page.goto("/")
    status = page.locator('[data-assigned-lesson="natural-rewards"] [data-assigned-status]')
    status.filter(has_text="Done ·").wait_for()
    assert status.inner_text() == f"Done · {total} of {total} right"
    recorded = server.manage("shell", "-v", "0", "-c", PROGRESS_ON_SERVER.replace("__PATIENT__", patient)).strip()
    assert recorded == f"True {total} {total}"
