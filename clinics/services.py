"""Writes and multi-model steps for clinics. Views call these; nothing here
reads the request."""

import csv
import io
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, timedelta

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.text import slugify

from accounts.models import User
from accounts.services import sessions_end_all
from lessons.models import Lesson

from .models import Assignment, AuditEvent, Clinic, Invite, LessonProgress, Membership, Patient, validate_time_zone



class InviteUnavailable(Exception):
    """The code is unknown, used or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "unknown" | "used" | "expired"


class ProgressError(ValueError):
    """Bad progress input; the message is safe to show."""


# --- Audit -------------------------------------------------------------------


def audit_record(
    *, actor: User | None, clinic: Clinic, action: str, patient: Patient | None = None, detail: str = ""
) -> AuditEvent:
    """Append one line to the clinic's audit log."""
    return AuditEvent.objects.create(
        clinic=clinic,
        actor=actor,
        actor_username=getattr(actor, "username", "") or "",
        action=action,
        patient=patient,
        patient_label=patient.label if patient else "",
        detail=detail[:500],
    )


# --- Staff -------------------------------------------------------------------


@transaction.atomic
def staff_create(
    *, clinic: Clinic, added_by: User | None, username: str, role: str = Membership.Role.CLINICIAN
) -> User:
    """A new clinician (or admin) of this clinic, with no usable password:
    they set their own through a one-time link (accounts.services.set_password_path)."""
    user = User(username=username)
    user.set_unusable_password()
    user.save()
    Membership.objects.create(user=user, clinic=clinic, role=role)
    audit_record(actor=added_by, clinic=clinic, action=AuditEvent.Action.STAFF_ADDED, detail=f"{username} ({role})")
    return user


@transaction.atomic
def staff_deactivate(*, clinic: Clinic, by: User, membership: Membership) -> None:
    """A staff member leaves: their account can no longer sign in, and every
    session they have open ends on its next request. Audited. Refused for
    oneself (a clinic must not lose its last admin by a slip)."""
    if membership.clinic_id != clinic.pk:
        raise ValueError("the staff member must belong to the clinic")
    user = membership.user
    if user.pk == by.pk:
        raise ValueError("You cannot deactivate your own account.")
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions_end_all(user=user)
    audit_record(
        actor=by, clinic=clinic, action=AuditEvent.Action.STAFF_DEACTIVATED,
        detail=f"{user.username} ({membership.get_role_display()})",
    )


class ClinicCreateError(ValueError):
    """The clinic cannot be created as asked; the message is safe to show."""


def _time_zone_checked(time_zone: str) -> str:
    try:
        validate_time_zone(time_zone)
    except ValidationError:
        close = [zone for zone in zoneinfo.available_timezones() if zone.lower() == time_zone.lower()]
        hint = f" Did you mean {close[0]}?" if close else " Use a name such as America/New_York or Europe/London."
        raise ClinicCreateError(f"Unknown time zone “{time_zone}”.{hint}") from None
    return time_zone


def _clinic_slug_free(name: str) -> str:
    base = slugify(name)[:40] or "clinic"
    slug, n = base, 2
    while Clinic.objects.filter(slug=slug).exists():
        slug, n = f"{base}-{n}", n + 1
    return slug


@transaction.atomic
def clinic_create(*, name: str, admin_username: str, time_zone: str = "UTC") -> tuple[Clinic, User]:
    """A new clinic and its first clinic admin, who has no usable password
    yet: they set one through accounts.services.set_password_path. Refuses a
    name another clinic has (whatever its case), a username that is taken,
    and an unknown time zone, with ClinicCreateError; nothing is written then."""
    name = " ".join(name.split())
    admin_username = admin_username.strip()
    if not name:
        raise ClinicCreateError("The clinic needs a name.")
    time_zone = _time_zone_checked(time_zone.strip())
    existing = Clinic.objects.filter(name__iexact=name).first()
    if existing is not None:
        raise ClinicCreateError(f"A clinic named “{existing.name}” already exists.")
    try:
        User._meta.get_field("username").run_validators(admin_username)
        if not admin_username:
            raise ValidationError("A username is required.")
    except ValidationError as error:
        raise ClinicCreateError(f"Username “{admin_username}”: {' '.join(error.messages)}") from None
    if User.objects.filter(username__iexact=admin_username).exists():
        raise ClinicCreateError(f"The username “{admin_username}” is taken: choose another for the clinic admin.")
    clinic = Clinic.objects.create(name=name, slug=_clinic_slug_free(name), time_zone=time_zone)
    admin = staff_create(clinic=clinic, added_by=None, username=admin_username, role=Membership.Role.ADMIN)
    return clinic, admin


# --- Invites and joining -----------------------------------------------------


def invite_create(*, clinic: Clinic, created_by: User, label: str, lifetime: timedelta | None = None) -> Invite:
    invite = Invite(clinic=clinic, created_by=created_by, label=label.strip())
    if lifetime is not None:
        invite.expires_at = timezone.now() + lifetime
    invite.save()
    audit_record(actor=created_by, clinic=clinic, action=AuditEvent.Action.INVITE_CREATED, detail=invite.label)
    return invite


def invite_check(*, code: str) -> Invite:
    """The invite for this code if it can still be used; InviteUnavailable otherwise."""
    invite = Invite.objects.select_related("clinic").filter(code=code).first()
    if invite is None:
        raise InviteUnavailable("unknown")
    if invite.is_used:
        raise InviteUnavailable("used")
    if invite.is_expired:
        raise InviteUnavailable("expired")
    return invite


@transaction.atomic
def invite_redeem(*, code: str, username: str, password: str) -> Patient:
    """Create the patient's account from an invite, once.

    The invite is claimed with a conditional UPDATE (used_at IS NULL and not
    expired): of two people submitting the same code at once, exactly one
    UPDATE matches a row; the other gets InviteUnavailable. A failure after
    that (say, a username taken a moment ago) rolls the claim back too."""
    invite = invite_check(code=code)
    now = timezone.now()
    claimed = Invite.objects.usable(now=now).filter(pk=invite.pk).update(used_at=now)
    if claimed != 1:
        raise InviteUnavailable("used")
    user = User(username=username)
    validate_password(password, user)
    user.set_password(password)
    try:
        with transaction.atomic():
            user.save()
    except IntegrityError as error:
        raise ValueError("That username is taken. Please choose another.") from error
    patient = Patient.objects.create(user=user, clinic=invite.clinic, label=invite.label)
    Invite.objects.filter(pk=invite.pk).update(patient=patient)
    audit_record(actor=user, clinic=invite.clinic, action=AuditEvent.Action.PATIENT_JOINED, patient=patient)
    return patient


# --- Assignments -------------------------------------------------------------


@transaction.atomic
def assignments_create(
    *,
    clinician: User,
    clinic: Clinic,
    patients: Iterable[Patient],
    lessons: Iterable[Lesson],
    due_date: date,
    note: str = "",
) -> list[Assignment]:
    """Assign every lesson to every patient in one step. A lesson already
    assigned (and not withdrawn) to a patient gets the new due date and note
    instead of a second copy."""
    patients = list(patients)
    lessons = list(lessons)
    if any(patient.clinic_id != clinic.pk for patient in patients):
        raise ValueError("patients must belong to the clinic")
    existing = {
        (a.patient_id, a.lesson_id): a
        for a in Assignment.objects.select_for_update().active().filter(patient__in=patients, lesson__in=lessons)
    }
    result = []
    for patient in patients:
        for lesson in lessons:
            assignment = existing.get((patient.pk, lesson.pk))
            if assignment is None:
                assignment = Assignment.objects.create(
                    patient=patient, lesson=lesson, due_date=due_date, note=note, assigned_by=clinician
                )
            else:
                assignment.due_date = due_date
                assignment.note = note
                assignment.save(update_fields=["due_date", "note"])
            result.append(assignment)
        audit_record(
            actor=clinician,
            clinic=clinic,
            action=AuditEvent.Action.ASSIGNED,
            patient=patient,
            detail=f"{', '.join(lesson.slug for lesson in lessons)} due {due_date.isoformat()}",
        )
    return result


@transaction.atomic
def assignment_change_due(*, clinician: User, assignment: Assignment, due_date: date) -> Assignment:
    old = assignment.due_date
    assignment.due_date = due_date
    assignment.save(update_fields=["due_date"])
    audit_record(
        actor=clinician,
        clinic=assignment.patient.clinic,
        action=AuditEvent.Action.DUE_CHANGED,
        patient=assignment.patient,
        detail=f"{assignment.lesson.slug}: {old.isoformat()} → {due_date.isoformat()}",
    )
    return assignment


@transaction.atomic
def assignment_withdraw(*, clinician: User, assignment: Assignment) -> Assignment:
    """Withdraw (not delete): the patient no longer sees it; the record stays."""
    if assignment.withdrawn_at is None:
        assignment.withdrawn_at = timezone.now()
        assignment.save(update_fields=["withdrawn_at"])
        audit_record(
            actor=clinician,
            clinic=assignment.patient.clinic,
            action=AuditEvent.Action.WITHDRAWN,
            patient=assignment.patient,
            detail=assignment.lesson.slug,
        )
    return assignment


# --- Progress from the patient's phone ---------------------------------------


@dataclass
class ProgressInput:
    slug: str
    done: bool
    score: int | None
    total: int | None


def progress_parse(data: object) -> ProgressInput:
    """Validate one progress item from JSON; ProgressError says what is wrong."""
    if not isinstance(data, dict):
        raise ProgressError("Expected a JSON object.")
    slug = data.get("slug")
    if not isinstance(slug, str) or not slug:
        raise ProgressError("slug is required.")
    done = data.get("done", False)
    if not isinstance(done, bool):
        raise ProgressError("done must be true or false.")
    score, total = data.get("score"), data.get("total")
    if (score is None) != (total is None):
        raise ProgressError("score and total go together.")
    if score is not None:
        if not all(isinstance(v, int) and not isinstance(v, bool) for v in (score, total)):
            raise ProgressError("score and total must be whole numbers.")
        if not 0 <= score <= total:
            raise ProgressError("score must be between 0 and total.")
    if not done and score is None:
        raise ProgressError("Nothing to record: send done or a score.")
    return ProgressInput(slug=slug, done=done, score=score, total=total)


def patient_passphrase_link(*, clinician: User, patient: Patient) -> str:
    """A one-time link with which a patient who forgot their passphrase sets a
    new one on their own account (no second patient record, nothing lost).
    It stops working once used or after PASSWORD_RESET_TIMEOUT. Audited."""
    from accounts.services import set_password_path

    audit_record(actor=clinician, clinic=patient.clinic, action=AuditEvent.Action.PASSPHRASE_LINK, patient=patient)
    return set_password_path(user=patient.user)


class SharingOff(Exception):
    """The patient has chosen not to share progress with their clinic."""


@transaction.atomic
def progress_sharing_set(*, patient: Patient, share: bool) -> None:
    """Turn sharing of lesson progress on or off. Off deletes what the server
    holds (the clinic then sees "not shared"); on again, the phone re-sends
    what it has. Audited either way, so the clinic knows why data vanished."""
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if patient.shares_progress == share:
        return
    patient.shares_progress = share
    patient.save(update_fields=["shares_progress"])
    if not share:
        LessonProgress.objects.filter(patient=patient).delete()
    audit_record(
        actor=patient.user, clinic=patient.clinic, patient=patient,
        action=AuditEvent.Action.SHARING_STARTED if share else AuditEvent.Action.SHARING_STOPPED,
    )


@transaction.atomic
def progress_record(*, patient: Patient, item: ProgressInput) -> LessonProgress:
    """Record a lesson done and/or its quiz result. Idempotent: one row per
    patient and lesson; the first completion time is kept, and the best quiz
    score (see LessonProgress). Raises SharingOff if the patient has
    stopped sharing."""
    # Lock the patient row: a "stop sharing" at the same moment waits, so no
    # row can slip in after its delete.
    if Patient.objects.select_for_update().filter(pk=patient.pk, shares_progress=True).first() is None:
        raise SharingOff
    lesson = Lesson.objects.for_clinic(patient.clinic).filter(slug=item.slug).first()
    if lesson is None:
        raise ProgressError("No such lesson.")
    if item.total is not None and item.total != lesson.quiz_total:
        raise ProgressError("total does not match this lesson's check.")
    now = timezone.now()
    try:
        with transaction.atomic():
            LessonProgress.objects.get_or_create(patient=patient, lesson=lesson)
    except IntegrityError:
        pass  # another request created it between our read and our insert
    # Lock the row so two requests at once cannot both lower or both set it.
    progress = LessonProgress.objects.select_for_update().get(patient=patient, lesson=lesson)
    changed = False
    if item.done and progress.completed_at is None:
        progress.completed_at = now
        changed = True
    if item.score is not None and (progress.score is None or item.score > progress.score):
        progress.score, progress.total = item.score, item.total
        changed = True
    if changed:
        progress.updated_at = now
        progress.save()
    return progress


# --- Export ------------------------------------------------------------------

CSV_HEADER = ["patient", "lesson", "due_date", "status", "completed_at", "score", "total", "note"]


def _csv_safe(value: object) -> str:
    """Keep spreadsheet apps from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def progress_export_csv(*, clinic: Clinic, actor: User, today: date | None = None) -> str:
    """Every active assignment of the clinic with its status, as CSV; written
    to the audit log."""
    today = today or timezone.localdate()
    rows = (
        Assignment.objects.for_clinic(clinic).active().with_completion()
        .select_related("patient", "lesson").order_by("patient__label", "patient_id", "due_date", "lesson__order")
    )
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    count = 0
    exported: dict[int, Patient] = {}
    for a in rows:
        exported.setdefault(a.patient_id, a.patient)
        if not a.patient.shares_progress:
            status = "not shared"
        else:
            status = "done" if a.completed_at else ("overdue" if a.due_date < today else "open")
        writer.writerow(
            [
                _csv_safe(a.patient.label),
                a.lesson.slug,
                a.due_date.isoformat(),
                status,
                a.completed_at.isoformat() if a.completed_at else "",
                "" if a.score is None else a.score,
                "" if a.total is None else a.total,
                _csv_safe(a.note),
            ]
        )
        count += 1
    audit_record(actor=actor, clinic=clinic, action=AuditEvent.Action.EXPORTED, detail=f"{count} rows")
    # One line per patient too, so each patient's own record ("who looked at
    # my data", /me/ export) shows that their progress left in a file.
    now = timezone.now()
    AuditEvent.objects.bulk_create(
        AuditEvent(
            clinic=clinic, actor=actor, actor_username=actor.username, action=AuditEvent.Action.EXPORTED,
            patient=patient, patient_label=patient.label, detail="Included in a progress export (CSV)", created_at=now,
        )
        for patient in exported.values()
    )
    return out.getvalue()
