"""Writes and multi-model steps for clinics. Views call these; nothing here
reads the request."""

import csv
import zoneinfo
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from itertools import islice

from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone
from django.utils.text import slugify
from django.utils.translation import gettext, gettext_lazy, gettext_noop

from accounts.mfa import sign_in_reset
from accounts.models import User
from accounts.services import admin_log_delete, is_staff_account, sessions_end_all, set_password_path
from accounts.signals import SecurityEvent
from lessons.models import Lesson

from .models import (
    Assignment,
    AuditEvent,
    Clinic,
    CravingSummary,
    Invite,
    LessonProgress,
    Membership,
    Patient,
    PatientQuerySet,
    SyncedItem,
    validate_time_zone,
)


class InviteUnavailable(Exception):
    """The code is unknown, used or expired."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason  # "unknown" | "used" | "expired"


# --- Audit -------------------------------------------------------------------


def audit_record(
    *, actor: User | None, clinic: Clinic | None, action: str, patient: Patient | None = None, detail: str = ""
) -> AuditEvent:
    """Append one line to the clinic's audit log (clinic None: a site
    superuser's own security events). A patient is named by id only, and a
    patient acting on their own data has no username in the line: deleting
    their account leaves every line as it is, naming no one."""
    own = actor is not None and patient is not None and actor.pk == patient.user_id
    return AuditEvent.objects.create(
        clinic=clinic,
        actor=actor,
        actor_username="" if own else getattr(actor, "username", "") or "",
        action=action,
        patient=patient,
        detail=detail[:500],
    )


def patients_viewed_record(*, actor: User, patients: Iterable[Patient | None], detail: str) -> None:
    """One "viewed" line per patient (each in their clinic's log), in one
    INSERT: for pages that show many patients at once (the Django admin's lists)."""
    seen = {patient.pk: patient for patient in patients if patient is not None}
    AuditEvent.objects.bulk_create(
        AuditEvent(
            clinic_id=patient.clinic_id, actor=actor, actor_username=actor.username,
            action=AuditEvent.Action.PATIENT_VIEWED, patient=patient, detail=detail[:500],
        )
        for patient in seen.values()
    )


# What the clinic's audit trail records of a patient's account security:
# what happened through a link the clinic made, or done by its staff.
PATIENT_SECURITY_EVENTS = {SecurityEvent.PASSWORD_SET_BY_LINK, SecurityEvent.LINK_USED_BY_STAFF}


def security_event_record(*, user: User, event: str, detail: str = "", by: User | None = None) -> AuditEvent | None:
    """An account's security event (accounts.signals.security_event) in the
    audit trail: a staff member's in their clinic's (a superuser's who is no
    clinic's staff, in the site's, seen in the Django admin); a patient's
    only when it is one of PATIENT_SECURITY_EVENTS. Patients' sign-ins are
    not recorded."""
    membership = Membership.objects.select_related("clinic").filter(user=user).first()
    if membership is not None or user.is_staff or user.is_superuser:
        clinic = membership.clinic if membership is not None else None
        return audit_record(actor=by or user, clinic=clinic, action=event, detail=detail)
    if event in PATIENT_SECURITY_EVENTS:
        patient = Patient.objects.select_related("clinic").filter(user=user).first()
        if patient is not None:
            return audit_record(actor=by, clinic=patient.clinic, action=event, patient=patient, detail=detail)
    return None


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


def site_administrator(user: User) -> bool:
    """Django staff or a superuser: an account that opens every clinic, which
    no clinic's admins may change (nor see its set-password link)."""
    return user.is_staff or user.is_superuser


def _clinic_may_manage(*, clinic: Clinic, membership: Membership) -> User:
    """The member's account, if the clinic's admins may change it: not a
    site administrator's, whose account opens every clinic; a clinic admin
    can only remove them from the clinic."""
    if membership.clinic_id != clinic.pk:
        raise ValueError("the staff member must belong to the clinic")
    user = membership.user
    if site_administrator(user):
        raise ValueError(
            gettext(
                "%(username)s is a site administrator: you can remove them from this clinic, "
                "but not change their account."
            )
            % {"username": user.username}
        )
    return user


@transaction.atomic
def staff_deactivate(*, clinic: Clinic, by: User, membership: Membership) -> None:
    """A staff member leaves: their account can no longer sign in, and every
    session they have open ends on its next request. Audited. Refused for
    oneself (a clinic must not lose its last admin by a slip) and for a site
    administrator who is a member (staff_remove instead)."""
    user = _clinic_may_manage(clinic=clinic, membership=membership)
    if user.pk == by.pk:
        raise ValueError(gettext("You cannot deactivate your own account."))
    if not user.is_active:
        return
    user.is_active = False
    user.save(update_fields=["is_active"])
    sessions_end_all(user=user)
    audit_record(
        actor=by, clinic=clinic, action=AuditEvent.Action.STAFF_DEACTIVATED,
        detail=f"{user.username} ({membership.role})",
    )


@transaction.atomic
def staff_reactivate(*, clinic: Clinic, by: User, membership: Membership) -> None:
    """A deactivated staff member comes back: their account can sign in
    again (with the password and authenticator they had). Audited."""
    user = _clinic_may_manage(clinic=clinic, membership=membership)
    if user.is_active:
        return
    user.is_active = True
    user.save(update_fields=["is_active"])
    audit_record(
        actor=by, clinic=clinic, action=AuditEvent.Action.STAFF_REACTIVATED,
        detail=f"{user.username} ({membership.get_role_display()})",
    )


def staff_sign_in_reset(*, clinic: Clinic, by: User, membership: Membership) -> str:
    """A staff member lost their phone or password: a one-time link with
    which they set a new password and connect a new authenticator app (the
    old one and their recovery codes stop working, and every session ends).
    Audited (the security event of accounts.mfa.sign_in_reset); the clinic's
    other admins are told at their next sign-in. Not for oneself, nor for a
    deactivated account or a site administrator."""
    user = _clinic_may_manage(clinic=clinic, membership=membership)
    if user.pk == by.pk:
        raise ValueError(gettext("Ask another clinic admin to reset your own sign-in."))
    if not user.is_active:
        raise ValueError(gettext("Reactivate %(username)s first.") % {"username": user.username})
    return sign_in_reset(user=user, by=by)


@transaction.atomic
def staff_remove(*, clinic: Clinic, by: User, membership: Membership) -> None:
    """Take a member off the clinic's staff, account untouched: for a site
    administrator who is a member (their account is not the clinic's to
    change). Audited."""
    if membership.clinic_id != clinic.pk:
        raise ValueError("the staff member must belong to the clinic")
    if membership.user_id == by.pk:
        raise ValueError(gettext("You cannot remove yourself from the clinic."))
    detail = f"{membership.user.username} ({membership.get_role_display()})"
    membership.delete()
    audit_record(actor=by, clinic=clinic, action=AuditEvent.Action.STAFF_REMOVED, detail=detail)


# What a clinic admin is told at their next full sign-in: changes to how the
# clinic's staff sign in that someone else made.
TOLD_TO_ADMINS = (AuditEvent.Action.SECOND_FACTOR_ADDED, AuditEvent.Action.SIGN_IN_RESET)


def staff_sign_in_changes_since_last_sign_in(*, admin: User, clinic: Clinic, limit: int = 10) -> list[AuditEvent]:
    """Others' sign-in changes in the clinic since the admin's previous full
    sign-in (their second-to-last second step; the last is this one)."""
    full_sign_ins = AuditEvent.objects.filter(
        actor=admin, action__in=[AuditEvent.Action.SECOND_FACTOR_PASSED, AuditEvent.Action.RECOVERY_CODE_USED]
    ).order_by("-pk").values_list("pk", flat=True)
    previous = full_sign_ins[1:2].first() or 0
    return list(
        AuditEvent.objects.filter(clinic=clinic, action__in=TOLD_TO_ADMINS, pk__gt=previous)
        .exclude(actor=admin).order_by("pk")[:limit]
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
    # The invite by number: its label is the patient's, and audit lines name no patient.
    audit_record(actor=created_by, clinic=clinic, action=AuditEvent.Action.INVITE_CREATED, detail=f"#{invite.pk}")
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
def invite_redeem(*, code: str, username: str, password: str, language: str = "") -> Patient:
    """Create the patient's account from an invite, once. `language` is the
    one the join page was read in: a new patient shares progress, so the
    clinic sees it (progress_sharing_set forgets it when they stop).

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
        raise ValueError(gettext("That username is taken. Please choose another.")) from error
    # A new patient has nothing assigned: the stored progress's defaults are its count.
    patient = Patient.objects.create(user=user, clinic=invite.clinic, label=invite.label, language=language)
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
    # The patients' rows locked first (in id order, as refresh_progress locks
    # them): two clinicians assigning at once (or a double click) take turns,
    # and the second finds the first's assignment to update. Locking only the
    # assignments that exist let both insert, and the second failed on the
    # one-active-assignment constraint (PostgreSQL; SQLite writes one at a time).
    list(Patient.objects.select_for_update().filter(pk__in=[p.pk for p in patients]).order_by("pk").values_list("pk"))
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


# --- Sharing -----------------------------------------------------------------


@dataclass(frozen=True)
class SharingCategory:
    field: str  # the Patient flag
    description: str  # for the audit log and messages
    synced_type: str | None  # the synced items of this kind, deleted when it is turned off


SHARING = {
    # The descriptions are English in the audit log and translated on /me/.
    "lessons": SharingCategory(
        "shares_progress", gettext_noop("lesson progress and check scores"), SyncedItem.Type.LESSON_COMPLETED
    ),
    "cravings": SharingCategory("shares_cravings", gettext_noop("craving summaries"), SyncedItem.Type.CRAVING_LOGGED),
    "notes": SharingCategory("shares_craving_notes", gettext_noop("craving notes"), None),
}


class SharingError(ValueError):
    """A choice that cannot be made as asked; the message is safe to show."""


def sharing_of(patient: Patient) -> dict[str, bool]:
    """The patient's choices, by category name (as the phone receives them)."""
    return {name: getattr(patient, category.field) for name, category in SHARING.items()}


@transaction.atomic
def sharing_set(*, patient: Patient, category: str, share: bool, language: str = "") -> Patient:
    """Turn sharing of one category on or off. Off deletes what the server
    holds of it (the clinic then sees "not shared") and is audited, so the
    clinic knows why data vanished; turning craving summaries off turns
    their notes off too. Notes can only be shared with the summaries. The
    patient's `language` (the one they use Crest in) goes with their lesson
    progress: kept when they share it, forgotten when they stop."""
    if category not in SHARING:
        raise SharingError(gettext("Unknown kind of data."))
    # Lock the patient row: an item being stored at the same moment either
    # lands before this delete or sees the new choice (clinics.phone.sync).
    patient = Patient.objects.select_for_update().get(pk=patient.pk)
    if category == "notes" and share and not patient.shares_cravings:
        raise SharingError(gettext("Share your craving summaries first: a note is shared with its craving."))
    if category == "cravings" and not share and patient.shares_craving_notes:
        _sharing_change(patient, "notes", share=False)
    _sharing_change(patient, category, share=share, language=language)
    return patient


def _sharing_change(patient: Patient, name: str, *, share: bool, language: str = "") -> None:
    category = SHARING[name]
    if getattr(patient, category.field) == share:
        return
    setattr(patient, category.field, share)
    fields = [category.field]
    if name == "lessons":
        patient.language = language if share else ""
        fields.append("language")
    patient.save(update_fields=fields)  # stored progress follows (clinics.hooks)
    if name == "lessons" and not share:
        LessonProgress.objects.filter(patient=patient).delete()
    if not share:
        if name == "notes":
            CravingSummary.objects.filter(patient=patient).exclude(note="").update(note="")
        if category.synced_type:
            # The receipts go too: they hold when each thing happened.
            SyncedItem.objects.filter(patient=patient, type=category.synced_type).delete()
    audit_record(
        actor=patient.user, clinic=patient.clinic, patient=patient, detail=category.description,
        action=AuditEvent.Action.SHARING_STARTED if share else AuditEvent.Action.SHARING_STOPPED,
    )


def patient_passphrase_link(*, clinician: User, patient: Patient) -> str:
    """A one-time link with which a patient who forgot their passphrase sets a
    new one on their own account (no second patient record, nothing lost).
    It stops working once used or after PASSWORD_RESET_TIMEOUT. Audited."""
    audit_record(actor=clinician, clinic=patient.clinic, action=AuditEvent.Action.PASSPHRASE_LINK, patient=patient)
    return set_password_path(user=patient.user)


# --- A patient's own data: export and deletion (asked by accounts) ---------

# Lazy: shown on /me/ and written into the export in the reader's language.
KEPT_AFTER_DELETION = [
    {
        "what": gettext_lazy("One line in your clinic’s audit log saying that a patient record was deleted"),
        "why": gettext_lazy(
            "So the clinic can account for every record it had. The line has no username, no label and nothing you did."
        ),
    },
    {
        "what": gettext_lazy(
            "Your clinic’s audit log lines about what its staff did, such as viewing a patient’s page. "
            "They name a patient by a number only, never by label or username"
        ),
        "why": gettext_lazy(
            "So the clinic can still show who looked at patient records, and when. Audit lines are never changed or "
            "deleted; once your account is gone, the number names no one."
        ),
    },
]


def patient_data_export(*, user: User) -> dict:
    """What clinics holds about this person, for their "my data" export."""
    patient = Patient.objects.select_related("clinic").filter(user=user).first()
    if patient is None:
        return {}
    today = patient.clinic.today()
    assignments = (
        Assignment.objects.for_patient(patient).with_status(today=today).select_related("lesson")
        .order_by("created_at", "pk")
    )
    return {
        "clinic": {
            "name": patient.clinic.name,
            "your_label_there": patient.label,
            "joined": patient.created_at.isoformat(),
            # Kept only while you share your lesson progress with the clinic.
            "your_language_there": patient.language,
        },
        "sharing": sharing_of(patient),
        "assignments": [
            {
                "lesson": a.lesson.slug,
                "title": a.lesson.text.title,
                "due_date": a.due_date.isoformat(),
                "status": a.status,
                "note": a.note,
                "assigned_at": a.created_at.isoformat(),
                "withdrawn_at": a.withdrawn_at.isoformat() if a.withdrawn_at else None,
            }
            for a in assignments
        ],
        "lesson_progress": [
            {
                "lesson": p.lesson.slug,
                "completed_at": p.completed_at.isoformat() if p.completed_at else None,
                "score": p.score,
                "total": p.total,
            }
            for p in LessonProgress.objects.filter(patient=patient).select_related("lesson").order_by("lesson__order")
        ],
        "craving_summaries": [
            {
                "id": str(c.item_id),
                "at": c.at.isoformat(),
                "intensity_before": c.intensity_before,
                "intensity_after": c.intensity_after,
                "tool": c.tool or None,
                "outcome": c.outcome or None,
                "triggers": c.triggers,
                "note": c.note,
            }
            for c in CravingSummary.objects.filter(patient=patient).order_by("at")
        ],
        # Who at the clinic looked at this person's data, and when.
        "clinic_access_log": [
            {
                "when": e.created_at.isoformat(),
                "who": e.actor_username,
                "what": e.get_action_display(),
                "detail": e.detail,
            }
            for e in AuditEvent.objects.filter(patient=patient)
        ],
    }


def staff_data_export(*, user: User) -> dict:
    """What clinics holds about a staff member, for their "my data" export:
    their place at the clinic, and the audit lines under their name (their
    sign-ins, with the address they came from, and what they did). A line
    names no patient: which records were opened is the clinic's to read."""
    if not is_staff_account(user):
        return {}
    membership = Membership.objects.select_related("clinic").filter(user=user).first()
    return {
        "staff": None if membership is None else {
            "clinic": membership.clinic.name, "role": membership.get_role_display(),
        },
        "your_audit_lines": [
            {"when": e.created_at.isoformat(), "what": e.get_action_display(), "detail": e.detail_text}
            for e in AuditEvent.objects.filter(actor=user).order_by("created_at", "pk")
        ],
    }


# What a staff member's deletion leaves: their lines in the audit log.
STAFF_KEPT_AFTER_DELETION = [
    {
        "what": gettext_lazy("Your sign-ins and what you did, in your clinic’s audit log"),
        "why": gettext_lazy(
            "Staff sign-ins (with the address they came from), wrong passwords and codes, and each patient record "
            "opened stay in the clinic’s audit log under your username, so the clinic can always show who saw "
            "what. Audit lines are never changed or deleted."
        ),
    },
]


def kept_after_deletion(*, user: User) -> list[dict]:
    """What clinics keeps after this account is deleted: a patient's lines, or a staff member's."""
    if Patient.objects.filter(user=user).exists():
        return list(KEPT_AFTER_DELETION)
    if Membership.objects.filter(user=user).exists():
        return list(STAFF_KEPT_AFTER_DELETION)
    return []


@transaction.atomic
def patient_data_delete(*, user: User) -> None:
    """Before a patient's account is deleted: remove their invite and add one
    line to the clinic's audit log saying that this patient record was
    deleted. The audit log's lines are not touched (they name the patient by
    id only, which then names no one). The rest (assignments, progress,
    synced items, craving summaries) goes with the patient row (cascade)."""
    patient = Patient.objects.select_related("clinic").filter(user=user).first()
    if patient is None:
        return
    # The Django admin's log names each object it changed (a label, "lesson
    # for LABEL"): its entries about anything of the patient's go too.
    admin_log_delete(
        objects=[
            patient,
            *Invite.objects.filter(patient=patient),
            *Assignment.objects.filter(patient=patient).only("pk"),
            *LessonProgress.objects.filter(patient=patient).only("pk"),
        ]
    )
    Invite.objects.filter(patient=patient).delete()
    audit_record(actor=None, clinic=patient.clinic, action=AuditEvent.Action.ACCOUNT_DELETED, patient=patient)


def staff_delete_refusal(*, user: User) -> str | None:
    """A clinic keeps an admin: its only active admin cannot delete their
    account, or nobody would be left to manage its staff and read its audit
    log. (A site administrator can still remove anyone in the Django admin.)"""
    membership = Membership.objects.select_related("clinic").filter(user=user).first()
    if membership is None or not membership.is_admin or not user.is_active:
        return None
    if transaction.get_connection().in_atomic_block:
        # Asked inside the deletion's transaction: two admins deleting at once
        # take turns on the clinic's row, and the second then sees the first gone.
        Clinic.objects.select_for_update().filter(pk=membership.clinic_id).first()
    admins = Membership.objects.filter(clinic=membership.clinic, role=Membership.Role.ADMIN, user__is_active=True)
    if admins.exclude(user=user).exists():
        return None
    return gettext(
        "You are the only admin of %(clinic)s. Add another admin on the Staff page first, "
        "so someone can still manage its staff and read its audit log."
    ) % {"clinic": membership.clinic.name}


def staff_data_delete(*, user: User) -> None:
    """Before a staff member's account is deleted: one line in their clinic's
    audit log (their membership goes with the account)."""
    membership = Membership.objects.select_related("clinic").filter(user=user).first()
    if membership is None:
        return
    audit_record(
        actor=user, clinic=membership.clinic, action=AuditEvent.Action.STAFF_REMOVED,
        detail=f"{user.username} ({membership.get_role_display()}) deleted their own account",
    )


# --- Stored progress ---------------------------------------------------------

PROGRESS_FIELDS = ("assigned_count", "done_count", "earliest_due_not_done", "last_activity")
RECOUNT_CHUNK = 500  # patients per recount UPDATE (and per lock held)


@dataclass(frozen=True)
class ProgressCorrection:
    patient_id: int
    clinic: str  # its slug
    stored: tuple  # PROGRESS_FIELDS as they were stored
    counted: tuple  # and as counted now


def progress_recount(*, patients: PatientQuerySet) -> tuple[int, list[ProgressCorrection]]:
    """Compare these patients' stored progress with a count made now and
    recount those that differ: the safety net for writes that send no
    signals (bulk_create, QuerySet.update, raw SQL; docs/clinics.md).
    Idempotent: run again, it corrects nothing. Each RECOUNT_CHUNK patients
    are recounted in a transaction of their own, so a phone's sync never
    waits on all of them. Returns how many patients were checked and what
    was corrected."""
    counted = [f"counted_{name}" for name in PROGRESS_FIELDS]
    rows = (
        patients.with_counted_progress().order_by("pk")
        .values_list("pk", "clinic__slug", *PROGRESS_FIELDS, *counted)
    )
    checked, corrections = 0, []
    for pk, clinic, *values in rows.iterator(chunk_size=EXPORT_CHUNK):
        checked += 1
        stored, now = tuple(values[: len(PROGRESS_FIELDS)]), tuple(values[len(PROGRESS_FIELDS) :])
        if stored != now:
            corrections.append(ProgressCorrection(patient_id=pk, clinic=clinic, stored=stored, counted=now))
    for start in range(0, len(corrections), RECOUNT_CHUNK):
        chunk = corrections[start : start + RECOUNT_CHUNK]
        Patient.objects.filter(pk__in=[correction.patient_id for correction in chunk]).refresh_progress()
    return checked, corrections


# --- Export ------------------------------------------------------------------

CSV_HEADER = ["patient", "lesson", "due_date", "status", "completed_at", "score", "total", "note"]


def _csv_safe(value: object) -> str:
    """Keep spreadsheet apps from running a cell as a formula (CSV injection)."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


EXPORT_CHUNK = 2_000  # rows per fetch and lines per piece sent: memory stays flat however many patients


class _Line:
    """csv.writer's file: each write() hands back the line it was given."""

    def write(self, line: str) -> str:
        return line


def progress_export_csv(*, clinic: Clinic, actor: User, today: date | None = None) -> Iterator[str]:
    """Every active assignment of the clinic with its status (an
    Assignment.Status value), as CSV lines to stream. Audited before the
    first line: one row for the export, and one per patient included (so
    each patient's own record, "who looked at my data" and the /me/ export,
    shows that their progress left in a file). A patient who does not share
    progress shows "not_shared" and no completion or score."""
    assignments = Assignment.objects.for_clinic(clinic).active()
    rows = (
        assignments.with_completion().with_status(today=today or clinic.today())
        .order_by("patient__label", "patient_id", "due_date", "lesson__order")
        .values_list("patient__label", "lesson__slug", "due_date", "status", "completed_at", "score", "total", "note")
    )
    with transaction.atomic():
        audit_record(
            actor=actor, clinic=clinic, action=AuditEvent.Action.EXPORTED, detail=f"{assignments.count()} rows"
        )
        _audit_each_patient(
            Patient.objects.for_clinic(clinic).filter(Exists(assignments.filter(patient=OuterRef("pk")))),
            actor=actor, clinic=clinic, action=AuditEvent.Action.EXPORTED,
            detail=gettext_noop("Included in a progress export (CSV)"),
        )
    return _csv_lines(rows.iterator(chunk_size=EXPORT_CHUNK), zone=clinic.zone)


def _csv_lines(rows: Iterable[tuple], *, zone: zoneinfo.ZoneInfo) -> Iterator[str]:
    """The CSV in pieces of EXPORT_CHUNK lines: one write to the socket per
    piece, not per line (400,000 small writes take longer than the query).
    Times are the clinic's, as on its pages (due dates are its calendar
    days): ISO 8601 to the second, with the offset."""
    writer = csv.writer(_Line())
    lines = [writer.writerow(CSV_HEADER)]
    for label, slug, due_date, status, completed_at, score, total, note in rows:
        if len(lines) >= EXPORT_CHUNK:
            yield "".join(lines)
            lines = []
        shared = status != Assignment.Status.NOT_SHARED
        row = [
            _csv_safe(label),
            slug,
            due_date.isoformat(),
            status,
            completed_at.astimezone(zone).isoformat(timespec="seconds") if shared and completed_at else "",
            "" if not shared or score is None else score,
            "" if not shared or total is None else total,
            _csv_safe(note),
        ]
        lines.append(writer.writerow(row))
    yield "".join(lines)


def _audit_each_patient(patients: models.QuerySet, *, actor: User, clinic: Clinic, action: str, detail: str) -> None:
    """One audit row per patient of `patients`, inserted EXPORT_CHUNK at a
    time (each row's hash chains to the one before, so the rows are made
    here; memory stays flat however many patients)."""
    created_at = timezone.now()
    ids = patients.order_by("pk").values_list("pk", flat=True).iterator(chunk_size=EXPORT_CHUNK)
    with transaction.atomic():
        while chunk := list(islice(ids, EXPORT_CHUNK)):
            AuditEvent.objects.bulk_create(
                AuditEvent(
                    clinic=clinic, actor=actor, actor_username=actor.username, action=action, patient_id=pk,
                    detail=detail[:500], created_at=created_at,
                )
                for pk in chunk
            )
