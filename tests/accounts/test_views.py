import json

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse

from clinics.models import Assignment, AuditEvent, LessonProgress, Patient
from tests.factories import (
    PASSWORD,
    Client,  # staff signed in by force_login() have passed the second factor
    course_lesson,
    make_assignment,
    make_patient,
    make_progress,
    make_staff,
    make_user,
)

pytestmark = pytest.mark.django_db
User = get_user_model()


def signed_in(client) -> bool:
    return client.get(reverse("accounts:me")).context["user"].is_authenticated


def login(client, username: str, password: str = PASSWORD):
    return client.post(reverse("accounts:login"), {"username": username, "password": password})


# --- Login, logout (throttling: test_throttle.py) ----------------------------


def test_login_page_is_never_cached_and_explains_accounts_are_optional(client):
    response = client.get(reverse("accounts:login"))
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    assert "works without an account" in response.content.decode()


def test_staff_land_on_the_dashboard_and_patients_on_the_home_screen(client):
    make_staff(username="dr-a")
    make_patient(username="pat-a")
    assert login(client, "dr-a")["Location"] == reverse("clinics:dashboard")
    other = Client()
    assert login(other, "pat-a")["Location"] == reverse("home")


def test_logout_is_a_post(client):
    user = make_user()
    client.force_login(user)
    assert client.get(reverse("accounts:logout")).status_code == 405
    assert client.post(reverse("accounts:logout")).status_code == 302
    assert "_auth_user_id" not in client.session


def test_password_change_keeps_this_session(client):
    user = make_user()
    client.force_login(user)
    response = client.post(
        reverse("accounts:password_change"),
        {"old_password": PASSWORD, "new_password1": "another-long-pass-77", "new_password2": "another-long-pass-77"},
    )
    assert response["Location"] == reverse("accounts:password_change_done")
    assert client.get(reverse("accounts:me")).status_code == 200
    user.refresh_from_db()
    assert user.check_password("another-long-pass-77")


# --- My data -----------------------------------------------------------------


def test_me_without_an_account_offers_only_the_phones_own_data(client):
    response = client.get(reverse("accounts:me"))
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert "data-wipe-local" in html
    assert reverse("accounts:me_export") not in html and reverse("accounts:me_delete") not in html
    assert reverse("accounts:login") in html


def test_me_signed_in_shows_the_account_and_is_never_cached(client):
    patient = make_patient()
    client.force_login(patient.user)
    response = client.get(reverse("accounts:me"))
    html = response.content.decode()
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert patient.user.username in html and "data-wipe-local" in html
    assert reverse("accounts:me_export") in html and reverse("accounts:me_delete") in html


def test_export_has_the_patients_assignments_progress_and_who_looked(client):
    patient = make_patient(label="JD-12")
    lesson = course_lesson(0)
    make_assignment(patient=patient, lesson=lesson, note="Read this")
    make_progress(patient=patient, lesson=lesson, done=True, score=2, total=3)
    clinician = make_staff(clinic=patient.clinic, username="dr-who")
    staff_client = Client()
    staff_client.force_login(clinician)
    staff_client.get(patient.get_absolute_url())

    client.force_login(patient.user)
    response = client.get(reverse("accounts:me_export"))
    assert response["Content-Type"].startswith("application/json")
    assert "attachment" in response["Content-Disposition"]
    data = json.loads(response.content)
    assert data["account"]["username"] == patient.user.username
    assert data["clinic"]["your_label_there"] == "JD-12"
    assert data["assignments"][0]["lesson"] == lesson.slug and data["assignments"][0]["note"] == "Read this"
    assert data["lesson_progress"][0]["score"] == 2
    assert data["clinic_access_log"][0]["who"] == "dr-who"


def test_a_staff_members_export_has_their_clinic_role_and_their_own_audit_lines(client):
    """A staff member's export held their username and nothing else, though
    the audit log keeps their sign-ins and what they did under their name
    (and /me/ says so). The lines name no patient: that is the clinic's to read."""
    patient = make_patient(label="JD-12")
    clinician = make_staff(clinic=patient.clinic, username="dr-who")
    client.force_login(clinician)
    client.get(patient.get_absolute_url())
    colleague = Client()
    colleague.force_login(make_staff(clinic=patient.clinic))
    colleague.get(patient.get_absolute_url())

    data = json.loads(client.get(reverse("accounts:me_export")).content)
    assert data["staff"] == {"clinic": patient.clinic.name, "role": "Clinician"}
    lines = data["your_audit_lines"]  # not the colleague's sign-in and view
    assert [line["what"] for line in lines] == ["Signed in with a password", "Viewed patient page"]
    assert all(line["when"] for line in lines)
    assert "JD-12" not in json.dumps(data) and not any("patient" in line for line in lines)

    client.force_login(patient.user)
    assert "staff" not in json.loads(client.get(reverse("accounts:me_export")).content)


def test_delete_needs_confirmation(client):
    patient = make_patient()
    client.force_login(patient.user)
    response = client.post(reverse("accounts:me_delete"), {})
    assert response.status_code == 400
    assert User.objects.filter(pk=patient.user.pk).exists()


def test_delete_removes_the_account_and_its_server_data_for_good(client):
    patient = make_patient(label="JD-12")
    make_assignment(patient=patient)
    make_progress(patient=patient, lesson=course_lesson(0))
    client.force_login(patient.user)
    response = client.post(reverse("accounts:me_delete"), {"confirm": "on"})
    assert response["Location"] == reverse("accounts:deleted")
    assert not User.objects.filter(pk=patient.user.pk).exists()
    assert not Patient.objects.exists() and not Assignment.objects.exists() and not LessonProgress.objects.exists()
    # Only that a record existed and was deleted: no label (tests/accounts/test_deletion.py).
    event = AuditEvent.objects.get(action=AuditEvent.Action.ACCOUNT_DELETED)
    assert event.actor_username == "" and event.clinic == patient.clinic
    assert not signed_in(client)


def test_sign_out_everywhere_ends_every_session_of_the_user(client):
    user = make_user(username="two-phones")
    other_phone = Client()
    assert login(other_phone, "two-phones").status_code == 302
    assert login(client, "two-phones").status_code == 302
    bystander = Client()
    bystander.force_login(make_user())
    response = client.post(reverse("accounts:me_sign_out_everywhere"))
    assert response["Location"] == reverse("accounts:login")
    assert not signed_in(other_phone)
    assert not signed_in(client)
    assert signed_in(bystander)
    # And the password still works for a fresh sign-in.
    assert login(Client(), "two-phones").status_code == 302
    user.refresh_from_db()
    assert user.session_generation == 1


def test_set_password_link_with_a_bad_token_says_it_no_longer_works(client):
    user = make_user(password=None)
    from django.utils.encoding import force_bytes
    from django.utils.http import urlsafe_base64_encode

    url = reverse("accounts:set_password", args=[urlsafe_base64_encode(force_bytes(user.pk)), "bad-token"])
    response = client.get(url)
    assert response.status_code == 200 and "no longer works" in response.content.decode()


def test_the_django_admins_own_password_change_goes_to_crests(admin_client, admin_user):
    """The admin's password-change page checks the old password itself, with
    no throttle and no audit line (Crest's /accounts/password/ has both):
    a session left open could guess a superuser's password there. It now
    leads to Crest's page and checks nothing."""
    target = reverse("accounts:password_change")
    assert admin_client.get("/admin/password_change/")["Location"] == target
    new = "a long new passphrase 42"
    response = admin_client.post(
        "/admin/password_change/", {"old_password": "a guess", "new_password1": new, "new_password2": new}
    )
    assert response.status_code in (301, 302, 307, 308) and response["Location"] == target
    admin_user.refresh_from_db()
    assert not admin_user.check_password(new)
