"""Reminders by Web Push: one row per phone that said yes (a push
subscription and the person's reminder times), and one row per reminder
occurrence, which is what makes every occurrence go out once.

Health-adjacent data, so the minimum: no name, no label, no lesson, no
reason. The endpoint is a capability URL (whoever holds it can push to that
phone): never shown, exported or logged (services.endpoint_redacted)."""

from datetime import time

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from clinics.models import validate_time_zone


class Subscription(models.Model):
    class Lessons(models.TextChoices):
        OFF = "off", _("No lesson reminders")
        ONE = "one", _("One, the day before it is due")
        TWO = "two", _("Two: the day before, and on the last day")

    class Quiet(models.TextChoices):
        WAIT = "wait", _("Wait until quiet hours end")
        DROP = "drop", _("Skip it")

    endpoint = models.URLField(max_length=1024, unique=True)
    # The browser's P-256 public key (65 bytes) and auth secret (16 bytes), base64url.
    p256dh = models.CharField(max_length=100)
    auth = models.CharField(max_length=40)
    expires_at = models.DateTimeField(null=True, blank=True)
    # Null for a person without an account. Deleted with the account.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.CASCADE, related_name="push_subscriptions"
    )
    # The reminder text's language, and the phone's time zone: both follow
    # the phone (reminders.js sends them again when they change).
    language = models.CharField(max_length=10, choices=settings.LANGUAGES, default=settings.LANGUAGE_CODE)
    time_zone = models.CharField(max_length=64, default="UTC", validators=[validate_time_zone])
    # A daily check-in at this local time; none when null.
    checkin_time = models.TimeField(null=True, blank=True)
    # A weekly check-in (the person's own choice, perhaps suggested on the
    # phone from their craving log; the server is never told why): a weekday
    # (0 Monday … 6 Sunday) and a local time.
    weekly_day = models.PositiveSmallIntegerField(null=True, blank=True)
    weekly_time = models.TimeField(null=True, blank=True)
    lessons = models.CharField(max_length=5, choices=Lessons.choices, default=Lessons.ONE)
    quiet_start = models.TimeField(default=time(22, 0))
    quiet_end = models.TimeField(default=time(8, 0))
    quiet = models.CharField(max_length=5, choices=Quiet.choices, default=Quiet.WAIT)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.CheckConstraint(condition=models.Q(weekly_day__lte=6), name="weekly_day_is_a_weekday"),
            models.CheckConstraint(
                condition=models.Q(weekly_day__isnull=True, weekly_time__isnull=True)
                | models.Q(weekly_day__isnull=False, weekly_time__isnull=False),
                name="weekly_day_and_time_together",
            ),
        ]

    def __str__(self) -> str:
        # Never the endpoint: the admin shows this.
        return f"Reminders #{self.pk} ({self.time_zone})"


class Reminder(models.Model):
    """One occurrence of a reminder for one phone: the daily check-in of
    3 May, the lesson reminder of 4 May. `send_reminders` inserts the row
    when the occurrence is due (a second insert of the same occurrence,
    from another run or another server, does nothing: the unique constraint)
    and then claims it, so it is sent once."""

    class Kind(models.TextChoices):
        CHECKIN = "checkin", "Daily check-in"
        WEEKLY = "weekly", "Weekly check-in"
        LESSON = "lesson", "Lesson due tomorrow"
        LESSON_LAST_DAY = "lesson_last", "Lesson due today"

    class Status(models.TextChoices):
        PENDING = "pending", "Waiting to be sent"
        SENDING = "sending", "Being sent"
        SENT = "sent", "Sent"
        SKIPPED = "skipped", "No longer wanted"
        FAILED = "failed", "Failed"
        EXPIRED = "expired", "Too late to be useful"

    subscription = models.ForeignKey(Subscription, on_delete=models.CASCADE, related_name="reminders")
    kind = models.CharField(max_length=12, choices=Kind.choices)
    # When the person asked for it (their local time, as an instant).
    due_at = models.DateTimeField()
    # When it may go: due_at, or the end of the quiet hours it fell in.
    send_at = models.DateTimeField()
    # After this it is no longer useful, and never sent (also its push TTL).
    useful_until = models.DateTimeField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["subscription", "kind", "due_at"], name="one_row_per_occurrence"),
        ]
        indexes = [models.Index(fields=["status", "send_at"], name="reminder_due")]

    def __str__(self) -> str:
        return f"{self.kind} at {self.due_at:%Y-%m-%d %H:%M} UTC ({self.status})"
