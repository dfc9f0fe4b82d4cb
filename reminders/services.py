"""Reminders: storing a phone's subscription, planning each occurrence, and
sending what is due, each occurrence once (docs/reminders.md).

`reminders_send_due(now=...)` is what `manage.py send_reminders` runs every
minute, on any number of servers at once:
1. plan: for every subscription, the occurrences that are due at `now` and
   still useful (including any a stopped server or a skipped minute missed);
   a row each, inserted once (Reminder's unique constraint);
2. claim: pending rows are taken in a short transaction
   (`select_for_update(skip_locked=True)` where the database has it) and
   marked "sending", so no other run takes them;
3. send: each claimed occurrence is planned again (a lesson done, withdrawn,
   or a time changed since means it is no longer wanted) and sent.
"""

import json
import logging
import zoneinfo
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from time import monotonic

from django.conf import settings
from django.db import models, transaction
from django.db.models import Exists, F, OuterRef
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext

from accounts.models import User
from clinics.models import Assignment, LessonProgress

from . import push
from .forms import SubscriptionInput
from .models import Reminder, Subscription

logger = logging.getLogger(__name__)

Kind = Reminder.Kind

# How long after its time an occurrence is still worth sending (a server
# down for an hour still sends the morning check-in; not at teatime). Also
# the push message's TTL: the push service drops it after that.
USEFUL_FOR = {
    Kind.CHECKIN: timedelta(hours=3),
    Kind.WEEKLY: timedelta(hours=1),
    Kind.LESSON: timedelta(hours=6),
    Kind.LESSON_LAST_DAY: timedelta(hours=6),
}
URGENCY = {Kind.CHECKIN: "normal", Kind.WEEKLY: "normal", Kind.LESSON: "low", Kind.LESSON_LAST_DAY: "low"}
# Topic: a newer message replaces an unseen older one of the same topic
# still waiting at the push service (RFC 8030 §5.4).
TOPIC = {Kind.CHECKIN: "checkin", Kind.WEEKLY: "checkin", Kind.LESSON: "lesson", Kind.LESSON_LAST_DAY: "lesson"}
# Lesson reminders come at the daily check-in time, or at this time.
LESSON_TIME = time(18, 0)
# Far enough back to find an occurrence whose quiet hours made it wait up to
# a day, and that is still useful.
LOOK_BACK_DAYS = 2
# Occurrence rows are kept a little longer than that (so none is planned
# twice), then deleted: they say when someone was reminded.
KEEP_ROWS = timedelta(days=4)
MAX_ATTEMPTS = 3
CLAIM_BATCH = 200
# A run sends for this long at most, plus the one send under way (15 s at
# most, push.py's timeouts): deploy/systemd/crest-reminders.service stops a
# run at 50 s, and what a stopped run had claimed would stay "sending" for
# good. What it has not sent by then goes back for the next minute's run.
RUN_SECONDS = 30


# --- The phone's subscription ------------------------------------------------------


def subscription_save(*, user: User | None, data: SubscriptionInput, language: str) -> tuple[Subscription, bool]:
    """Store a phone's subscription (the person said yes, or changed their
    reminders): created, or updated when the endpoint is known. The person
    signed in now owns it (or nobody, signed out): on a shared phone the
    browser has one subscription, and it is whoever turned reminders on last."""
    values = {
        "p256dh": data.p256dh,
        "auth": data.auth,
        "expires_at": data.expires_at,
        "user": user if user is not None and user.is_authenticated else None,
        "language": data.language or language,
        **({"time_zone": data.time_zone} if data.time_zone else {}),
        **data.reminders,
    }
    with transaction.atomic():
        subscription, created = Subscription.objects.select_for_update().get_or_create(
            endpoint=data.endpoint, defaults=values
        )
        if not created:
            for name, value in values.items():
                setattr(subscription, name, value)
            subscription.save()
        # What is already due as the person says yes (or changes the times)
        # is not sent: a check-in time of an hour ago waits for tomorrow, and
        # turning reminders off and on again does not repeat this morning's.
        # (Planning looks back for occurrences a late run missed.)
        Reminder.objects.bulk_create(
            [
                Reminder(subscription=subscription, kind=o.kind, due_at=o.due_at, send_at=o.send_at,
                         useful_until=o.useful_until, status=Reminder.Status.SKIPPED)
                for o in _plan([subscription], timezone.now())[subscription.pk]
            ],
            ignore_conflicts=True,
        )
    return subscription, created


def subscription_renew(*, data: SubscriptionInput) -> Subscription | None:
    """The push service renewed a phone's subscription (the worker's
    pushsubscriptionchange, perhaps with Crest closed): the new endpoint and
    keys take the old one's place, and everything else stays (its account,
    settings, and the reminders already sent, so none goes twice). Knowing
    the old endpoint is the permission, as for a delete. None when the
    server does not know it. A copy of the new one that a page stored
    first gives way."""
    with transaction.atomic():
        subscription = Subscription.objects.select_for_update().filter(endpoint=data.replaces).first()
        if subscription is None:
            return None
        Subscription.objects.filter(endpoint=data.endpoint).exclude(pk=subscription.pk).delete()
        subscription.endpoint, subscription.p256dh, subscription.auth = data.endpoint, data.p256dh, data.auth
        subscription.expires_at = data.expires_at
        subscription.save(update_fields=["endpoint", "p256dh", "auth", "expires_at"])
    return subscription


def subscription_refresh(*, user: User | None, data: SubscriptionInput) -> Subscription | None:
    """The phone's time zone or language changed (or it just checks in).
    None when the server does not know the endpoint, or when it belongs to
    an account that is not the one signed in now: that account signed out
    on this phone, so its subscription is deleted and the phone turns
    reminders off (reminders.js)."""
    subscription = Subscription.objects.filter(endpoint=data.endpoint).first()
    if subscription is None:
        return None
    signed_in = user.pk if user is not None and user.is_authenticated else None
    if subscription.user_id is not None and subscription.user_id != signed_in:
        subscription.delete()
        return None
    changed = {}
    if data.time_zone and data.time_zone != subscription.time_zone:
        changed["time_zone"] = data.time_zone
    if data.language and data.language != subscription.language:
        changed["language"] = data.language
    if changed:
        for name, value in changed.items():
            setattr(subscription, name, value)
        subscription.save(update_fields=list(changed))
    return subscription


def subscription_delete(*, endpoint: str) -> int:
    """Reminders off on that phone (or the phone is wiped): the subscription
    and its occurrences go. Knowing the endpoint is the permission: only the
    browser that holds the subscription has it."""
    return Subscription.objects.filter(endpoint=endpoint).delete()[1].get(Subscription._meta.label, 0)


def subscriptions_delete_for(*, user: User) -> int:
    """Every subscription of this account (signing out, deleting it)."""
    return Subscription.objects.filter(user=user).delete()[1].get(Subscription._meta.label, 0)


def subscription_settings(subscription: Subscription) -> dict:
    """What the phone shows on its reminders page (never the endpoint or keys)."""
    clock = lambda t: t.strftime("%H:%M") if t else None  # noqa: E731
    weekly = None
    if subscription.weekly_day is not None:
        weekly = {"day": subscription.weekly_day, "time": clock(subscription.weekly_time)}
    return {
        "time_zone": subscription.time_zone,
        "language": subscription.language,
        "checkin": clock(subscription.checkin_time),
        "weekly": weekly,
        "lessons": subscription.lessons,
        "quiet": {
            "start": clock(subscription.quiet_start), "end": clock(subscription.quiet_end), "mode": subscription.quiet,
        },
    }


def subscriptions_export(*, user: User) -> list[dict]:
    """For "my data": the reminder settings kept for this account's phones."""
    return [subscription_settings(s) for s in Subscription.objects.filter(user=user).order_by("pk")]


# --- Planning ------------------------------------------------------------------------


@dataclass(frozen=True)
class Occurrence:
    kind: str
    due_at: datetime
    send_at: datetime
    useful_until: datetime


def _zone(name: str) -> zoneinfo.ZoneInfo:
    try:
        return zoneinfo.ZoneInfo(name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        return zoneinfo.ZoneInfo("UTC")


def in_quiet_hours(moment: time, start: time, end: time) -> bool:
    """Quiet hours from `start` to `end`, local time; they may run past
    midnight (22:00–08:00). Equal start and end: no quiet hours."""
    if start == end:
        return False
    if start < end:
        return start <= moment < end
    return moment >= start or moment < end


def _after_quiet(due: datetime, subscription: Subscription) -> datetime | None:
    """When an occurrence due at `due` (local) may go: at once, at the end
    of the quiet hours it falls in (the person chose "wait"), or never ("skip")."""
    if not in_quiet_hours(due.timetz().replace(tzinfo=None), subscription.quiet_start, subscription.quiet_end):
        return due
    if subscription.quiet == Subscription.Quiet.DROP:
        return None
    end = datetime.combine(due.date(), subscription.quiet_end, tzinfo=due.tzinfo)
    return end if end > due else end + timedelta(days=1)


def occurrences_due(subscription: Subscription, *, now: datetime, lesson_due_dates: set[date]) -> list[Occurrence]:
    """The occurrences of this subscription that may be sent at `now`: their
    time (moved past quiet hours) has come, they are still useful, and it is
    not quiet hours now.
    `lesson_due_dates`: the due dates of the person's assigned lessons that
    are neither done nor withdrawn. Times are the phone's local time in its
    time zone now (a phone that moves keeps its clock times)."""
    zone = _zone(subscription.time_zone)
    today = now.astimezone(zone).date()
    found = []
    # Nothing goes while it is quiet hours now, whenever it was due: a late
    # run, or a retry after a push service's Retry-After, must not wake them.
    if in_quiet_hours(now.astimezone(zone).time(), subscription.quiet_start, subscription.quiet_end):
        return found

    def consider(kind: str, day: date, at: time) -> None:
        due = datetime.combine(day, at, tzinfo=zone)
        send = _after_quiet(due, subscription)
        if send is not None and send <= now < send + USEFUL_FOR[kind]:
            found.append(
                Occurrence(kind, due.astimezone(UTC), send.astimezone(UTC), (send + USEFUL_FOR[kind]).astimezone(UTC))
            )

    for back in range(LOOK_BACK_DAYS, -1, -1):
        day = today - timedelta(days=back)
        if subscription.checkin_time is not None:
            consider(Kind.CHECKIN, day, subscription.checkin_time)
        if subscription.weekly_day == day.weekday() and subscription.weekly_time is not None:
            consider(Kind.WEEKLY, day, subscription.weekly_time)
        if subscription.lessons != Subscription.Lessons.OFF and lesson_due_dates:
            at = subscription.checkin_time or LESSON_TIME
            if day + timedelta(days=1) in lesson_due_dates:
                consider(Kind.LESSON, day, at)
            if subscription.lessons == Subscription.Lessons.TWO and day in lesson_due_dates:
                consider(Kind.LESSON_LAST_DAY, day, at)
    return found


def lesson_due_dates(*, user_ids: list[int], around: date) -> dict[int, set[date]]:
    """For each account, the due dates (near `around`) of its assigned
    lessons that are still to do: not withdrawn, published, not done. Only
    for patients who share their progress: for the others the server cannot
    know what is done, and a reminder for a finished lesson is worse than none."""
    done = LessonProgress.objects.filter(
        patient=OuterRef("patient"), lesson=OuterRef("lesson"), completed_at__isnull=False
    )
    rows = (
        Assignment.objects.active()
        .filter(
            patient__user_id__in=user_ids, patient__shares_progress=True, lesson__published=True,
            due_date__range=(around - timedelta(days=LOOK_BACK_DAYS + 1), around + timedelta(days=2)),
        )
        .exclude(Exists(done))
        .values_list("patient__user_id", "due_date")
    )
    found: dict[int, set[date]] = {}
    for user_id, due in rows:
        found.setdefault(user_id, set()).add(due)
    return found


def _plan(subscriptions: list[Subscription], now: datetime) -> dict[int, list[Occurrence]]:
    user_ids = [s.user_id for s in subscriptions if s.user_id and s.lessons != Subscription.Lessons.OFF]
    due_dates = lesson_due_dates(user_ids=user_ids, around=now.date()) if user_ids else {}
    return {s.pk: occurrences_due(s, now=now, lesson_due_dates=due_dates.get(s.user_id, set())) for s in subscriptions}


def reminders_plan(*, now: datetime, chunk: int = 500) -> int:
    """Insert a row for every occurrence due at `now` that has none yet.
    Safe to run at once on many servers: a row that another run inserted
    first is left alone (the unique constraint, ON CONFLICT DO NOTHING)."""
    created = 0
    subscriptions = Subscription.objects.order_by("pk")
    last = 0
    while True:
        batch = list(subscriptions.filter(pk__gt=last)[:chunk])
        if not batch:
            return created
        last = batch[-1].pk
        planned = _plan(batch, now)
        known = set(
            Reminder.objects.filter(subscription__in=batch, due_at__gte=now - timedelta(days=LOOK_BACK_DAYS + 1))
            .values_list("subscription_id", "kind", "due_at")
        )
        rows = [
            Reminder(subscription_id=pk, kind=o.kind, due_at=o.due_at, send_at=o.send_at, useful_until=o.useful_until)
            for pk, occurrences in planned.items()
            for o in occurrences
            if (pk, o.kind, o.due_at) not in known
        ]
        if rows:
            Reminder.objects.bulk_create(rows, ignore_conflicts=True)
            created += len(rows)


# --- Sending ---------------------------------------------------------------------------


def reminder_text(kind: str, language: str) -> str:
    """The lock-screen text: neutral in every language. No lesson title, no
    clinic, nothing that says what Crest is for (tests/reminders check the
    words)."""
    with translation.override(language):
        if kind in (Kind.CHECKIN, Kind.WEEKLY):
            return gettext("Time for your check-in.")
        if kind == Kind.LESSON:
            return gettext("A short reading is waiting for you, due tomorrow.")
        return gettext("A short reading is waiting for you, due today.")


def reminder_url(kind: str, language: str) -> str:
    """Where a tap leads: the check-in screen, or the lessons the clinic
    assigned. A full URL when DJANGO_SITE_URL is set (a declarative push
    message wants one); our service worker resolves a path against its origin."""
    with translation.override(language):
        if kind in (Kind.CHECKIN, Kind.WEEKLY):
            path = reverse("reminders:checkin")
        else:
            path = reverse("lessons:lesson_list") + "#assigned-title"
    return f"{settings.SITE_URL}{path}"


def reminder_payload(kind: str, language: str) -> bytes:
    """A declarative push message (Safari 18.4+ shows it by itself) that our
    service worker also reads (its push handler)."""
    message = {
        "web_push": 8030,
        "notification": {
            "title": "Crest",
            "body": reminder_text(kind, language),
            "lang": language,
            "dir": "ltr",
            "tag": TOPIC[kind],
            "navigate": reminder_url(kind, language),
        },
    }
    return json.dumps(message, ensure_ascii=False, separators=(",", ":")).encode()


@dataclass
class SendReport:
    planned: int = 0
    sent: int = 0
    skipped: int = 0
    failed: int = 0
    retrying: int = 0
    removed: int = 0  # subscriptions the push service said are gone
    expired: int = 0
    statuses: dict = field(default_factory=dict)

    def __str__(self) -> str:
        return (
            f"planned {self.planned}, sent {self.sent}, skipped {self.skipped}, retrying {self.retrying}, "
            f"failed {self.failed}, subscriptions removed {self.removed}, expired {self.expired}"
        )


def _claim(now: datetime) -> list[int]:
    """Take up to CLAIM_BATCH pending occurrences whose time has come. Rows
    another server holds are skipped, not waited for; the status check in
    the UPDATE keeps a row from being taken twice where there are no row locks."""
    with transaction.atomic():
        ids = list(
            Reminder.objects.select_for_update(skip_locked=True)
            .filter(status=Reminder.Status.PENDING, send_at__lte=now, useful_until__gt=now)
            .order_by("send_at", "pk")
            .values_list("pk", flat=True)[:CLAIM_BATCH]
        )
        if not ids:
            return []
        taken = list(Reminder.objects.filter(pk__in=ids, status=Reminder.Status.PENDING).values_list("pk", flat=True))
        Reminder.objects.filter(pk__in=taken, status=Reminder.Status.PENDING).update(
            status=Reminder.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
        )
        return taken


def _finish(reminder: Reminder, status: str, **fields) -> None:
    Reminder.objects.filter(pk=reminder.pk).update(status=status, **fields)


def _send_one(reminder: Reminder, *, now: datetime, key, session, report: SendReport) -> None:
    subscription = reminder.subscription
    if subscription.expires_at is not None and subscription.expires_at <= now:
        subscription.delete()
        report.removed += 1
        return
    still = _plan([subscription], now)[subscription.pk]
    if not any(o.kind == reminder.kind and o.due_at == reminder.due_at for o in still):
        _finish(reminder, Reminder.Status.SKIPPED)
        report.skipped += 1
        return
    try:
        push.endpoint_resolve_check(subscription.endpoint)
    except push.EndpointRefused as refused:
        logger.warning(
            "Reminder %s not sent to %s: %s", reminder.pk, push.endpoint_redacted(subscription.endpoint), refused
        )
        _finish(reminder, Reminder.Status.FAILED)
        report.failed += 1
        return
    ttl = max(60, int((reminder.useful_until - now).total_seconds()))
    result = push.push_send(
        endpoint=subscription.endpoint, p256dh=subscription.p256dh, auth=subscription.auth,
        payload=reminder_payload(reminder.kind, subscription.language), ttl=ttl,
        urgency=URGENCY[reminder.kind], topic=TOPIC[reminder.kind], key=key, session=session,
    )
    report.statuses[result.status] = report.statuses.get(result.status, 0) + 1
    if result.delivered:
        _finish(reminder, Reminder.Status.SENT, sent_at=now)
        report.sent += 1
    elif result.gone:
        # Expired or revoked (the person blocked notifications, reinstalled,
        # or the browser dropped it): nothing will ever reach it again.
        subscription.delete()
        report.removed += 1
    elif result.transient and reminder.attempts < MAX_ATTEMPTS:
        wait = timedelta(seconds=result.retry_after or 60 * 2 ** reminder.attempts)
        if now + wait < reminder.useful_until:
            _finish(reminder, Reminder.Status.PENDING, send_at=now + wait)
            report.retrying += 1
            return
        _finish(reminder, Reminder.Status.FAILED)
        report.failed += 1
    else:
        logger.warning(
            "Reminder %s to %s failed: push service answered %s",
            reminder.pk, push.endpoint_redacted(subscription.endpoint), result.status,
        )
        _finish(reminder, Reminder.Status.FAILED)
        report.failed += 1


def reminders_send_due(*, now: datetime | None = None, seconds: float = RUN_SECONDS) -> SendReport:
    """Plan, claim and send every reminder due at `now` (default: now), for
    `seconds` at most (at least one send). Each occurrence is sent at most
    once, however many runs overlap."""
    now = now or timezone.now()
    started = monotonic()
    key = push.vapid_key()
    report = SendReport(planned=reminders_plan(now=now))
    out_of_time = False
    with push.NoRedirectSession() as session:
        while not out_of_time and (ids := _claim(now)):
            for reminder in Reminder.objects.filter(pk__in=ids).select_related("subscription").order_by("pk"):
                _send_one(reminder, now=now, key=key, session=session, report=report)
                out_of_time = monotonic() - started >= seconds
                if out_of_time:
                    break
    if out_of_time:
        # What this run claimed and did not send goes back for the next run.
        Reminder.objects.filter(pk__in=ids, status=Reminder.Status.SENDING).update(
            status=Reminder.Status.PENDING, attempts=F("attempts") - 1
        )
    report.expired = Reminder.objects.filter(status=Reminder.Status.PENDING, useful_until__lte=now).update(
        status=Reminder.Status.EXPIRED
    )
    Reminder.objects.filter(due_at__lt=now - KEEP_ROWS).delete()
    return report


def reminder_counts() -> dict[str, int]:
    """Occurrence rows by status (for the command's summary and the tests)."""
    rows = Reminder.objects.values("status").annotate(n=models.Count("pk"))
    return {row["status"]: row["n"] for row in rows}
