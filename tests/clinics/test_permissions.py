"""The permission ladder for every clinic URL: anonymous -> patient ->
clinician of another clinic -> clinician of this clinic -> clinic admin.

Each rung gets a fresh world: clinic A (admin, clinician, a patient "SECRET-A1"
with an assignment and an invite) and clinic B (a clinician). A row the user
may not see is a 404; another clinic's staff see their own (empty) lists,
never clinic A's patient. `test_every_clinic_url_has_a_ladder_case` walks the
URLconf so a new /clinic/ URL without a case here fails the suite."""

import json
from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.apps import apps
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from accounts.models import AccountSession
from clinics.models import Assignment, AuditEvent, Invite, LessonProgress, Patient, SyncedItem
from tests.factories import (
    course_lesson,
    lesson_item,
    make_admin,
    make_assignment,
    make_clinic,
    make_invite,
    make_patient,
    make_staff,
)

SECRET = "SECRET-A1"
ROLES = ["anonymous", "patient", "other_clinician", "clinician", "admin"]


@dataclass
class World:
    users: dict
    patient: object
    assignment: Assignment
    invite: Invite


def build_world() -> World:
    clinic_a, clinic_b = make_clinic(name="Clinic A"), make_clinic(name="Clinic B")
    patient = make_patient(clinic=clinic_a, label=SECRET)
    assignment = make_assignment(patient=patient, lesson=course_lesson(0))
    invite = make_invite(clinic=clinic_a, label=f"{SECRET}-invite")
    users = {
        "anonymous": None,
        "patient": patient.user,
        "other_clinician": make_staff(clinic=clinic_b),
        "clinician": make_staff(clinic=clinic_a),
        "admin": make_admin(clinic=clinic_a),
    }
    return World(users=users, patient=patient, assignment=assignment, invite=invite)


@dataclass
class Case:
    name: str  # URL name: in the "clinics" namespace unless it names its own
    expect: dict  # role -> status
    method: str = "get"
    kwargs: object = None  # callable(world) -> reverse kwargs
    data: object = None  # callable(world) -> POST data
    hides_secret: bool = True  # a 200 for another clinic must not mention clinic A's patient
    after: object = None  # callable(world, role) -> None: extra checks on the database
    query: str = ""
    json: bool = False  # POST data as a JSON body (the phone's API)
    before: object = None  # callable(world) -> None: set the world up for this case

    @property
    def url_name(self) -> str:
        return self.name if ":" in self.name else f"clinics:{self.name}"


STAFF_ALL = {"anonymous": 302, "patient": 404, "other_clinician": 200, "clinician": 200, "admin": 200}
OBJECT = {"anonymous": 302, "patient": 404, "other_clinician": 404, "clinician": 200, "admin": 200}
OBJECT_POST = {"anonymous": 302, "patient": 404, "other_clinician": 404, "clinician": 302, "admin": 302}
ADMIN_ONLY = {"anonymous": 302, "patient": 404, "other_clinician": 404, "clinician": 404, "admin": 200}
ADMIN_ONLY_POST = {"anonymous": 302, "patient": 404, "other_clinician": 404, "clinician": 404, "admin": 302}


def due_changed_only_by_own_staff(world: World, role: str) -> None:
    world.assignment.refresh_from_db()
    changed = world.assignment.due_date == timezone.localdate() + timedelta(days=30)
    assert changed == (role in {"clinician", "admin"})


def withdrawn_only_by_own_staff(world: World, role: str) -> None:
    world.assignment.refresh_from_db()
    assert (world.assignment.withdrawn_at is not None) == (role in {"clinician", "admin"})


def assigned_only_by_own_staff(world: World, role: str) -> None:
    count = Assignment.objects.filter(patient=world.patient).count()
    assert count == (2 if role in {"clinician", "admin"} else 1)


def deactivated_only_by_own_admin(world: World, role: str) -> None:
    world.users["clinician"].refresh_from_db()
    assert world.users["clinician"].is_active == (role != "admin")


def reset_only_by_own_admin(world: World, role: str) -> None:
    world.users["clinician"].refresh_from_db()
    assert world.users["clinician"].has_usable_password() == (role != "admin")


def a_site_administrator_member(world: World) -> None:
    world.root = make_staff(clinic=world.patient.clinic, is_superuser=True, is_staff=True)


def removed_only_by_own_admin(world: World, role: str) -> None:
    world.root.refresh_from_db()
    assert hasattr(world.root, "membership") == (role != "admin") and world.root.is_active


def a_former_clinician(world: World) -> None:
    world.former = make_staff(clinic=world.patient.clinic, is_active=False)


def reactivated_only_by_own_admin(world: World, role: str) -> None:
    world.former.refresh_from_db()
    assert world.former.is_active == (role == "admin")


def exported_only_for_own_admin(world: World, role: str) -> None:
    exported = AuditEvent.objects.filter(action=AuditEvent.Action.EXPORTED, patient=world.patient).exists()
    assert exported == (role == "admin")


def progress_recorded_only_for_the_patient(world: World, role: str) -> None:
    recorded = LessonProgress.objects.filter(patient=world.patient, completed_at__isnull=False).exists()
    assert recorded == (role == "patient")
    assert LessonProgress.objects.count() == SyncedItem.objects.count() == (1 if role == "patient" else 0)


def sharing_changed_only_by_the_patient(world: World, role: str) -> None:
    world.patient.refresh_from_db()
    assert world.patient.shares_cravings == (role == "patient")


EVERYONE = dict.fromkeys(ROLES, 200)

CASES = [
    # The phone's API and the join page: no redirects to a login page. The API
    # answers every caller, but only a patient gets (or writes) anything.
    Case("phone:api_assignments", EVERYONE),
    Case(
        "phone:api_sync",
        {"anonymous": 401, "patient": 200, "other_clinician": 403, "clinician": 403, "admin": 403},
        method="post",
        json=True,
        data=lambda w: {"items": [lesson_item(course_lesson(0))]},
        after=progress_recorded_only_for_the_patient,
    ),
    Case(
        "phone:api_sync",
        # Any other method is refused before anyone is asked who they are.
        dict.fromkeys(ROLES, 405),
        query="",
        kwargs=None,
    ),
    Case(
        "sharing",
        # The patient's own choice, from /me/: nobody else has a patient record to change.
        {"anonymous": 302, "patient": 302, "other_clinician": 404, "clinician": 404, "admin": 404},
        method="post",
        data=lambda w: {"category": "cravings", "share": "on"},
        after=sharing_changed_only_by_the_patient,
    ),
    Case("join", EVERYONE, kwargs=lambda w: {"code": w.invite.code}),
    Case("dashboard", STAFF_ALL),
    Case("dashboard", STAFF_ALL, query="?q=SECRET&show=all"),
    Case("patient_detail", OBJECT, kwargs=lambda w: {"pk": w.patient.pk}),
    Case(
        "patient_passphrase_link",
        {"anonymous": 302, "patient": 404, "other_clinician": 404, "clinician": 200, "admin": 200},
        method="post",
        kwargs=lambda w: {"pk": w.patient.pk},
    ),
    Case("assign", STAFF_ALL, query="?patients=1"),
    Case(
        "assign",
        # Another clinic's clinician posting clinic A's patient id gets the form
        # back ("not a valid choice"), and nothing is assigned.
        {"anonymous": 302, "patient": 404, "other_clinician": 200, "clinician": 302, "admin": 302},
        method="post",
        data=lambda w: {
            "patients": [w.patient.pk],
            "lessons": [course_lesson(1).pk],
            "due_date": (timezone.localdate() + timedelta(days=3)).isoformat(),
        },
        after=assigned_only_by_own_staff,
    ),
    Case(
        "assignment_due",
        OBJECT_POST,
        method="post",
        kwargs=lambda w: {"pk": w.assignment.pk},
        data=lambda w: {"due_date": (timezone.localdate() + timedelta(days=30)).isoformat()},
        after=due_changed_only_by_own_staff,
    ),
    Case(
        "assignment_withdraw",
        OBJECT_POST,
        method="post",
        kwargs=lambda w: {"pk": w.assignment.pk},
        after=withdrawn_only_by_own_staff,
    ),
    Case("invite_list", STAFF_ALL),
    Case(
        "invite_list",
        {"anonymous": 302, "patient": 404, "other_clinician": 302, "clinician": 302, "admin": 302},
        method="post",
        data=lambda w: {"label": "NEW-1"},
    ),
    Case("invite_detail", OBJECT, kwargs=lambda w: {"pk": w.invite.pk}),
    # A download that writes audit rows is a POST (with CSRF); a GET, say a
    # link prefetched by a browser, never produces it. The whole clinic's
    # progress in one file: clinic admins only.
    Case("export_csv", {"anonymous": 302, "patient": 404, "other_clinician": 404, "clinician": 404, "admin": 405}),
    Case("export_csv", ADMIN_ONLY, method="post", after=exported_only_for_own_admin),
    Case("audit_log", ADMIN_ONLY),
    Case("staff", ADMIN_ONLY),
    Case("staff", ADMIN_ONLY_POST, method="post", data=lambda w: {"username": "dr-new", "role": "clinician"}),
    Case(
        "staff_deactivate",
        ADMIN_ONLY_POST,
        method="post",
        kwargs=lambda w: {"pk": w.users["clinician"].membership.pk},
        after=deactivated_only_by_own_admin,
    ),
    Case(
        "staff_reactivate",
        ADMIN_ONLY_POST,
        method="post",
        kwargs=lambda w: {"pk": w.former.membership.pk},
        before=a_former_clinician,
        after=reactivated_only_by_own_admin,
    ),
    Case(
        "staff_sign_in_reset",
        ADMIN_ONLY,
        method="post",
        kwargs=lambda w: {"pk": w.users["clinician"].membership.pk},
        after=reset_only_by_own_admin,
    ),
    Case(
        "staff_remove",
        ADMIN_ONLY_POST,
        method="post",
        kwargs=lambda w: {"pk": w.root.membership.pk},
        before=a_site_administrator_member,
        after=removed_only_by_own_admin,
    ),
]


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: f"{c.method}-{c.name}{'-q' if c.query else ''}")
def test_permission_ladder(client, case: Case, role: str):
    world = build_world()
    if case.before:
        case.before(world)
    user = world.users[role]
    if user is not None:
        client.force_login(user)
    url = reverse(case.url_name, kwargs=case.kwargs(world) if case.kwargs else None) + case.query
    data = case.data(world) if case.data else {}
    if case.json:
        response = client.post(url, json.dumps(data), content_type="application/json")
    else:
        response = getattr(client, case.method)(url, data) if case.method == "post" else client.get(url)

    assert response.status_code == case.expect[role], (role, url, response.status_code)
    if role == "anonymous" and response.status_code == 302:
        assert response["Location"].startswith(reverse("accounts:login"))
    if case.url_name.startswith("phone:"):
        assert response["Content-Type"].startswith("application/json")
    if response.status_code == 200:
        assert "no-store" in response["Cache-Control"] and "private" in response["Cache-Control"]
        if role == "other_clinician" and case.hides_secret:
            body = b"".join(response.streaming_content) if response.streaming else response.content
            assert SECRET not in body.decode()
    if case.after:
        case.after(world, role)


def database_rows() -> dict[str, list[str]]:
    """Every row of every table, except sessions (a sign-in's own business),
    the audit rows that record a view of a patient (a read is audited) and
    a patient's overdue count with its day (counted by the first view of a
    day that shows the patient: Patient.overdue_counted_on)."""
    rows = {}
    for model in apps.get_models():
        if model is AccountSession:
            continue
        queryset = model._base_manager.all()
        if model is AuditEvent:
            queryset = queryset.exclude(action=AuditEvent.Action.PATIENT_VIEWED)
        fields = [field.attname for field in model._meta.concrete_fields]
        if model is Patient:
            fields = [name for name in fields if name not in ("overdue_count", "overdue_counted_on")]
        rows[model._meta.label] = sorted(repr(sorted(row.items())) for row in queryset.values(*fields))
    return rows


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(
    "case", [case for case in CASES if case.method == "get"], ids=lambda c: f"{c.name}{'-q' if c.query else ''}"
)
def test_a_get_changes_nothing_but_the_audit_row_of_a_patient_view(client, case: Case, role: str):
    world = build_world()
    if world.users[role] is not None:
        client.force_login(world.users[role])
    url = reverse(case.url_name, kwargs=case.kwargs(world) if case.kwargs else None) + case.query
    before = database_rows()
    client.get(url)
    assert database_rows() == before


SCOPED_PREFIXES = ("clinic", "api/", "join/")


def clinic_url_names() -> set[str]:
    """Every URL name whose route starts with clinic/, api/ or join/, walking
    the whole URLconf."""
    names = set()

    def walk(patterns, prefix: str, namespace: str) -> None:
        for pattern in patterns:
            route = prefix + str(pattern.pattern)
            if isinstance(pattern, URLResolver):
                ns = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                walk(pattern.url_patterns, route, ns)
            elif isinstance(pattern, URLPattern) and route.lstrip("^").startswith(SCOPED_PREFIXES):
                names.add(f"{namespace}{pattern.name}")

    walk(get_resolver().url_patterns, "", "")
    return names


def test_every_clinic_url_has_a_ladder_case():
    covered = {case.url_name for case in CASES}
    # Reminders' API holds no clinic data and is open to anonymous phones;
    # its anonymous -> other account -> owner cases are in tests/reminders/test_api.py.
    covered |= {"reminders_api:config", "reminders_api:subscriptions"}
    found = clinic_url_names()
    assert {"clinics:dashboard", "phone:api_sync", "clinics:join"} <= found  # the walk itself works
    assert found - covered == set(), "clinic URLs with no permission ladder case"
