import re
from datetime import UTC, datetime, timedelta

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.services import account_public_id
from clinics.models import Assignment, AuditEvent, Invite, LessonProgress, Patient
from tests.factories import Client as SignedInClient
from tests.factories import (
    course_lesson,
    make_admin,
    make_assignment,
    make_clinic,
    make_invite,
    make_patient,
    make_progress,
    make_staff,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


# --- Dashboard ---------------------------------------------------------------


def test_dashboard_shows_counts_per_patient(client):
    clinic = make_clinic()
    client.force_login(make_staff(clinic=clinic))
    today = timezone.localdate()
    patient = make_patient(clinic=clinic, label="JD-12")
    make_assignment(patient=patient, lesson=course_lesson(0), due_date=today - timedelta(days=1))
    make_assignment(patient=patient, lesson=course_lesson(1), due_date=today - timedelta(days=1))
    make_progress(patient=patient, lesson=course_lesson(0), done=True)
    body = client.get(reverse("clinics:dashboard")).content.decode()
    row = re.search(r'<tr data-patient-row="JD-12">(.*?)</tr>', body, re.S)[1]
    assert re.search(r"data-assigned>2<", row)
    assert re.search(r"data-done>1<", row)
    assert re.search(r"data-overdue>1<", row)


def test_dashboard_rows_escape_labels_and_show_each_kind_of_cell(client):
    """The rows are built in Python (clinics.tables), not by the template
    engine: what it escaped and formatted is checked here."""
    clinic = make_clinic(time_zone="America/New_York")
    client.force_login(make_staff(clinic=clinic))
    marked = make_patient(clinic=clinic, label='<b>A&"1')
    Patient.objects.filter(pk=marked.pk).update(  # 02:30 in UTC is the evening before in New York
        last_activity=datetime(2026, 3, 10, 2, 30, tzinfo=UTC)
    )
    private = make_patient(clinic=clinic, label="B-2", shares_progress=False)
    make_assignment(patient=private, lesson=course_lesson(0), due_date=timezone.localdate() - timedelta(days=1))

    body = client.get(reverse("clinics:dashboard")).content.decode()
    assert "<b>" not in body
    row = re.search(r'<tr data-patient-row="&lt;b&gt;A&amp;&quot;1">(.*?)</tr>', body, re.S)[1]
    link = reverse("clinics:patient_detail", args=[marked.pk])
    assert f'<a href="{link}">&lt;b&gt;A&amp;&quot;1</a>' in row
    assert f'value="{marked.pk}" id="select-{marked.pk}"' in row
    assert '<time datetime="2026-03-10T02:30:00+00:00">9 Mar 2026</time>' in row
    assert re.search(r'class="num" data-label="Overdue" data-overdue>0<', row)
    row = re.search(r'<tr data-patient-row="B-2">(.*?)</tr>', body, re.S)[1]
    assert re.search(r"data-assigned>1<", row)
    assert '<td class="num muted" data-done colspan="2">Not shared</td>' in row
    assert "data-overdue" not in row
    assert '<span class="muted">None yet</span>' in row

    spanish = client.get("/es" + reverse("clinics:dashboard")).content.decode()
    row = re.search(r'<tr data-patient-row="B-2">(.*?)</tr>', spanish, re.S)[1]
    assert "No compartido" in row and "Ninguna todavía" in row
    assert f'href="/es/clinic/patients/{private.pk}/"' in row


def test_dashboard_filters_and_search(client):
    clinic = make_clinic()
    client.force_login(make_staff(clinic=clinic))
    today = timezone.localdate()
    late = make_patient(clinic=clinic, label="LATE-1")
    make_assignment(patient=late, lesson=course_lesson(0), due_date=today - timedelta(days=2))
    fresh = make_patient(clinic=clinic, label="FRESH-1")
    make_assignment(patient=fresh, lesson=course_lesson(0), due_date=today + timedelta(days=2))
    done = make_patient(clinic=clinic, label="DONE-1")
    make_assignment(patient=done, lesson=course_lesson(0), due_date=today - timedelta(days=2))
    make_progress(patient=done, lesson=course_lesson(0), done=True)
    url = reverse("clinics:dashboard")

    def labels(query: str) -> list[str]:
        return re.findall(r'data-patient-row="([^"]+)"', client.get(url + query).content.decode())

    assert labels("") == ["DONE-1", "FRESH-1", "LATE-1"]
    assert labels("?show=overdue") == ["LATE-1"]
    assert labels("?show=not_started") == ["FRESH-1", "LATE-1"]
    assert labels("?q=fresh") == ["FRESH-1"]
    assert labels("?show=nonsense") == ["DONE-1", "FRESH-1", "LATE-1"]


def test_dashboard_paginates_by_25(client):
    clinic = make_clinic()
    client.force_login(make_staff(clinic=clinic))
    for i in range(30):
        make_patient(clinic=clinic, label=f"P-{i:02d}")
    first = client.get(reverse("clinics:dashboard")).content.decode()
    second = client.get(reverse("clinics:dashboard") + "?page=2").content.decode()
    assert first.count("data-patient-row=") == 25
    assert second.count("data-patient-row=") == 5
    assert "Page 2 of 2" in second


# --- Patient page ------------------------------------------------------------


def test_patient_page_shows_completion_date_and_score_and_is_audited(client):
    clinic = make_clinic()
    clinician = make_staff(clinic=clinic)
    client.force_login(clinician)
    patient = make_patient(clinic=clinic, label="JD-12")
    lesson = course_lesson(0)
    make_assignment(patient=patient, lesson=lesson)
    make_progress(patient=patient, lesson=lesson, done=True, score=2, total=3)
    unassigned = course_lesson(3)
    make_progress(patient=patient, lesson=unassigned, done=True)
    body = client.get(patient.get_absolute_url()).content.decode()
    row = re.search(rf'data-assignment="{lesson.slug}">(.*?)</tr>', body, re.S)[1]
    assert "Done " in row and "2 of 3" in row
    assert f'data-other="{unassigned.slug}"' in body
    event = AuditEvent.objects.get(action=AuditEvent.Action.PATIENT_VIEWED)
    assert (event.actor, event.patient, event.clinic) == (clinician, patient, clinic)


def test_patient_page_rows_escape_notes_and_show_each_status(client):
    """The assignment rows are built in Python (clinics.tables), not by the
    template engine: what it escaped and formatted is checked here."""
    clinic = make_clinic(time_zone="America/New_York")
    client.force_login(make_staff(clinic=clinic))
    patient = make_patient(clinic=clinic)
    evening = datetime(2026, 3, 10, 2, 30, tzinfo=UTC)  # the evening of 9 March in New York
    done = make_assignment(patient=patient, lesson=course_lesson(0), note='<i>slow</i> & "calm"')
    LessonProgress.objects.create(patient=patient, lesson=course_lesson(0), completed_at=evening, score=2, total=3)
    withdrawn = make_assignment(patient=patient, lesson=course_lesson(1), withdrawn_at=evening)
    today = make_assignment(patient=patient, lesson=course_lesson(2), due_date=clinic.today())

    page = patient.get_absolute_url()
    body = client.get(page).content.decode()
    assert "<i>" not in body

    def row(assignment: Assignment, html: str = body) -> str:
        return re.search(rf'<tr data-assignment="{assignment.lesson.slug}"([^>]*)>(.*?)</tr>', html, re.S).group(1, 2)

    attributes, cells = row(done)
    assert attributes == ""
    assert '<span class="note">Note: &lt;i&gt;slow&lt;/i&gt; &amp; &quot;calm&quot;</span>' in cells
    assert 'data-status="done">Done 9 Mar 2026<' in cells and "data-score>2 of 3<" in cells
    attributes, cells = row(withdrawn)
    assert attributes == ' class="is-withdrawn"'
    assert 'data-status="withdrawn">Withdrawn 9 Mar<' in cells and "<form" not in cells
    _, cells = row(today)
    title = course_lesson(2).title
    assert 'data-status="due_today"><strong>Due today</strong><' in cells
    assert f'<label for="due-{today.pk}" class="visually-hidden">New due date for {title}</label>' in cells
    assert f'name="due_date" value="{clinic.today().isoformat()}" required>' in cells
    assert cells.count('<input type="hidden" name="csrfmiddlewaretoken" value="') == 2
    assert f'action="{reverse("clinics:assignment_withdraw", args=[today.pk])}"' in cells

    spanish = client.get("/es" + page).content.decode()
    _, cells = row(today, spanish)
    with translation.override("es"):
        assert gettext("Change date") in cells and gettext("Due today") in cells
    assert f'action="/es/clinic/assignments/{today.pk}/due/"' in cells

    Patient.objects.filter(pk=patient.pk).update(shares_progress=False)
    _, cells = row(done, client.get(page).content.decode())
    assert 'data-status="not_shared"><span class="muted">Not shared</span>' in cells
    assert "2 of 3" not in cells and "data-score><span class=\"muted\">—</span>" in cells


def test_assign_one_step_to_several_patients_with_several_lessons(client):
    clinic = make_clinic()
    client.force_login(make_staff(clinic=clinic))
    patients = [make_patient(clinic=clinic) for _ in range(3)]
    due = timezone.localdate() + timedelta(days=4)
    response = client.post(
        reverse("clinics:assign"),
        {
            "patients": [patients[0].pk, patients[1].pk],
            "lessons": [course_lesson(0).pk, course_lesson(2).pk],
            "due_date": due.isoformat(),
            "note": "Read before group",
        },
    )
    assert response.status_code == 302 and response["Location"] == reverse("clinics:dashboard")
    assert Assignment.objects.filter(due_date=due, note="Read before group").count() == 4
    assert not Assignment.objects.filter(patient=patients[2]).exists()


def test_assign_refuses_a_past_due_date(client):
    clinic = make_clinic()
    client.force_login(make_staff(clinic=clinic))
    patient = make_patient(clinic=clinic)
    response = client.post(
        reverse("clinics:assign"),
        {"patients": [patient.pk], "lessons": [course_lesson(0).pk], "due_date": "2000-01-01"},
    )
    assert response.status_code == 200
    assert "cannot be in the past" in response.content.decode()
    assert not Assignment.objects.exists()


def test_assign_page_preselects_patients_from_the_dashboard(client):
    clinic = make_clinic()
    client.force_login(make_staff(clinic=clinic))
    chosen, other = make_patient(clinic=clinic), make_patient(clinic=clinic)
    body = client.get(reverse("clinics:assign") + f"?patients={chosen.pk}").content.decode()
    assert re.search(rf'value="{chosen.pk}"[^>]*checked', body)
    assert not re.search(rf'value="{other.pk}"[^>]*checked', body)


def test_change_due_date_and_withdraw_from_the_patient_page(client):
    patient = make_patient()
    client.force_login(make_staff(clinic=patient.clinic))
    assignment = make_assignment(patient=patient)
    new_due = timezone.localdate() + timedelta(days=20)
    response = client.post(reverse("clinics:assignment_due", args=[assignment.pk]), {"due_date": new_due.isoformat()})
    assert response["Location"] == patient.get_absolute_url()
    assignment.refresh_from_db()
    assert assignment.due_date == new_due
    client.post(reverse("clinics:assignment_withdraw", args=[assignment.pk]))
    assignment.refresh_from_db()
    assert assignment.withdrawn_at is not None
    # A withdrawn assignment can no longer be changed.
    response = client.post(reverse("clinics:assignment_due", args=[assignment.pk]), {"due_date": new_due.isoformat()})
    assert response.status_code == 404


# --- Invites -----------------------------------------------------------------


def test_creating_an_invite_shows_its_link_and_qr_code(client):
    clinic = make_clinic()
    client.force_login(make_staff(clinic=clinic))
    response = client.post(reverse("clinics:invite_list"), {"label": "JD-12"})
    invite = Invite.objects.get(label="JD-12", clinic=clinic)
    assert response["Location"] == invite.get_absolute_url()
    body = client.get(invite.get_absolute_url()).content.decode()
    assert f"http://testserver/join/{invite.code}/" in body
    svg = re.search(r"<svg[^>]*>", body)[0]
    assert 'role="img"' in svg and "style=" not in body  # strict CSP: no style attributes
    assert 'class="qrline"' in body or "<path" in body


def test_a_used_invite_shows_no_qr_code(client):
    clinic = make_clinic()
    client.force_login(make_staff(clinic=clinic))
    invite = make_invite(clinic=clinic, used_at=timezone.now())
    body = client.get(invite.get_absolute_url()).content.decode()
    assert "<svg" not in body and "Used on" in body


# --- Joining -----------------------------------------------------------------


def test_join_page_suggests_a_username_and_passphrase_and_asks_for_no_email(client):
    invite = make_invite()
    response = client.get(reverse("clinics:join", args=[invite.code]))
    body = response.content.decode()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    username = re.search(r'name="username" value="([^"]+)"', body)[1]
    # Shown whole, wrapping, in a box as tall as it needs (not a one-line field).
    passphrase = re.search(r'<textarea name="passphrase"[^>]*>\s*([^<]+?)</textarea>', body)[1]
    assert re.fullmatch(r"[a-z]+-[a-z]+-\d{3}", username)
    assert len(passphrase.split("-")) == 4
    assert 'name="email"' not in body and "first_name" not in body


def test_joining_with_the_suggestion_creates_the_patient_and_signs_them_in(client):
    invite = make_invite(label="JD-12")
    page = client.get(reverse("clinics:join", args=[invite.code])).content.decode()
    username = re.search(r'name="username" value="([^"]+)"', page)[1]
    passphrase = re.search(r'<textarea name="passphrase"[^>]*>\s*([^<]+?)</textarea>', page)[1]
    response = client.post(
        reverse("clinics:join", args=[invite.code]), {"username": username, "passphrase": passphrase}
    )
    assert response.status_code == 302 and response["Location"] == reverse("home")
    patient = Patient.objects.get(user__username=username)
    assert patient.label == "JD-12" and patient.clinic == invite.clinic
    assert client.get(reverse("phone:api_assignments")).json()["patient"] is True
    # Signed in with the passphrase they were shown: it works for a fresh login.
    assert patient.user.check_password(passphrase)


def test_join_form_errors_keep_the_invite_usable(client):
    make_patient(username="taken-name")
    invite = make_invite()
    response = client.post(
        reverse("clinics:join", args=[invite.code]), {"username": "taken-name", "passphrase": "short"}
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "taken" in body and "at least 12" in body
    invite.refresh_from_db()
    assert invite.used_at is None


@pytest.mark.parametrize(
    ("make", "status", "message"),
    [
        (lambda: make_invite(used_at=timezone.now()).code, 410, "already been used"),
        (lambda: make_invite(expires_at=timezone.now() - timedelta(hours=1)).code, 410, "has expired"),
        (lambda: "no-such-code", 404, "could not find this invite"),
    ],
    ids=["used", "expired", "unknown"],
)
def test_used_expired_and_unknown_codes_get_a_clear_page(client, make, status, message):
    code = make()
    for response in (
        client.get(reverse("clinics:join", args=[code])),
        client.post(
            reverse("clinics:join", args=[code]), {"username": "some-one-123", "passphrase": "river-stone-cloud-lamp"}
        ),
    ):
        assert response.status_code == status
        assert message in response.content.decode()
    assert not Patient.objects.exists()


def test_a_signed_in_person_is_asked_to_sign_out_before_joining(client):
    client.force_login(make_patient().user)
    invite = make_invite()
    response = client.post(
        reverse("clinics:join", args=[invite.code]),
        {"username": "some-one-123", "passphrase": "river-stone-cloud-lamp"},
    )
    assert "already signed in" in response.content.decode()
    assert Patient.objects.count() == 1


# --- The patient's API -------------------------------------------------------


def test_assignments_api_for_anonymous_is_a_200_saying_signed_out(client):
    response = client.get(reverse("phone:api_assignments"))
    assert response.status_code == 200 and response.json() == {"signed_in": False}
    assert "no-store" in response["Cache-Control"]
    assert "csrftoken" not in response.cookies  # no cookie for anonymous readers


def test_assignments_api_lists_only_the_patients_own_active_assignments(client):
    patient = make_patient()
    other = make_patient(clinic=patient.clinic)
    today = timezone.localdate()
    done_lesson, late_lesson = course_lesson(0), course_lesson(1)
    make_assignment(patient=patient, lesson=done_lesson, due_date=today - timedelta(days=1), note="Please read")
    make_assignment(patient=patient, lesson=late_lesson, due_date=today - timedelta(days=1))
    make_assignment(patient=patient, lesson=course_lesson(2), withdrawn_at=timezone.now())
    make_assignment(patient=other, lesson=course_lesson(3))
    make_progress(patient=patient, lesson=done_lesson, done=True, score=3, total=3)
    client.force_login(patient.user)
    data = client.get(reverse("phone:api_assignments")).json()
    assert "clinic" not in data  # a shared phone's screen must not say where the person is treated
    items = {item["slug"]: item for item in data["assignments"]}
    assert set(items) == {done_lesson.slug, late_lesson.slug}
    assert items[done_lesson.slug]["status"] == "done" and items[done_lesson.slug]["score"] == 3
    assert items[done_lesson.slug]["note"] == "Please read"
    assert items[late_lesson.slug]["status"] == "overdue"


def test_assignments_api_for_staff_says_not_a_patient(client):
    staff = make_staff()
    client.force_login(staff)
    assert client.get(reverse("phone:api_assignments")).json() == {
        "signed_in": True, "patient": False, "account": account_public_id(staff), "assignments": []
    }


# --- Export, audit log, staff ------------------------------------------------


def test_export_is_a_csv_download(client):
    clinic = make_clinic()
    client.force_login(make_admin(clinic=clinic))
    make_assignment(patient=make_patient(clinic=clinic, label="JD-12"))
    response = client.post(reverse("clinics:export_csv"))
    assert response["Content-Type"].startswith("text/csv")
    assert "attachment" in response["Content-Disposition"]
    assert response.streaming
    assert "JD-12" in b"".join(response.streaming_content).decode()


def test_audit_log_lists_views_and_exports_for_the_admin(client):
    clinic = make_clinic()
    clinician = make_staff(clinic=clinic, username="dr-who")
    patient = make_patient(clinic=clinic, label="JD-12")
    client.force_login(clinician)
    client.get(patient.get_absolute_url())
    client.force_login(make_admin(clinic=clinic))
    client.post(reverse("clinics:export_csv"))
    body = client.get(reverse("clinics:audit_log")).content.decode()
    assert 'data-audit="patient_viewed"' in body and 'data-audit="exported"' in body
    assert "dr-who" in body and "JD-12" in body


def test_the_audit_log_cannot_be_changed_in_the_django_admin(admin_client):
    clinic = make_clinic()
    event = AuditEvent.objects.create(clinic=clinic, action=AuditEvent.Action.EXPORTED, actor_username="x")
    change = admin_client.post(reverse("admin:clinics_auditevent_change", args=[event.pk]), {"detail": "edited"})
    delete = admin_client.post(reverse("admin:clinics_auditevent_delete", args=[event.pk]), {"post": "yes"})
    assert change.status_code in (302, 403) or "edited" not in change.content.decode()
    assert delete.status_code == 403
    event.refresh_from_db()
    assert event.detail == ""
    assert admin_client.get(reverse("admin:clinics_auditevent_add")).status_code == 403


def test_admin_adds_a_clinician_who_sets_their_own_password_once(client):
    clinic = make_clinic()
    client.force_login(make_admin(clinic=clinic))
    response = client.post(reverse("clinics:staff"), {"username": "dr-new", "role": "clinician"})
    assert response.status_code == 302
    body = client.get(reverse("clinics:staff")).content.decode()
    link = re.search(r"<code [^>]*data-set-password-link>http://testserver([^<]+)</code>", body)[1]
    new_user = User.objects.get(username="dr-new")
    assert not new_user.has_usable_password() and new_user.membership.clinic == clinic

    newcomer = Client()
    form_url = newcomer.get(link)["Location"]  # Django swaps the token for a session marker
    response = newcomer.post(form_url, {"new_password1": "brand-new-pass-2026", "new_password2": "brand-new-pass-2026"})
    assert response["Location"] == reverse("accounts:set_password_done")
    new_user.refresh_from_db()
    assert new_user.check_password("brand-new-pass-2026")
    # Signed in, and next sets up their second step before any clinic page opens.
    assert newcomer.get(reverse("clinics:dashboard"))["Location"].startswith(reverse("accounts:two_factor"))
    # The link worked once.
    assert "no longer works" in Client().get(link, follow=True).content.decode()
    assert "data-set-password-link" not in client.get(reverse("clinics:staff")).content.decode()


# --- seed_demo ---------------------------------------------------------------


def test_seed_demo_is_refused_when_debug_is_off(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError):
        call_command("seed_demo")
    assert not Patient.objects.exists()


def test_seed_demo_prints_logins_that_work_and_is_safe_to_run_twice(settings, capsys):
    settings.DEBUG = True
    call_command("seed_demo")
    first = capsys.readouterr().out
    counts = (Patient.objects.count(), Assignment.objects.count(), LessonProgress.objects.count())
    call_command("seed_demo")
    second = capsys.readouterr().out
    assert first == second
    assert (Patient.objects.count(), Assignment.objects.count(), LessonProgress.objects.count()) == counts
    logins = re.findall(r"^login (\S+) (\S+) (\S+)$", first, re.M)
    assert [role for role, _, _ in logins] == ["clinic-admin", "clinician", "patient"]
    for _role, username, password in logins:
        assert User.objects.get(username=username).check_password(password)
    assert counts[0] >= 3 and counts[1] >= 3 and counts[2] >= 1
    patients = Patient.objects.progress_rows("overdue_count", "done_count", today=timezone.localdate())
    assert any(p["overdue_count"] for p in patients) and any(p["done_count"] for p in patients)


def test_only_an_admin_is_offered_the_csv_export_a_clinician_would_get_a_404_from():
    """The export is for a clinic's admins (clinics:export_csv answers anyone
    else 404). The dashboard once showed its "Download CSV" button to
    clinicians too, a button that could only fail."""
    clinic = make_clinic()
    export = f'action="{reverse("clinics:export_csv")}"'
    offered = {}
    for role, user in {"clinician": make_staff(clinic=clinic), "admin": make_admin(clinic=clinic)}.items():
        client = SignedInClient()
        client.force_login(user)
        page = client.get(reverse("clinics:dashboard")).content.decode()
        offered[role] = export in page
        if offered[role]:
            assert client.post(reverse("clinics:export_csv")).status_code == 200
    assert offered == {"clinician": False, "admin": True}
