"""Clinics, their staff, their patients, what is assigned, what is done,
and the audit log of who looked at whose data."""

import hashlib
import json
import re
import secrets
import zoneinfo
from datetime import UTC, date, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connections, models, router, transaction
from django.db.models import (
    Case,
    CharField,
    Count,
    Exists,
    F,
    FilteredRelation,
    IntegerField,
    Max,
    Min,
    OuterRef,
    Q,
    Subquery,
    Value,
    When,
)
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.formats import date_format
from django.utils.translation import gettext, ngettext
from django.utils.translation import gettext_lazy as _

from accounts.signals import SecurityEvent
from lessons.models import Lesson

INVITE_LIFETIME = timedelta(days=7)
# settings.LANGUAGES, named in the reader's language.
LANGUAGE_NAMES = {"en": _("English"), "es": _("Spanish")}


def new_invite_code() -> str:
    # 16 random bytes: unguessable, and short enough for a QR code a cheap
    # phone camera reads at arm's length.
    return secrets.token_urlsafe(16)


def default_invite_expiry():
    return timezone.now() + INVITE_LIFETIME


def validate_time_zone(value: str) -> None:
    if value not in zoneinfo.available_timezones():
        raise ValidationError(f"“{value}” is not a time zone name such as America/New_York or Europe/London.")


class Clinic(models.Model):
    name = models.CharField(max_length=200)
    slug = models.SlugField(unique=True)
    # Due dates and "overdue" follow the clinic's calendar day, not the server's.
    time_zone = models.CharField(
        max_length=64, default="UTC", validators=[validate_time_zone],
        help_text="An IANA time zone name, e.g. America/New_York or Europe/London.",
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        try:
            return zoneinfo.ZoneInfo(self.time_zone)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError):
            return zoneinfo.ZoneInfo("UTC")

    def today(self) -> date:
        """The clinic's calendar day: what "due today" and "overdue" follow."""
        return timezone.localdate(timezone=self.zone)


class Membership(models.Model):
    """A staff member of one clinic. One clinic per staff login keeps every
    clinic page scoped by `request.clinic` with no clinic picker."""

    class Role(models.TextChoices):
        ADMIN = "admin", _("Clinic admin")
        CLINICIAN = "clinician", _("Clinician")

    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="membership")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="memberships")
    role = models.CharField(max_length=20, choices=Role.choices, default=Role.CLINICIAN)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["clinic", "user__username"]

    def __str__(self) -> str:
        return f"{self.user} ({self.get_role_display()}, {self.clinic})"

    @property
    def is_admin(self) -> bool:
        return self.role == self.Role.ADMIN


class PatientQuerySet(models.QuerySet):
    def for_clinic(self, clinic: Clinic) -> "PatientQuerySet":
        """Patients of one clinic; every clinic page starts here."""
        return self.filter(clinic=clinic)

    def progress_rows(self, *fields: str, today: date) -> list[dict]:
        """These patients as dicts of `fields` (and pk), read from the stored progress.
        The overdue count depends on the day: any row counted for another day
        than `today` (the clinic's day), or not since a write, is recounted
        first (refresh_overdue), so a page of 25 costs one plain query on
        most views and one small UPDATE on the first view of a day."""
        names = list(dict.fromkeys(("pk", *fields, "overdue_counted_on")))
        rows = list(self.values(*names))
        stale = [row["pk"] for row in rows if row["overdue_counted_on"] != today]
        if stale:
            Patient.objects.filter(pk__in=stale).refresh_overdue(today=today)
            rows = list(self.values(*names))
        return rows

    def refresh_progress(self) -> int:
        """Recount these patients' stored progress (assigned_count, done_count,
        earliest_due_not_done, last_activity) from their assignments' statuses
        and lesson progress, in one UPDATE.
        The receivers in clinics.hooks call it after every save or delete of
        an assignment or lesson progress and every save of a patient's
        sharing choice; writes that send no signals (bulk_create,
        QuerySet.update, raw SQL) call it themselves (docs/clinics.md).
        Returns the rows updated."""
        # No savepoint: it runs after every such write, inside the writer's
        # transaction; if it fails, the write fails with it.
        with transaction.atomic(using=self.db, savepoint=False):
            # Lock the rows first: the UPDATE's snapshot is then taken once a
            # concurrent writer to the same patient has committed (PostgreSQL's
            # READ COMMITTED takes one per statement), so of two writers the
            # second to recount sees both writes.
            list(self.select_for_update().order_by("pk").values_list("pk", flat=True))
            # The overdue count is counted for a day: the next view recounts it.
            return self.update(**counted_progress(), overdue_counted_on=None)

    def refresh_overdue(self, *, today: date) -> int:
        """Count these patients' overdue assignments (Assignment.Status.OVERDUE,
        so none for a patient who does not share progress) as of `today`,
        and store the count with the day. Rows locked first, as in
        refresh_progress: a writer's recount waits for this one, or this one
        for the writer's, and then sees its write."""
        overdue = Assignment.objects.filter(patient=OuterRef("pk")).active().with_status(today=today)
        with transaction.atomic(using=self.db, savepoint=False):
            list(self.select_for_update().order_by("pk").values_list("pk", flat=True))
            return self.update(
                overdue_count=_count(overdue.filter(status=Assignment.Status.OVERDUE)), overdue_counted_on=today
            )

    def with_counted_progress(self) -> "PatientQuerySet":
        """Annotate what refresh_progress() would store, as counted_<field>
        (services.progress_recount compares the two)."""
        return self.annotate(**{f"counted_{name}": value for name, value in counted_progress().items()})

    def overdue(self, *, today: date) -> "PatientQuerySet":
        """Something assigned, not done and due before `today` (the clinic's
        day): an Assignment.Status.OVERDUE, read from the stored progress."""
        return self.filter(earliest_due_not_done__lt=today)

    def not_started(self) -> "PatientQuerySet":
        """Something is assigned and none of it is done yet (only patients who
        share progress: for the others "not done" is unknown)."""
        return self.filter(shares_progress=True, assigned_count__gt=0, done_count=0)


def counted_progress() -> dict:
    """The stored progress fields, each as the expression that counts it
    afresh for a patient row: one definition for the recount and its check."""
    # Done or not does not depend on the day: any day gives the same split.
    statuses = Assignment.objects.filter(patient=OuterRef("pk")).active().with_status(today=date.today())
    not_done = (
        statuses.filter(status__in=NOT_DONE_STATUSES).order_by().values("patient")
        .annotate(earliest=Min("due_date")).values("earliest")
    )
    last_progress = (
        LessonProgress.objects.filter(patient=OuterRef("pk")).order_by().values("patient")
        .annotate(last=Max("updated_at")).values("last")
    )
    return {
        "assigned_count": _count(statuses),
        "done_count": _count(statuses.filter(status=Assignment.Status.DONE)),
        "earliest_due_not_done": Subquery(not_done),
        "last_activity": Subquery(last_progress),
    }


def _count(queryset: models.QuerySet) -> Coalesce:
    """The number of rows of a queryset correlated on a patient, as a subquery."""
    grouped = queryset.order_by().values("patient").annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(grouped, output_field=IntegerField()), Value(0))


class Patient(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="patient")
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="patients")
    label = models.CharField(
        max_length=100,
        help_text="The clinic's own label for this person (initials, chart number). Never shown to others.",
    )
    # The patient's choices, each revocable at any time from /me/. Off: the
    # server deletes what it held of that kind and stores no more (the phone
    # keeps its own). Notes need craving summaries on (sharing_set).
    shares_progress = models.BooleanField("share lesson progress and check scores", default=True)
    shares_cravings = models.BooleanField("share craving summaries", default=False)
    shares_craving_notes = models.BooleanField("share the notes written with cravings", default=False)
    # The language the patient reads Crest in, kept only while they share
    # their lesson progress (set when they join or share it again, emptied
    # when they stop): it is about them, so it goes with what they share.
    language = models.CharField(max_length=10, blank=True, choices=settings.LANGUAGES)
    created_at = models.DateTimeField(auto_now_add=True)
    # Stored progress, so the dashboard filters and pages with indexes instead
    # of counting every patient's assignments: recounted by
    # PatientQuerySet.refresh_progress() after every write that changes them
    # (clinics.hooks; docs/clinics.md says which writes recount themselves).
    # The earliest due date among the assignments not done yet (null when
    # none, or when the patient does not share progress).
    assigned_count = models.PositiveIntegerField(default=0, editable=False)
    done_count = models.PositiveIntegerField(default=0, editable=False)
    earliest_due_not_done = models.DateField(null=True, blank=True, editable=False)
    # When the patient's lesson progress last changed (null when none).
    last_activity = models.DateTimeField(null=True, blank=True, editable=False)
    # Overdue depends on the day as well as on the writes: counted for the
    # clinic's day `overdue_counted_on` (PatientQuerySet.refresh_overdue),
    # emptied by every recount of the rest, and counted again by the next
    # view that shows the patient on another day (progress_rows).
    overdue_count = models.PositiveIntegerField(default=0, editable=False)
    overdue_counted_on = models.DateField(null=True, blank=True, editable=False)

    objects = PatientQuerySet.as_manager()

    class Meta:
        ordering = ["label", "pk"]
        # Chosen with EXPLAIN on PostgreSQL (README, "The dashboard at scale").
        indexes = [
            models.Index(fields=["clinic", "label", "id"], name="patient_clinic_label"),
            models.Index(
                fields=["clinic", "earliest_due_not_done"], name="patient_not_done_due",
                condition=Q(earliest_due_not_done__isnull=False),
            ),
            models.Index(
                fields=["clinic", "label", "id"], name="patient_not_started",
                condition=Q(shares_progress=True, assigned_count__gt=0, done_count=0),
            ),
        ]

    def __str__(self) -> str:
        return self.label

    def get_absolute_url(self) -> str:
        return reverse("clinics:patient_detail", kwargs={"pk": self.pk})

    @property
    def language_name(self) -> str:
        """The patient's language for the clinic to see, named in the page's
        language (settings.LANGUAGES names each in itself, for the switch):
        only while shared."""
        if not (self.shares_progress and self.language):
            return ""
        return str(LANGUAGE_NAMES.get(self.language, self.get_language_display()))


class InviteQuerySet(models.QuerySet):
    def usable(self, *, now=None) -> "InviteQuerySet":
        """Not used and not expired."""
        return self.filter(used_at__isnull=True, expires_at__gt=now or timezone.now())


class Invite(models.Model):
    clinic = models.ForeignKey(Clinic, on_delete=models.CASCADE, related_name="invites")
    label = models.CharField(max_length=100, help_text="The clinic's label for the person invited.")
    code = models.CharField(max_length=64, unique=True, default=new_invite_code, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField(default=default_invite_expiry)
    used_at = models.DateTimeField(null=True, blank=True)
    patient = models.OneToOneField(Patient, null=True, blank=True, on_delete=models.SET_NULL, related_name="invite")

    objects = InviteQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"Invite for {self.label}"

    def get_absolute_url(self) -> str:
        return reverse("clinics:invite_detail", kwargs={"pk": self.pk})

    def get_join_url(self) -> str:
        # No language prefix, whatever the page's language: a secret link has
        # one address, read in the language the phone wants (accounts.language).
        with translation.override(settings.LANGUAGE_CODE):
            return reverse("clinics:join", kwargs={"code": self.code})

    @property
    def is_used(self) -> bool:
        return self.used_at is not None

    @property
    def is_expired(self) -> bool:
        return not self.is_used and self.expires_at <= timezone.now()

    @property
    def status(self) -> str:
        if self.is_used:
            return "used"
        return "expired" if self.is_expired else "open"


class AssignmentStatus(models.TextChoices):
    OPEN = "open", _("Not done yet")
    DUE_TODAY = "due_today", _("Due today")
    OVERDUE = "overdue", _("Overdue")
    DONE = "done", _("Done")
    NOT_SHARED = "not_shared", _("Not shared")
    WITHDRAWN = "withdrawn", _("Withdrawn")


# Active, shared and not done yet: what the dashboard counts as still to do.
NOT_DONE_STATUSES = (AssignmentStatus.OPEN, AssignmentStatus.DUE_TODAY, AssignmentStatus.OVERDUE)


class AssignmentQuerySet(models.QuerySet):
    def active(self) -> "AssignmentQuerySet":
        return self.filter(withdrawn_at__isnull=True)

    def for_clinic(self, clinic: Clinic) -> "AssignmentQuerySet":
        return self.filter(patient__clinic=clinic)

    def for_patient(self, patient: Patient) -> "AssignmentQuerySet":
        return self.filter(patient=patient)

    def with_completion(self) -> "AssignmentQuerySet":
        """Annotate the patient's completion of the assigned lesson (date,
        score, total), joined in the same query (at most one LessonProgress
        per patient and lesson) instead of one lookup per row."""
        return self.annotate(
            completion=FilteredRelation("patient__progress", condition=Q(patient__progress__lesson=F("lesson")))
        ).annotate(
            completed_at=F("completion__completed_at"), score=F("completion__score"), total=F("completion__total")
        )

    def with_status(self, *, today: date) -> "AssignmentQuerySet":
        """The one definition of an assignment's status, as `status` (an
        AssignmentStatus value), in SQL so that lists, counts, the CSV and
        the phone's API all read the same thing. `today` is the clinic's
        calendar day (Clinic.today()). First match wins: withdrawn; not
        shared (the patient does not share progress, so done is unknown);
        done (the lesson is completed, even before it was assigned: they have
        done the reading); overdue; due today; open."""
        completed = LessonProgress.objects.filter(
            patient=OuterRef("patient"), lesson=OuterRef("lesson"), completed_at__isnull=False
        )
        return self.annotate(
            status=Case(
                When(withdrawn_at__isnull=False, then=Value(AssignmentStatus.WITHDRAWN)),
                When(patient__shares_progress=False, then=Value(AssignmentStatus.NOT_SHARED)),
                When(Exists(completed), then=Value(AssignmentStatus.DONE)),
                When(due_date__lt=today, then=Value(AssignmentStatus.OVERDUE)),
                When(due_date=today, then=Value(AssignmentStatus.DUE_TODAY)),
                default=Value(AssignmentStatus.OPEN),
                output_field=CharField(),
            )
        )


class Assignment(models.Model):
    Status = AssignmentStatus

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="assignments")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="assignments")
    due_date = models.DateField()
    note = models.CharField(max_length=300, blank=True)
    assigned_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    withdrawn_at = models.DateTimeField(null=True, blank=True)

    objects = AssignmentQuerySet.as_manager()

    class Meta:
        ordering = ["due_date", "lesson__order", "pk"]
        constraints = [
            # Assigning a lesson that is already assigned updates it instead.
            models.UniqueConstraint(
                fields=["patient", "lesson"], condition=Q(withdrawn_at__isnull=True), name="one_active_assignment"
            )
        ]

    def __str__(self) -> str:
        return f"{self.lesson} for {self.patient} (due {self.due_date})"

    @property
    def status_label(self) -> str:
        """The label of the `status` that with_status() annotated."""
        return AssignmentStatus(self.status).label


def assignments_with_status(today: date) -> AssignmentQuerySet:
    """All assignments with their completion and status (on `today`, the
    clinic's day) and their lesson's title, for a patient's page and phone to
    filter to one patient. Built for each request: a queryset kept between
    requests is one list() away from serving one person's rows to another."""
    return (
        Assignment.objects.with_completion().with_status(today=today)
        .select_related("lesson").defer(*Lesson.reading_fields_through("lesson"))  # titles and slugs only
    )


class LessonProgress(models.Model):
    """What a patient has done with one lesson, as recorded on the server.

    One row per patient and lesson: completing again does not add a row.
    `completed_at` is the earliest completion the phone sent (when it
    happened, not when it arrived); the quiz keeps the best score (a person
    retaking the check to read every explanation should not lower what
    their clinic sees). Written by clinics.phone.sync."""

    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="progress")
    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="+")
    completed_at = models.DateTimeField(null=True, blank=True)
    score = models.PositiveSmallIntegerField(null=True, blank=True)
    total = models.PositiveSmallIntegerField(null=True, blank=True)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        verbose_name_plural = "lesson progress"
        constraints = [models.UniqueConstraint(fields=["patient", "lesson"], name="one_progress_per_lesson")]

    def __str__(self) -> str:
        return f"{self.patient} · {self.lesson}"


class SyncedItem(models.Model):
    """One item a patient's phone sent and the server kept, under the id the
    phone gave it. The primary key is what makes the sync exactly-once: a
    replay, or a second request racing the first, cannot insert the same id
    again (clinics.phone.sync answers it "duplicate")."""

    class Type(models.TextChoices):
        LESSON_COMPLETED = "lesson.completed", _("Lesson completed")
        CRAVING_LOGGED = "craving.logged", _("Craving logged")

    id = models.UUIDField(primary_key=True)
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="synced_items")
    type = models.CharField(max_length=30, choices=Type.choices)
    at = models.DateTimeField(help_text="When it happened, by the phone's clock.")
    received_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [models.Index(fields=["patient", "type"])]

    def __str__(self) -> str:
        return f"{self.get_type_display()} {self.id}"


class CravingSummaryQuerySet(models.QuerySet):
    def since(self, moment) -> "CravingSummaryQuerySet":
        return self.filter(at__gte=moment)


class CravingSummary(models.Model):
    """A craving the patient logged on their phone and chose to share: the
    time, how strong it was before and after, the tool, the outcome and the
    triggers; the note only if they share notes too."""

    item = models.OneToOneField(SyncedItem, primary_key=True, on_delete=models.CASCADE, related_name="craving")
    patient = models.ForeignKey(Patient, on_delete=models.CASCADE, related_name="craving_summaries")
    at = models.DateTimeField()
    intensity_before = models.PositiveSmallIntegerField(null=True, blank=True)
    intensity_after = models.PositiveSmallIntegerField(null=True, blank=True)
    tool = models.CharField(max_length=20, blank=True)
    outcome = models.CharField(max_length=20, blank=True)
    triggers = models.JSONField(default=list, blank=True, help_text="Trigger labels, as the phone shows them.")
    note = models.TextField(blank=True)

    objects = CravingSummaryQuerySet.as_manager()

    class Meta:
        verbose_name_plural = "craving summaries"
        ordering = ["-at"]
        indexes = [models.Index(fields=["patient", "at"])]

    def __str__(self) -> str:
        return f"{self.patient} · craving {self.at:%Y-%m-%d %H:%M}"


# Held while a row is chained to the last one (PostgreSQL): rows are chained
# in the order they are numbered. SQLite's IMMEDIATE transactions already
# let one writer at a time.
AUDIT_CHAIN_LOCK = 0x43524553


def audit_hash(previous: str, *, clinic_id, actor_id, actor_username, action, patient_id, detail, created_at) -> str:
    """A row's hash: SHA-256 of the previous row's hash and this row's
    fields, so that changing or removing any row breaks every hash after it
    (`manage.py verify_audit`)."""
    content = [
        previous, clinic_id, actor_id, actor_username, action, patient_id, detail,
        created_at.astimezone(UTC).isoformat(),
    ]
    return hashlib.sha256(json.dumps(content, ensure_ascii=False, separators=(",", ":")).encode()).hexdigest()


class AuditEventQuerySet(models.QuerySet):
    def chain_head(self) -> str:
        """The last row's hash ("" for none), with the chain locked until
        the transaction ends. Call inside transaction.atomic()."""
        connection = connections[self.db]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [AUDIT_CHAIN_LOCK])
        return self.order_by("-pk").values_list("hash", flat=True).first() or ""

    def bulk_create(self, objs, *args, **kwargs):
        """Chained in the order given, under the chain's lock."""
        objs = list(objs)
        with transaction.atomic(using=self.db):
            previous = self.chain_head()
            for obj in objs:
                previous = obj.hash = obj.chained_hash(previous)
            return super().bulk_create(objs, *args, **kwargs)

    def update(self, **kwargs):
        raise ValueError("Audit rows are append-only.")

    def delete(self):
        raise ValueError("Audit rows are append-only.")


class AuditEvent(models.Model):
    """Append-only: written by services and by accounts' security events
    (clinics.security), readable by clinic admins, never edited or deleted.
    The app refuses (save() of an existing row, update(), delete()), and on
    PostgreSQL so does the database (a trigger, migration 0011). Each row
    carries a hash chained to the row before (audit_hash).

    A row names a patient by id only, never by label or username (a
    patient's own actions have no actor_username): deleting a patient's
    account changes no row, and leaves rows that name no one. The log page
    shows the label while the patient exists."""

    class Action(models.TextChoices):
        PATIENT_VIEWED = "patient_viewed", _("Viewed patient page")
        EXPORTED = "exported", _("Exported progress (CSV)")
        INVITE_CREATED = "invite_created", _("Created invite")
        PATIENT_JOINED = "patient_joined", _("Patient joined")
        ASSIGNED = "assigned", _("Assigned lessons")
        DUE_CHANGED = "due_changed", _("Changed due date")
        WITHDRAWN = "withdrawn", _("Withdrew assignment")
        STAFF_ADDED = "staff_added", _("Added staff member")
        ACCOUNT_DELETED = "account_deleted", _("Patient deleted their account")
        SHARING_STOPPED = "sharing_stopped", _("Patient stopped sharing")
        SHARING_STARTED = "sharing_started", _("Patient started sharing")
        PASSPHRASE_LINK = "passphrase_link", _("Made a new-passphrase link for a patient")
        STAFF_DEACTIVATED = "staff_deactivated", _("Deactivated a staff member")
        STAFF_REACTIVATED = "staff_reactivated", _("Reactivated a staff member")
        STAFF_REMOVED = "staff_removed", _("Removed a staff member from the clinic")
        # Security events, reported by accounts (accounts.signals.SecurityEvent): its values and labels.
        SIGNED_IN = SecurityEvent.SIGNED_IN.value, SecurityEvent.SIGNED_IN.label
        SIGN_IN_FAILED = SecurityEvent.SIGN_IN_FAILED.value, SecurityEvent.SIGN_IN_FAILED.label
        SECOND_FACTOR_ADDED = SecurityEvent.SECOND_FACTOR_ADDED.value, SecurityEvent.SECOND_FACTOR_ADDED.label
        SECOND_FACTOR_PASSED = SecurityEvent.SECOND_FACTOR_PASSED.value, SecurityEvent.SECOND_FACTOR_PASSED.label
        SECOND_FACTOR_FAILED = SecurityEvent.SECOND_FACTOR_FAILED.value, SecurityEvent.SECOND_FACTOR_FAILED.label
        RECOVERY_CODES_MADE = SecurityEvent.RECOVERY_CODES_MADE.value, SecurityEvent.RECOVERY_CODES_MADE.label
        RECOVERY_CODE_USED = SecurityEvent.RECOVERY_CODE_USED.value, SecurityEvent.RECOVERY_CODE_USED.label
        PASSWORD_CHANGED = SecurityEvent.PASSWORD_CHANGED.value, SecurityEvent.PASSWORD_CHANGED.label
        PASSWORD_SET_BY_LINK = SecurityEvent.PASSWORD_SET_BY_LINK.value, SecurityEvent.PASSWORD_SET_BY_LINK.label
        LINK_USED_BY_STAFF = SecurityEvent.LINK_USED_BY_STAFF.value, SecurityEvent.LINK_USED_BY_STAFF.label
        SIGN_IN_RESET = SecurityEvent.SIGN_IN_RESET.value, SecurityEvent.SIGN_IN_RESET.label

    # Empty for a site superuser who is no clinic's staff member. A clinic
    # that has an audit trail cannot be deleted.
    clinic = models.ForeignKey(
        Clinic, null=True, blank=True, on_delete=models.PROTECT, related_name="audit_events"
    )
    # No database constraint, and nothing done on delete: deleting an account
    # must not write to these rows (the id stays, naming no one).
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False,
        related_name="+",
    )
    actor_username = models.CharField(max_length=150, blank=True)
    action = models.CharField(max_length=30, choices=Action.choices)
    patient = models.ForeignKey(
        Patient, null=True, blank=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    detail = models.CharField(max_length=500, blank=True)
    created_at = models.DateTimeField(default=timezone.now, db_index=True)
    hash = models.CharField(max_length=64, editable=False)

    objects = AuditEventQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M} {self.actor_username} {self.get_action_display()}"

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise ValueError("Audit rows are append-only.")
        using = kwargs.get("using") or router.db_for_write(type(self), instance=self)
        with transaction.atomic(using=using):
            self.hash = self.chained_hash(AuditEvent.objects.using(using).chain_head())
            super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise ValueError("Audit rows are append-only.")

    def chained_hash(self, previous: str) -> str:
        return audit_hash(
            previous, clinic_id=self.clinic_id, actor_id=self.actor_id, actor_username=self.actor_username,
            action=self.action, patient_id=self.patient_id, detail=self.detail, created_at=self.created_at,
        )

    @property
    def detail_text(self) -> str:
        """The detail in the page's language. It is stored as clinics.services
        wrote it, in English and in one shape per action, and never changed
        (the log is append-only): the shape is read back here."""
        return audit_detail_text(self.action, self.detail)


# The shapes clinics.services writes (tests/clinics/test_audit_details.py
# writes each one through its service and reads it back).
_DAY = r"\d{4}-\d{2}-\d{2}"
ASSIGNED_DETAIL = re.compile(rf"^(?P<lessons>.+) due (?P<due>{_DAY})$")
DUE_CHANGED_DETAIL = re.compile(rf"^(?P<lesson>.+): (?P<old>{_DAY}) → (?P<new>{_DAY})$")
EXPORTED_DETAIL = re.compile(r"^(?P<rows>\d+) rows$")
STAFF_DETAIL = re.compile(r"^(?P<username>.+) \((?P<role>[^()]+)\)$")
# Actions whose detail is one of a few fixed English phrases (marked with
# gettext_noop where written); others hold a label or a lesson's slug, which
# must never be looked up as a phrase.
FIXED_PHRASE_ACTIONS = {
    AuditEvent.Action.PATIENT_VIEWED, AuditEvent.Action.EXPORTED,
    AuditEvent.Action.SHARING_STARTED, AuditEvent.Action.SHARING_STOPPED,
}


def _day(iso: str) -> str:
    return date_format(date.fromisoformat(iso), "j M Y")


def audit_detail_text(action: str, detail: str) -> str:
    if not detail:
        return ""
    if action == AuditEvent.Action.ASSIGNED and (match := ASSIGNED_DETAIL.match(detail)):
        return gettext("%(lessons)s, due %(due)s") % {"lessons": match["lessons"], "due": _day(match["due"])}
    if action == AuditEvent.Action.DUE_CHANGED and (match := DUE_CHANGED_DETAIL.match(detail)):
        return gettext("%(lesson)s: due %(old)s, now %(new)s") % {
            "lesson": match["lesson"], "old": _day(match["old"]), "new": _day(match["new"]),
        }
    if action == AuditEvent.Action.EXPORTED and (match := EXPORTED_DETAIL.match(detail)):
        rows = int(match["rows"])
        return ngettext("%(rows)s row", "%(rows)s rows", rows) % {"rows": rows}
    if action in (AuditEvent.Action.STAFF_ADDED, AuditEvent.Action.STAFF_DEACTIVATED):
        match = STAFF_DETAIL.match(detail)
        if match and match["role"] in Membership.Role.values:
            return f"{match['username']} ({Membership.Role(match['role']).label})"
        return detail
    if action in FIXED_PHRASE_ACTIONS:
        return gettext(detail)
    return detail

