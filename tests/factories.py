"""Small builders for tests: plain functions, explicit arguments, no magic."""

import itertools
import json
import os
import uuid
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.test import Client as DjangoClient
from django.urls import reverse
from django.utils import timezone
from django_otp import DEVICE_ID_SESSION_KEY
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts import at_rest
from accounts.services import is_staff_account
from clinics.models import Assignment, Clinic, Invite, LessonProgress, Membership, Patient
from lessons.models import Lesson

User = get_user_model()
_counter = itertools.count(1)
PASSWORD = "a-long-test-passphrase-42"


def _n() -> int:
    return next(_counter)


def make_user(*, username: str | None = None, password: str | None = PASSWORD, **kwargs) -> User:
    user = User(username=username or f"user-{_n()}", **kwargs)
    if password is None:
        user.set_unusable_password()
    else:
        user.set_password(password)
    user.save()
    return user


def make_clinic(*, name: str | None = None, slug: str | None = None, **kwargs) -> Clinic:
    n = _n()
    return Clinic.objects.create(name=name or f"Clinic {n}", slug=slug or f"clinic-{n}", **kwargs)


def make_staff(*, clinic: Clinic | None = None, role: str = Membership.Role.CLINICIAN, **user_kwargs) -> User:
    user = make_user(**user_kwargs)
    Membership.objects.create(user=user, clinic=clinic or make_clinic(), role=role)
    return user


def make_admin(*, clinic: Clinic | None = None, **user_kwargs) -> User:
    return make_staff(clinic=clinic, role=Membership.Role.ADMIN, **user_kwargs)


def make_patient(
    *,
    clinic: Clinic | None = None,
    label: str | None = None,
    shares_progress: bool = True,
    shares_cravings: bool = False,
    shares_craving_notes: bool = False,
    **user_kwargs,
) -> Patient:
    user = make_user(**user_kwargs)
    return Patient.objects.create(
        user=user, clinic=clinic or make_clinic(), label=label or f"P-{_n():03d}", shares_progress=shares_progress,
        shares_cravings=shares_cravings, shares_craving_notes=shares_craving_notes,
    )


def make_invite(*, clinic: Clinic | None = None, label: str = "AB", **kwargs) -> Invite:
    return Invite.objects.create(clinic=clinic or make_clinic(), label=label, **kwargs)


def make_lesson(**kwargs) -> Lesson:
    n = _n()
    defaults = {"slug": f"lesson-{n}", "title": f"Lesson {n}", "body": "Some words.", "order": 1000 + n}
    defaults.update(kwargs)
    return Lesson.objects.create(**defaults)


def course_lesson(index: int = 0) -> Lesson:
    """One of the real lessons `migrate` loads from Markdown."""
    return list(Lesson.objects.course())[index]


def make_assignment(
    *, patient: Patient, lesson: Lesson | None = None, due_date: date | None = None, **kwargs
) -> Assignment:
    """Written directly (the patient's stored progress follows: clinics.hooks)."""
    return Assignment.objects.create(
        patient=patient,
        lesson=lesson or course_lesson(),
        due_date=due_date or timezone.localdate() + timedelta(days=7),
        **kwargs,
    )


def make_progress(*, patient: Patient, lesson: Lesson, done: bool = True, score=None, total=None) -> LessonProgress:
    """Written directly (the patient's stored progress follows: clinics.hooks)."""
    return LessonProgress.objects.create(
        patient=patient, lesson=lesson, completed_at=timezone.now() if done else None, score=score, total=total
    )


# --- Second factor ------------------------------------------------------------


def make_authenticator(*, user: User) -> TOTPDevice:
    """A confirmed authenticator app (TOTP) for a staff member, its key
    encrypted as the app keeps it (accounts.at_rest)."""
    key = at_rest.key_encrypt(os.urandom(20))
    return TOTPDevice.objects.create(user=user, name="Authenticator app", confirmed=True, key=key)


def totp_code(device: TOTPDevice) -> str:
    """The code the staff member's app shows now."""
    key = at_rest.key_decrypt(device.key)
    return f"{totp(key, device.step, device.t0, device.digits, device.drift):0{device.digits}d}"


class Client(DjangoClient):
    """Django's test client, except that force_login() leaves staff signed in
    all the way, as a finished sign-in does: password and second factor (an
    authenticator made for them if they have none). The `client` and
    `admin_client` fixtures are this. Tests of the second step itself use
    django.test.Client and sign in through the pages."""

    def force_login(self, user, backend=None) -> None:
        super().force_login(user, backend)
        if is_staff_account(user):
            device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or make_authenticator(user=user)
            session = self.session
            session[DEVICE_ID_SESSION_KEY] = device.persistent_id
            session.save()


# --- Items as the phone sends them to POST /api/v1/sync ----------------------


def lesson_item(lesson: Lesson, *, score: int | None = None, total: int | None = None, **kwargs) -> dict:
    item = {
        "id": str(uuid.uuid4()),
        "type": "lesson.completed",
        "at": timezone.now().isoformat(),
        "lesson": lesson.slug,
        "score": score,
        "total": total,
    }
    item.update(kwargs)
    return item


def craving_item(**kwargs) -> dict:
    item = {
        "id": str(uuid.uuid4()),
        "type": "craving.logged",
        "at": timezone.now().isoformat(),
        "intensity_before": 8,
        "intensity_after": 4,
        "tool": "wave",
        "outcome": "passed",
        "triggers": {"feelings": ["Stressed"], "halt": ["Tired"]},
        "note": "Rough day at work",
    }
    item.update(kwargs)
    return item


def post_sync(client, items: list, **extra):
    return client.post(
        reverse("phone:api_sync"), json.dumps({"items": items}), content_type="application/json", **extra
    )
