"""Which occurrence is due when: the person's clock in their phone's time
zone, quiet hours (wait or skip), missed occurrences that are still useful,
and lessons only while they are still to do."""

from datetime import UTC, date, datetime, time, timedelta

import pytest

from clinics.models import Patient
from reminders.models import Reminder, Subscription
from reminders.services import in_quiet_hours, occurrences_due, reminders_plan
from tests.factories import course_lesson, make_assignment, make_patient, make_progress

Kind = Reminder.Kind


def utc(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=UTC)


def sub(**fields) -> Subscription:
    defaults = {"endpoint": "https://fcm.googleapis.com/fcm/send/x", "p256dh": "k", "auth": "a", "time_zone": "UTC"}
    return Subscription(**{**defaults, **fields})


def kinds(subscription, now, due_dates=frozenset()):
    return [(o.kind, o.due_at) for o in occurrences_due(subscription, now=now, lesson_due_dates=set(due_dates))]


def test_quiet_hours_over_midnight():
    assert in_quiet_hours(time(23, 0), time(22, 0), time(8, 0))
    assert in_quiet_hours(time(7, 59), time(22, 0), time(8, 0))
    assert not in_quiet_hours(time(8, 0), time(22, 0), time(8, 0))
    assert in_quiet_hours(time(13, 0), time(12, 0), time(14, 0))
    assert not in_quiet_hours(time(13, 0), time(13, 0), time(13, 0))  # equal: none


def test_a_daily_check_in_is_due_at_its_local_time_in_the_phones_zone():
    s = sub(checkin_time=time(9, 0), time_zone="America/New_York")  # 09:00 EDT = 13:00 UTC
    assert kinds(s, utc("2026-05-04T12:59")) == []
    assert (Kind.CHECKIN, utc("2026-05-04T13:00")) in kinds(s, utc("2026-05-04T13:00"))


def test_a_missed_check_in_is_sent_late_while_still_useful_then_never():
    s = sub(checkin_time=time(9, 0))
    assert kinds(s, utc("2026-05-04T10:30")) == [(Kind.CHECKIN, utc("2026-05-04T09:00"))]  # server was down
    assert kinds(s, utc("2026-05-04T12:01")) == []  # three hours later: too late


def test_when_the_phone_moves_the_check_in_keeps_its_clock_time():
    s = sub(checkin_time=time(8, 0), time_zone="America/New_York")
    assert (Kind.CHECKIN, utc("2026-05-04T12:00")) in kinds(s, utc("2026-05-04T12:00"))
    s.time_zone = "Europe/Madrid"  # 08:00 CEST = 06:00 UTC
    assert kinds(s, utc("2026-05-05T06:00")) == [(Kind.CHECKIN, utc("2026-05-05T06:00"))]


def test_inside_quiet_hours_a_reminder_waits_for_their_end_or_is_skipped():
    waiting = sub(checkin_time=time(23, 30))
    assert kinds(waiting, utc("2026-05-04T23:30")) == []
    found = occurrences_due(waiting, now=utc("2026-05-05T08:00"), lesson_due_dates=set())
    assert [(o.kind, o.due_at, o.send_at) for o in found] == [
        (Kind.CHECKIN, utc("2026-05-04T23:30"), utc("2026-05-05T08:00"))
    ]
    skipping = sub(checkin_time=time(23, 30), quiet=Subscription.Quiet.DROP)
    assert kinds(skipping, utc("2026-05-05T08:00")) == []
    assert kinds(skipping, utc("2026-05-04T23:30")) == []


def test_nothing_goes_during_quiet_hours_even_a_late_one_due_before_them():
    """A check-in due at 21:30 and still useful until 00:30 once went at
    23:15 if the run came late (a server down, a retry after a push
    service's Retry-After): quiet hours are judged when it goes, too."""
    for mode in Subscription.Quiet.values:
        s = sub(checkin_time=time(21, 30), quiet=mode)  # quiet hours 22:00–08:00 (the default)
        assert kinds(s, utc("2026-05-04T21:45")) == [(Kind.CHECKIN, utc("2026-05-04T21:30"))]
        assert kinds(s, utc("2026-05-04T23:15")) == [], mode
        assert kinds(s, utc("2026-05-05T08:00")) == [], mode  # past its usefulness by then


def test_changed_quiet_hours_are_honoured():
    s = sub(checkin_time=time(23, 30), quiet_start=time(0, 0), quiet_end=time(6, 0))
    assert kinds(s, utc("2026-05-04T23:30")) == [(Kind.CHECKIN, utc("2026-05-04T23:30"))]


def test_a_weekly_check_in_comes_on_its_weekday_only():
    s = sub(weekly_day=4, weekly_time=time(18, 30))  # Friday
    assert kinds(s, utc("2026-05-08T18:30")) == [(Kind.WEEKLY, utc("2026-05-08T18:30"))]  # a Friday
    assert kinds(s, utc("2026-05-07T18:30")) == []


def test_lesson_reminders_the_day_before_and_on_the_last_day():
    due = date(2026, 5, 6)
    one = sub(lessons=Subscription.Lessons.ONE)
    assert kinds(one, utc("2026-05-05T18:00"), {due}) == [(Kind.LESSON, utc("2026-05-05T18:00"))]
    assert kinds(one, utc("2026-05-06T18:00"), {due}) == []
    two = sub(lessons=Subscription.Lessons.TWO, checkin_time=time(9, 0))
    assert (Kind.LESSON, utc("2026-05-05T09:00")) in kinds(two, utc("2026-05-05T09:00"), {due})
    assert (Kind.LESSON_LAST_DAY, utc("2026-05-06T09:00")) in kinds(two, utc("2026-05-06T09:00"), {due})
    off = sub(lessons=Subscription.Lessons.OFF)
    assert kinds(off, utc("2026-05-05T18:00"), {due}) == []


@pytest.mark.django_db
def test_planning_makes_one_row_per_occurrence_however_often_it_runs():
    s = sub(checkin_time=time(9, 0))
    s.save()
    for minute in range(0, 120, 7):
        reminders_plan(now=utc("2026-05-04T09:00") + timedelta(minutes=minute))
    assert Reminder.objects.filter(subscription=s).count() == 1


@pytest.mark.django_db
def test_lessons_done_withdrawn_or_not_shared_get_no_reminder():
    from reminders.services import lesson_due_dates

    patient = make_patient()
    todo = make_assignment(patient=patient, lesson=course_lesson(0), due_date=date(2026, 5, 6))
    done = make_assignment(patient=patient, lesson=course_lesson(1), due_date=date(2026, 5, 7))
    make_progress(patient=patient, lesson=course_lesson(1))
    withdrawn = make_assignment(patient=patient, lesson=course_lesson(2), due_date=date(2026, 5, 5))
    withdrawn.withdrawn_at = datetime(2026, 5, 1, tzinfo=UTC)
    withdrawn.save()
    found = lesson_due_dates(user_ids=[patient.user_id], around=date(2026, 5, 5))
    assert found == {patient.user_id: {todo.due_date}}
    assert done.due_date not in found[patient.user_id]
    Patient.objects.filter(pk=patient.pk).update(shares_progress=False)
    assert lesson_due_dates(user_ids=[patient.user_id], around=date(2026, 5, 5)) == {}
