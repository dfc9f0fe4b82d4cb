"""The phone's batch (POST /api/v1/sync): check every item, then keep each
valid one exactly once.

Each item is answered on its own, in the order sent:
- "stored": kept now;
- "duplicate": an item with this id was kept before (a replay, or a second
  request racing the first); nothing changes;
- "not_shared": the patient does not share this kind of data; nothing is kept;
- "rejected": the item is wrong; `errors` says what, field by field.

Exactly once rests on the database, not on timing: SyncedItem's primary key
is the phone's own UUID for the item, so a second insert of the same id
fails, whatever the retries, restarts or concurrency. Every item is checked
before anything is written, so a bad item never undoes a good one; the good
ones are kept in one transaction with a fixed number of queries (a 50-item
batch costs about what a 1-item batch does), all or none: a batch cut off
by a database restart is sent again whole and nothing is kept twice.
"""

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from clinics.models import CravingSummary, LessonProgress, Patient, SyncedItem
from craving.choices import OUTCOME_LABELS, TOOL_LABELS, TRIGGER_KINDS
from lessons.models import Lesson
from lessons.quiz import MAX_QUESTIONS

MAX_ITEMS = 100
NOTE_MAX_CHARS = 2000
MAX_TRIGGERS = 40
# A phone's clock can be wrong; a day ahead is the most we believe.
CLOCK_SKEW = timedelta(days=1)
EARLIEST = datetime(2020, 1, 1, tzinfo=UTC)

STORED, DUPLICATE, NOT_SHARED, REJECTED = "stored", "duplicate", "not_shared", "rejected"

LESSON = SyncedItem.Type.LESSON_COMPLETED
CRAVING = SyncedItem.Type.CRAVING_LOGGED
FIELDS = {
    LESSON: {"id", "type", "at", "lesson", "score", "total"},
    CRAVING: {"id", "type", "at", "intensity_before", "intensity_after", "tool", "outcome", "triggers", "note"},
}
# Which Patient choice lets each type through.
SHARED_BY = {LESSON: "shares_progress", CRAVING: "shares_cravings"}


@dataclass
class Result:
    id: str | None
    status: str
    errors: dict[str, str] = field(default_factory=dict)

    def as_json(self) -> dict:
        return {"id": self.id, "status": self.status, "errors": self.errors}


@dataclass
class LessonCompleted:
    id: uuid.UUID
    at: datetime
    lesson: Lesson
    score: int | None
    total: int | None
    type: str = LESSON


@dataclass
class CravingLogged:
    id: uuid.UUID
    at: datetime
    intensity_before: int | None
    intensity_after: int | None
    tool: str
    outcome: str
    triggers: list[str]
    note: str
    type: str = CRAVING


class ItemInvalid(Exception):
    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__(errors)
        self.errors = errors


# --- Checking one item -------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def echo_id(raw: object) -> str | None:
    """The id to answer with: the phone's own string, so it can match the
    result to its item even when the id is not a valid UUID."""
    value = raw.get("id") if isinstance(raw, dict) else None
    return value[:100] if isinstance(value, str) else None


def _when(value: object, now: datetime, errors: dict) -> datetime | None:
    if not isinstance(value, str) or len(value) > 40:
        errors["at"] = _("Give the time as an ISO-8601 string with a time zone, such as 2026-03-01T21:15:00Z.")
        return None
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        errors["at"] = _("Give the time as an ISO-8601 string with a time zone, such as 2026-03-01T21:15:00Z.")
        return None
    if moment.tzinfo is None:
        errors["at"] = _("The time needs a time zone (Z or an offset such as +01:00).")
        return None
    if not EARLIEST <= moment <= now + CLOCK_SKEW:
        errors["at"] = _("Its time is not possible. Check the date and time on this phone.")
        return None
    return moment


def _rating(name: str, value: object, errors: dict) -> int | None:
    if value is None:
        return None
    if not _is_int(value) or not 0 <= value <= 10:
        errors[name] = _("A whole number from 0 to 10, or null.")
        return None
    return value


def _choice(name: str, value: object, allowed: dict, errors: dict) -> str:
    if value is None or value == "":
        return ""
    if not isinstance(value, str) or value not in allowed:
        errors[name] = _("One of: %(choices)s; or null.") % {"choices": ", ".join(sorted(allowed))}
        return ""
    return value


def _triggers(value: object, errors: dict) -> list[str]:
    """{"people": [...], "places": [...], "feelings": [...], "halt": [...]},
    with the labels the toolkit offers (craving.choices.TRIGGERS)."""
    if value is None:
        return []
    if not isinstance(value, dict):
        errors["triggers"] = _("An object of lists, by kind: %(kinds)s.") % {"kinds": ", ".join(TRIGGER_KINDS)}
        return []
    labels: list[str] = []
    for kind, chosen in value.items():
        allowed = TRIGGER_KINDS.get(kind)
        if allowed is None:
            errors["triggers"] = _("Unknown kind of trigger. Kinds: %(kinds)s.") % {"kinds": ", ".join(TRIGGER_KINDS)}
            return []
        if not isinstance(chosen, list) or not all(isinstance(label, str) for label in chosen):
            errors["triggers"] = _("triggers.%(kind)s must be a list of labels.") % {"kind": kind}
            return []
        unknown = [label for label in chosen if label not in allowed]
        if unknown:
            message = _("This version of Crest does not know the trigger “%(label)s”.")
            errors["triggers"] = message % {"label": unknown[0][:80]}
            return []
        labels += [label for label in chosen if label not in labels]
    if len(labels) > MAX_TRIGGERS:
        errors["triggers"] = _("Too many triggers.")
        return []
    return labels


def item_parse(raw: object, *, lessons: dict[str, Lesson], now: datetime) -> LessonCompleted | CravingLogged:
    """Check one item from the batch; ItemInvalid says what is wrong with it,
    field by field, in words the phone can show."""
    if not isinstance(raw, dict):
        raise ItemInvalid({"item": _("Each item must be a JSON object.")})
    errors: dict[str, str] = {}
    item_id = None
    raw_id = raw.get("id")
    try:
        if not isinstance(raw_id, str) or len(raw_id) != 36:
            raise ValueError
        item_id = uuid.UUID(raw_id)
    except ValueError:
        errors["id"] = _("A UUID such as 1b4e28ba-2fa1-4d3b-a3f5-ef19b5a7633b.")
    kind = raw.get("type")
    if not isinstance(kind, str) or kind not in FIELDS:  # a list or an object is no key of FIELDS
        errors["type"] = _("One of: %(types)s.") % {"types": ", ".join(FIELDS)}
        raise ItemInvalid(errors)
    for name in raw:
        if name not in FIELDS[kind]:
            errors[str(name)[:40]] = _("Unknown field.")
    at = _when(raw.get("at"), now, errors)

    if kind == LESSON:
        slug = raw.get("lesson")
        lesson = lessons.get(slug) if isinstance(slug, str) else None
        if lesson is None:
            errors["lesson"] = _("Crest no longer has this lesson.")
        score, total = raw.get("score"), raw.get("total")
        if (score is None) != (total is None):
            errors["score"] = _("score and total go together: both numbers, or both null.")
        elif score is not None:
            if not (_is_int(score) and _is_int(total)):
                errors["score"] = _("score and total must be whole numbers.")
            elif not 0 <= score <= total:
                errors["score"] = _("score must be between 0 and total.")
            elif total > MAX_QUESTIONS:
                errors["total"] = _("A lesson’s check has at most %(count)s questions.") % {"count": MAX_QUESTIONS}
            elif lesson is not None and total != lesson.quiz_total:
                # Answered offline before a deploy changed the check: the
                # completion is the person's work and counts; a score out of
                # another set of questions is left out.
                score = total = None
        if errors:
            raise ItemInvalid(errors)
        return LessonCompleted(id=item_id, at=at, lesson=lesson, score=score, total=total)

    before = _rating("intensity_before", raw.get("intensity_before"), errors)
    after = _rating("intensity_after", raw.get("intensity_after"), errors)
    tool = _choice("tool", raw.get("tool"), TOOL_LABELS, errors)
    outcome = _choice("outcome", raw.get("outcome"), OUTCOME_LABELS, errors)
    triggers = _triggers(raw.get("triggers"), errors)
    note = raw.get("note")
    if note is None:
        note = ""
    elif not isinstance(note, str) or len(note) > NOTE_MAX_CHARS:
        errors["note"] = _("A note of at most %(n)s characters, or null.") % {"n": NOTE_MAX_CHARS}
    if errors:
        raise ItemInvalid(errors)
    return CravingLogged(
        id=item_id, at=at, intensity_before=before, intensity_after=after, tool=tool, outcome=outcome,
        triggers=triggers, note=note,
    )


# --- Keeping it, once ----------------------------------------------------------


def daily_limit_wait(*, patient: Patient, count: int) -> int | None:
    """Seconds until `count` more items fit in the patient's allowance of
    SYNC_ITEMS_PER_DAY kept in any 24 hours, or None when they fit now. Two
    batches at the same moment may both fit and pass it by one batch: a
    bound on a broken or hostile phone, not an exact quota. No limit when
    SYNC_ITEMS_PER_DAY is None."""
    if settings.SYNC_ITEMS_PER_DAY is None:
        return None
    now = timezone.now()
    kept = SyncedItem.objects.filter(patient=patient, received_at__gt=now - timedelta(days=1))
    if kept.count() + count <= settings.SYNC_ITEMS_PER_DAY:
        return None
    oldest = kept.order_by("received_at").values_list("received_at", flat=True).first()
    return max(60, int((oldest + timedelta(days=1) - now).total_seconds())) if oldest else 60 * 60


def sync_items_apply(*, patient: Patient, items: list) -> list[Result]:
    """Check and keep a batch from the patient's phone (at most MAX_ITEMS,
    checked by the caller). Returns one Result per item, in order."""
    now = timezone.now()
    lessons = {lesson.slug: lesson for lesson in Lesson.objects.for_clinic(patient.clinic)}
    results: list[Result | None] = []
    valid: dict[int, tuple[LessonCompleted | CravingLogged, str | None]] = {}
    for index, raw in enumerate(items):
        try:
            item = item_parse(raw, lessons=lessons, now=now)
        except ItemInvalid as invalid:
            results.append(Result(echo_id(raw), REJECTED, invalid.errors))
            continue
        results.append(None)
        valid[index] = (item, echo_id(raw))
    if valid:
        for index, result in _keep(patient, valid).items():
            results[index] = result
    return results


@transaction.atomic
def _keep(patient: Patient, valid: dict[int, tuple]) -> dict[int, Result]:
    """Keep the checked items of one batch in one transaction, with a fixed
    number of queries whatever its size. Returns a Result per index."""
    # Lock the patient row: a change of sharing choice (services.sharing_set)
    # waits for this batch, or this batch sees the new choice; and two
    # batches of one patient take their turns here, so each sees the other's
    # committed receipts.
    choices = (
        Patient.objects.select_for_update()
        .filter(pk=patient.pk)
        .values(*SHARED_BY.values(), "shares_craving_notes")
        .first()
    )
    results = {}
    shared = {}
    for index, (item, answer_id) in valid.items():
        if choices is None or not choices[SHARED_BY[item.type]]:
            results[index] = Result(answer_id, NOT_SHARED)
        else:
            shared[index] = (item, answer_id)
    if not shared:
        return results

    # A receipt per new id, first item with that id first. Inserted in id
    # order in one statement, skipping ids already taken: two batches of two
    # patients that share an id (only a broken or hostile phone sends one)
    # wait on each other in the same order, so they cannot deadlock, and the
    # second sees the first's row.
    ids = {item.id for item, _answer_id in shared.values()}
    owners = dict(SyncedItem.objects.filter(pk__in=ids).values_list("pk", "patient_id"))
    first_of_id = {}
    for index, (item, _answer_id) in shared.items():
        if item.id not in owners:
            first_of_id.setdefault(item.id, index)
    if first_of_id:
        SyncedItem.objects.bulk_create(
            [
                SyncedItem(id=item_id, patient=patient, type=shared[index][0].type, at=shared[index][0].at)
                for item_id, index in sorted(first_of_id.items())
            ],
            ignore_conflicts=True,
        )
        # Ours now, or another patient's that got there first.
        owners.update(SyncedItem.objects.filter(pk__in=first_of_id).values_list("pk", "patient_id"))

    stored = []
    for index, (item, answer_id) in shared.items():
        if owners[item.id] != patient.pk:
            message = _("This id is already in use. Send the item with a new id.")
            results[index] = Result(answer_id, REJECTED, {"id": message})
        elif first_of_id.get(item.id) == index:
            results[index] = Result(answer_id, STORED)
            stored.append(item)
        else:  # kept before, or earlier in this batch
            results[index] = Result(answer_id, DUPLICATE)

    _lessons_completed(patient, [item for item in stored if isinstance(item, LessonCompleted)])
    CravingSummary.objects.bulk_create(
        [
            CravingSummary(
                item_id=item.id, patient=patient, at=item.at, intensity_before=item.intensity_before,
                intensity_after=item.intensity_after, tool=item.tool, outcome=item.outcome, triggers=item.triggers,
                note=item.note if choices["shares_craving_notes"] else "",
            )
            for item in stored
            if isinstance(item, CravingLogged)
        ]
    )
    return results


def _lessons_completed(patient: Patient, items: list[LessonCompleted]) -> None:
    """One LessonProgress row per patient and lesson: completed when the
    earliest completion happened (an offline completion counts from when it
    was done, not when it arrived), and the best check score (a person
    retaking the check to read every explanation should not lower what
    their clinic sees). The patient row is locked by the caller."""
    if not items:
        return
    by_lesson: dict[int, list[LessonCompleted]] = {}
    for item in items:
        by_lesson.setdefault(item.lesson.pk, []).append(item)
    existing = {p.lesson_id: p for p in LessonProgress.objects.filter(patient=patient, lesson__in=by_lesson)}
    now = timezone.now()
    new, changed = [], []
    for lesson_id, completions in by_lesson.items():
        progress = existing.get(lesson_id)
        if progress is None:
            progress = LessonProgress(patient=patient, lesson_id=lesson_id)
            new.append(progress)
        before = (progress.completed_at, progress.score, progress.total)
        for item in completions:
            if progress.completed_at is None or item.at < progress.completed_at:
                progress.completed_at = item.at
            if item.score is not None and (progress.score is None or item.score > progress.score):
                progress.score, progress.total = item.score, item.total
        if progress.pk is None or (progress.completed_at, progress.score, progress.total) != before:
            progress.updated_at = now
            if progress.pk is not None:
                changed.append(progress)
    LessonProgress.objects.bulk_create(new)
    LessonProgress.objects.bulk_update(changed, ["completed_at", "score", "total", "updated_at"])
    # Bulk writes send no signals (clinics.hooks recounts after a save): one
    # recount for the batch, so its queries stay the same whatever its size.
    if new or changed:
        Patient.objects.filter(pk=patient.pk).refresh_progress()
