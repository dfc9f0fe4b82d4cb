"""Deletion that deletes: an account deleted from /me/ takes its invite with
it, and the clinic's audit log keeps only that a patient record existed and
was deleted. No sign-in records are kept for anyone (accounts/throttle.py
counts failures, under HMACs, for one window)."""

import importlib
import json

import pytest
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.core.management import call_command
from django.db import connection
from django.db.models import CharField, Q, TextField
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils import timezone

from accounts.models import AccountSession, User
from accounts.services import account_delete
from clinics import services
from clinics.models import Assignment, AuditEvent, CravingSummary, Invite, LessonProgress, Patient, SyncedItem
from tests.factories import (
    PASSWORD,
    Client,
    course_lesson,
    craving_item,
    lesson_item,
    make_assignment,
    make_clinic,
    make_invite,
    make_patient,
    make_progress,
    make_staff,
    post_sync,
)

pytestmark = pytest.mark.django_db

PASSPHRASE = "maple-heron-river-stone"


def joined_patient(label: str = "JD-12"):
    """A patient who joined through an invite, as in real life (the invite
    and the 'joined' audit line exist)."""
    clinic = make_clinic()
    invite = services.invite_create(clinic=clinic, created_by=make_staff(clinic=clinic), label=label)
    return services.invite_redeem(code=invite.code, username="maple-heron-482", password=PASSPHRASE)


def delete_account(client, user) -> None:
    client.force_login(user)
    response = client.post(reverse("accounts:me_delete"), {"confirm": "on"})
    assert response["Location"] == reverse("accounts:deleted")


def test_deleting_a_patient_removes_their_invite(client):
    patient = joined_patient()
    other = make_invite(clinic=patient.clinic, label="XY")
    delete_account(client, patient.user)
    assert list(Invite.objects.all()) == [other]


def test_the_audit_log_keeps_only_that_a_patient_record_existed_and_was_deleted(client):
    patient = joined_patient(label="JD-12")
    clinic = patient.clinic
    clinician = make_staff(clinic=clinic, username="dr-who", role="admin")  # the clinic-wide CSV is for admins
    staff = Client()
    staff.force_login(clinician)
    staff.get(patient.get_absolute_url())
    services.sharing_set(patient=patient, category="lessons", share=False)
    username = patient.user.username

    delete_account(client, patient.user)

    events = list(AuditEvent.objects.filter(clinic=clinic))
    text = json.dumps([[e.actor_username, e.detail] for e in events])
    assert username not in text and "JD-12" not in text
    deleted = [e for e in events if e.action == AuditEvent.Action.ACCOUNT_DELETED]
    assert len(deleted) == 1 and deleted[0].actor_username == "" and deleted[0].actor_id is None
    # What staff did stays accountable: the view is still there, by whom and when.
    viewed = [e for e in events if e.action == AuditEvent.Action.PATIENT_VIEWED]
    assert [e.actor_username for e in viewed] == ["dr-who"]


def test_me_page_and_export_say_what_is_kept_after_deletion_and_why(client):
    patient = joined_patient()
    client.force_login(patient.user)
    page = client.get(reverse("accounts:me")).content.decode()
    export = json.loads(client.get(reverse("accounts:me_export")).content)
    kept = export["kept_after_deletion"]
    assert kept and all(line["what"] and line["why"] for line in kept)
    for line in kept:
        assert line["what"] in page
    assert any("audit log" in line["what"] for line in kept)
    assert any("sign-in" in line["what"].lower() for line in kept)
    deleted_page = client.get(reverse("accounts:deleted")).content.decode()
    assert "audit log" in deleted_page and "no record of patients’ sign-ins" in deleted_page


def test_staff_are_told_their_sign_ins_stay_in_the_clinics_audit_log(client):
    """Staff sign-ins, wrong passwords and codes are audit lines under their
    username, kept for good. /me/ and the export once told staff, as they
    tell patients, that Crest keeps no record of their sign-ins."""
    staff = make_staff(username="dr-kept")
    client.force_login(staff)
    page = client.get(reverse("accounts:me")).content.decode()
    kept = json.loads(client.get(reverse("accounts:me_export")).content)["kept_after_deletion"]
    assert not any(line["what"] == "Sign-in records: none" for line in kept), kept
    [line] = [line for line in kept if "sign-ins" in line["what"].lower()]
    assert "audit log" in line["what"] and "username" in line["why"]
    assert line["what"] in page and "Sign-in records: none" not in page


@pytest.mark.django_db(transaction=True)
def test_the_tables_django_axes_left_behind_are_dropped():
    """A database from before: django-axes' tables held the username and
    address of every sign-in."""
    migration = importlib.import_module("accounts.migrations.0004_drop_django_axes")
    with connection.schema_editor() as editor:
        for table in migration.AXES_TABLES:
            editor.execute(f"CREATE TABLE {table} (id integer PRIMARY KEY, username varchar(150))")
    with connection.schema_editor() as editor:
        migration.drop_axes_tables(apps, editor)
    assert not [t for t in connection.introspection.table_names() if t.startswith("axes_")]


def test_patients_deleted_since_a_backup_can_be_deleted_again_after_a_restore(client, capsys):
    """A restore brings back accounts deleted after the backup was made: the
    audit trail lists them, and a command deletes them again."""
    backup_made = timezone.now()
    leaving = make_patient(label="GONE-1")
    staying = make_patient(label="STAYS-1")
    kept_pk, user_pk, username = leaving.pk, leaving.user.pk, leaving.user.username
    account_delete(user=leaving.user)
    call_command("deleted_patients_since", backup_made.isoformat())
    listed = capsys.readouterr().out.split()
    assert listed == [str(kept_pk)]

    # The restore: the patient is back, with the same ids.
    user = User.objects.create_user(username, pk=user_pk)
    Patient.objects.create(pk=kept_pk, user=user, clinic=staying.clinic, label="GONE-1")
    call_command("delete_patients_again", *listed)
    assert not Patient.objects.filter(pk=kept_pk).exists() and not User.objects.filter(pk=user_pk).exists()
    assert Patient.objects.filter(pk=staying.pk).exists()


def text_rows_naming(*words: str) -> list[str]:
    """Every text value in every table that contains one of `words`, in any case."""
    found = []
    for model in apps.get_models():
        fields = [f.name for f in model._meta.concrete_fields if isinstance(f, CharField | TextField)]
        if not fields:
            continue
        query = Q()
        for field in fields:
            for word in words:
                query |= Q(**{f"{field}__icontains": word})
        for row in model._base_manager.filter(query).values(*fields):
            found.append(f"{model._meta.label}: {row}")
    return found


def test_a_deleted_patient_leaves_no_sign_in_record_session_or_admin_log_entry(admin_client):
    patient = make_patient(label="WHOLLY-GONE-7", username="Maple-Heron-482")
    make_assignment(patient=patient)
    make_progress(patient=patient, lesson=course_lesson(1))
    phones = [DjangoClient(), DjangoClient()]
    for phone in phones:
        signed_in = phone.post(reverse("accounts:login"), {"username": "Maple-Heron-482", "password": PASSWORD})
        assert signed_in.status_code == 302
    DjangoClient().post(reverse("accounts:login"), {"username": "MAPLE-HERON-482", "password": "wrong"})
    # A superuser changed the patient's label in the Django admin once.
    LogEntry.objects.log_actions(
        user_id=User.objects.get(username="admin").pk, queryset=[patient], action_flag=CHANGE, change_message="label"
    )
    user_pk = patient.user.pk

    phones[0].post(reverse("accounts:me_delete"), {"confirm": "on"})

    assert text_rows_naming("maple-heron-482", "WHOLLY-GONE-7") == []
    live = [s for s in AccountSession.objects.all() if s.get_decoded().get("_auth_user_id") == str(user_pk)]
    assert live == []
def rows_naming(user_pk: int, patient_pk: int) -> dict[str, int]:
    """Rows of every model (through tables too) whose foreign key points at
    this user or this patient: a model added later is checked too."""
    found = {}
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.concrete_fields:
            if field.is_relation and field.related_model in (User, Patient):
                if model is AuditEvent:
                    continue  # append-only: a row keeps the bare id, naming no one (clinics.models.AuditEvent)
                pk = user_pk if field.related_model is User else patient_pk
                n = model._base_manager.filter(**{field.attname: pk}).count()
                if n:
                    found[f"{model._meta.label}.{field.name}"] = n
    return found


def sessions_of(user_pk: int) -> int:
    sessions = AccountSession.objects.all()
    return sum(1 for session in sessions if session.get_decoded().get("_auth_user_id") == str(user_pk))


def test_deleting_a_patient_with_every_kind_of_server_data_leaves_nothing_of_theirs(client):
    """Synced lesson progress and quiz scores, craving summaries with notes,
    their receipts, assignments, an invite, audit lines naming them and a
    session on a second phone: after deletion none of it is
    left, and nobody else's data went with it."""
    patient = joined_patient(label="JD-12")
    user, clinic = patient.user, patient.clinic
    stays = make_patient(clinic=clinic, label="ST-1")
    clinician = make_staff(clinic=clinic, username="dr-who", role="admin")  # the clinic-wide CSV is for admins
    for someone in (patient, stays):
        services.sharing_set(patient=someone, category="cravings", share=True)
        services.sharing_set(patient=someone, category="notes", share=True)
        services.assignments_create(
            clinician=clinician, clinic=clinic, patients=[someone], lessons=[course_lesson(0), course_lesson(1)],
            due_date=timezone.localdate(),
        )
        phone = Client()
        phone.force_login(someone.user)
        lesson = course_lesson(0)
        response = post_sync(phone, [lesson_item(lesson, score=1, total=lesson.quiz_total), craving_item()])
        assert [r["status"] for r in response.json()["results"]] == ["stored", "stored"]
    staff = Client()
    staff.force_login(clinician)
    assert staff.get(patient.get_absolute_url()).status_code == 200
    assert staff.post(reverse("clinics:export_csv")).status_code == 200
    kinds = (Assignment, LessonProgress, SyncedItem, CravingSummary, Invite)
    assert all(model.objects.filter(patient=patient).exists() for model in kinds)
    assert AuditEvent.objects.filter(patient=patient).count() >= 4  # joined, assigned, viewed, exported...
    assert sessions_of(user.pk) == 1  # the second phone (the client below signs in again)
    kept = {model: set(model.objects.filter(patient=stays).values_list("pk", flat=True)) for model in kinds[:4]}

    client.force_login(user)
    response = client.post(reverse("accounts:me_delete"), {"confirm": "on"})
    assert response.status_code == 302 and response["Location"] == reverse("accounts:deleted")
    assert client.get(response["Location"]).status_code == 200

    assert not User.objects.filter(pk=user.pk).exists() and not Patient.objects.filter(pk=patient.pk).exists()
    assert rows_naming(user.pk, patient.pk) == {}
    assert sessions_of(user.pk) == 0
    text = json.dumps(list(AuditEvent.objects.values_list("actor_username", "detail")))
    assert user.username not in text and "JD-12" not in text
    assert {model: set(model.objects.filter(patient=stays).values_list("pk", flat=True)) for model in kinds[:4]} == kept
