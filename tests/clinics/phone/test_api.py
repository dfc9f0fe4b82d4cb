"""The phone's API: GET /api/v1/me/assignments/ (who, what they share, what
is assigned with its status) and POST /api/v1/sync (a batch kept exactly
once, every bad input a 4xx with a JSON reason, never a 500)."""

import json
import uuid
from datetime import UTC, timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from accounts.services import account_public_id
from clinics.models import CravingSummary, LessonProgress, SyncedItem
from tests.factories import (
    course_lesson,
    craving_item,
    lesson_item,
    make_assignment,
    make_clinic,
    make_lesson,
    make_patient,
    make_progress,
    make_staff,
    post_sync,
)

pytestmark = pytest.mark.django_db
SYNC = "/api/v1/sync"


@pytest.fixture
def patient():
    return make_patient(shares_cravings=True)


@pytest.fixture
def phone(client, patient):
    client.force_login(patient.user)
    return client


def results(response) -> list[dict]:
    assert response.status_code == 200, response.content
    return response.json()["results"]


# --- Who is signed in ----------------------------------------------------------


def test_me_for_anonymous_is_a_200_saying_signed_out_and_sets_no_cookie(client):
    response = client.get(reverse("phone:api_assignments"))
    assert response.json() == {"signed_in": False}
    assert "csrftoken" not in response.cookies


def test_me_for_staff_says_not_a_patient(client):
    staff = make_staff()
    client.force_login(staff)
    assert client.get(reverse("phone:api_assignments")).json() == {
        "signed_in": True, "patient": False, "account": account_public_id(staff), "assignments": []
    }


def test_me_gives_the_account_sharing_token_and_each_assignments_status(phone, patient):
    today = patient.clinic.today()
    done, late, now = course_lesson(0), course_lesson(1), course_lesson(2)
    make_assignment(patient=patient, lesson=done, due_date=today + timedelta(days=3))
    make_assignment(patient=patient, lesson=late, due_date=today - timedelta(days=1))
    make_assignment(patient=patient, lesson=now, due_date=today)
    make_assignment(patient=patient, lesson=course_lesson(3), withdrawn_at=timezone.now())
    make_assignment(patient=make_patient(clinic=patient.clinic), lesson=course_lesson(4))
    make_progress(patient=patient, lesson=done, done=True, score=3, total=3)
    data = phone.get(reverse("phone:api_assignments")).json()
    assert data["account"] == account_public_id(patient.user) and len(data["account"]) >= 16
    assert data["sharing"] == {"lessons": True, "cravings": True, "notes": False}
    assert data["csrf_token"]
    assert {a["slug"]: a["status"] for a in data["assignments"]} == {
        done.slug: "done", late.slug: "overdue", now.slug: "due_today"
    }
    assert [a for a in data["assignments"] if a["slug"] == done.slug][0]["score"] == 3


def test_the_account_id_is_stable_and_differs_between_accounts():
    one, two = make_patient(), make_patient()
    assert account_public_id(one.user) == account_public_id(one.user) != account_public_id(two.user)
    assert str(one.user.pk) != account_public_id(one.user)


# --- A good batch ----------------------------------------------------------------


def test_a_batch_is_answered_item_by_item_in_order(phone, patient):
    lesson = course_lesson(0)
    items = [lesson_item(lesson, score=2, total=lesson.quiz_total), craving_item(), lesson_item(course_lesson(5))]
    answer = results(post_sync(phone, items))
    assert [(r["id"], r["status"], r["errors"]) for r in answer] == [(item["id"], "stored", {}) for item in items]
    assert LessonProgress.objects.filter(patient=patient).count() == 2
    assert CravingSummary.objects.filter(patient=patient).count() == 1


def test_a_rejected_item_says_why_in_the_phones_language(phone, patient, settings):
    """The phone shows the reasons to the person: a Spanish phone (by its
    language, or by the choice it keeps in the language cookie) reads them
    in Spanish."""
    item = {**lesson_item(course_lesson(0)), "lesson": "no-such-lesson"}
    by_browser = results(post_sync(phone, [item], HTTP_ACCEPT_LANGUAGE="es"))
    assert by_browser[0]["errors"] == {"lesson": "Crest ya no tiene esta lección."}
    phone.cookies[settings.LANGUAGE_COOKIE_NAME] = "es"
    by_choice = results(post_sync(phone, [{**item, "id": str(uuid.uuid4())}], HTTP_ACCEPT_LANGUAGE="en"))
    assert by_choice[0]["errors"] == {"lesson": "Crest ya no tiene esta lección."}


def test_valid_items_are_kept_when_others_in_the_batch_are_rejected(phone, patient):
    good, bad = lesson_item(course_lesson(0)), {**lesson_item(course_lesson(0)), "lesson": "no-such-lesson"}
    answer = results(post_sync(phone, [bad, good, "not an object"]))
    assert [r["status"] for r in answer] == ["rejected", "stored", "rejected"]
    assert answer[0]["errors"] == {"lesson": "Crest no longer has this lesson."}
    assert answer[2]["id"] is None and "item" in answer[2]["errors"]
    assert SyncedItem.objects.count() == 1


def test_a_batch_replayed_three_times_stores_one_copy(phone, patient):
    batch = [lesson_item(course_lesson(0)), craving_item(), craving_item()]
    first = results(post_sync(phone, batch))
    replays = [results(post_sync(phone, batch)) for _ in range(3)]
    assert [r["status"] for r in first] == ["stored"] * 3
    for replay in replays:
        assert [r["status"] for r in replay] == ["duplicate"] * 3
    assert SyncedItem.objects.count() == 3 and CravingSummary.objects.count() == 2
    assert LessonProgress.objects.count() == 1


def test_a_replay_with_changed_content_changes_nothing(phone):
    item = craving_item(intensity_before=9)
    post_sync(phone, [item])
    assert results(post_sync(phone, [{**item, "intensity_before": 1}]))[0]["status"] == "duplicate"
    assert CravingSummary.objects.get().intensity_before == 9


def test_the_same_id_twice_in_one_batch_is_stored_once(phone):
    item = craving_item()
    assert [r["status"] for r in results(post_sync(phone, [item, item]))] == ["stored", "duplicate"]


def test_another_patients_item_id_is_refused_not_merged(phone, patient):
    item = craving_item()
    other = Client()
    other.force_login(make_patient(shares_cravings=True).user)
    post_sync(other, [item])
    answer = results(post_sync(phone, [item]))[0]
    assert answer["status"] == "rejected" and "id" in answer["errors"]
    assert not CravingSummary.objects.filter(patient=patient).exists()


def test_completion_keeps_the_earliest_time_and_the_best_score(phone, patient):
    lesson = course_lesson(0)
    total = lesson.quiz_total
    early = timezone.now() - timedelta(days=2)
    post_sync(phone, [lesson_item(lesson, score=total - 1, total=total)])
    post_sync(phone, [lesson_item(lesson, score=0, total=total, at=early.isoformat())])
    post_sync(phone, [lesson_item(lesson)])
    row = LessonProgress.objects.get(patient=patient)
    assert (row.score, row.total) == (total - 1, total)
    assert abs((row.completed_at - early).total_seconds()) < 1


def test_a_completion_made_before_the_lessons_questions_changed_is_kept_without_its_score(phone, patient):
    """A phone that finished a lesson offline before a deploy changed its
    check sends the old number of questions. The completion is the person's
    work and counts; only the score, out of another check, is left out."""
    lesson = course_lesson(0)
    make_assignment(patient=patient, lesson=lesson)
    old_total = lesson.quiz_total - 1 if lesson.quiz_total > 1 else lesson.quiz_total + 1
    answer = results(post_sync(phone, [lesson_item(lesson, score=old_total, total=old_total)]))[0]
    assert answer["status"] == "stored", answer
    row = LessonProgress.objects.get(patient=patient)
    assert row.completed_at is not None and (row.score, row.total) == (None, None)
    patient.refresh_from_db()
    assert patient.done_count == 1


def test_completions_of_one_lesson_in_one_batch_keep_the_earliest_time_and_the_best_score(phone, patient):
    """A batch is kept as a whole: three completions of a lesson sent
    together make one row, as the same three sent one by one do."""
    lesson = course_lesson(0)
    make_assignment(patient=patient, lesson=lesson)
    total = lesson.quiz_total
    early = timezone.now() - timedelta(days=2)
    batch = [
        lesson_item(lesson, score=total - 1, total=total),
        lesson_item(lesson, score=0, total=total, at=early.isoformat()),
        lesson_item(lesson),
    ]
    assert [r["status"] for r in results(post_sync(phone, batch))] == ["stored"] * 3
    row = LessonProgress.objects.get(patient=patient)
    assert (row.score, row.total) == (total - 1, total)
    assert abs((row.completed_at - early).total_seconds()) < 1
    patient.refresh_from_db()
    assert (patient.assigned_count, patient.done_count) == (1, 1)


def test_an_unassigned_lesson_counts_and_an_overdue_one_done_offline_in_time_is_done(phone, patient):
    lesson = course_lesson(1)
    make_assignment(patient=patient, lesson=lesson, due_date=patient.clinic.today() + timedelta(days=1))
    post_sync(phone, [lesson_item(course_lesson(2)), lesson_item(lesson)])
    statuses = {a["slug"]: a["status"] for a in phone.get(reverse("phone:api_assignments")).json()["assignments"]}
    assert statuses == {lesson.slug: "done"}
    assert LessonProgress.objects.filter(patient=patient).count() == 2


def test_another_clinics_own_lesson_is_no_such_lesson(phone):
    theirs = make_lesson(clinic=make_clinic())
    [answer] = results(post_sync(phone, [lesson_item(theirs)]))
    assert answer["errors"] == {"lesson": "Crest no longer has this lesson."}


@pytest.mark.parametrize(
    "change, field",
    [
        ({"id": "not-a-uuid"}, "id"),
        ({"id": 12}, "id"),
        ({"type": "lesson.started"}, "type"),
        ({"type": []}, "type"),  # a list or an object is no type (and no dict key): once a 500
        ({"type": {"lesson.completed": 1}}, "type"),
        ({"at": "yesterday"}, "at"),
        ({"at": "2026-03-01T10:00:00"}, "at"),  # no time zone
        ({"at": "2999-01-01T00:00:00Z"}, "at"),
        ({"at": 1700000000}, "at"),
        ({"lesson": 5}, "lesson"),
        ({"score": 1}, "score"),
        ({"score": 9, "total": 3}, "score"),
        ({"score": -1, "total": 3}, "score"),
        ({"score": True, "total": 3}, "score"),
        ({"score": 1.5, "total": 3}, "score"),
        ({"score": 1, "total": 99}, "total"),  # more questions than any check has
        ({"extra": 1}, "extra"),
    ],
)
def test_a_bad_lesson_item_is_rejected_with_the_field_named(phone, change, field):
    answer = results(post_sync(phone, [{**lesson_item(course_lesson(0)), **change}]))[0]
    assert answer["status"] == "rejected" and field in answer["errors"], answer
    assert not SyncedItem.objects.exists()


@pytest.mark.parametrize(
    "change, field",
    [
        ({"intensity_before": 11}, "intensity_before"),
        ({"intensity_after": "7"}, "intensity_after"),
        ({"tool": "vodka"}, "tool"),
        ({"outcome": 3}, "outcome"),
        ({"triggers": ["Stressed"]}, "triggers"),
        ({"triggers": {"feelings": ["My neighbour Bob"]}}, "triggers"),
        ({"triggers": {"moods": ["Sad"]}}, "triggers"),
        ({"note": "x" * 2001}, "note"),
        ({"note": {"text": "hi"}}, "note"),
        ({"lesson": "two-forces"}, "lesson"),
    ],
)
def test_a_bad_craving_item_is_rejected_with_the_field_named(phone, change, field):
    answer = results(post_sync(phone, [{**craving_item(), **change}]))[0]
    assert answer["status"] == "rejected" and field in answer["errors"], answer
    assert not CravingSummary.objects.exists()


def test_a_craving_item_may_leave_every_optional_field_out(phone):
    item = {"id": str(uuid.uuid4()), "type": "craving.logged", "at": "2026-01-05T22:10:00+01:00"}
    assert results(post_sync(phone, [item]))[0]["status"] == "stored"
    assert CravingSummary.objects.get().tool == ""


# --- Every error case of the batch as a whole ---------------------------------------


def raw_post(client, body, content_type="application/json", **extra):
    # CONTENT_TYPE too: the test client leaves it out when the body is empty.
    return client.generic("POST", SYNC, body, content_type=content_type, CONTENT_TYPE=content_type, **extra)


def assert_json_error(response, status: int) -> None:
    assert response.status_code == status, (response.status_code, response.content[:200])
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["error"]


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"null",
        b"[]",
        b'{"items": {}}',
        b'{"items": [], "extra": 1}',
        b'{"things": []}',
        b"\xff\xfe{}",
        b'{"items": [NaN]}',
        b'{"items": [Infinity]}',
        b'{"items": [' + b"1" * 5000 + b"]}",  # too many digits to convert
        b"[" * 100_000 + b"]" * 100_000,  # nested past the parser's recursion limit
        b'{"items": ' + b'{"a":' * 30_000 + b"1" + b"}" * 30_000 + b"}",
    ],
    ids=lambda body: body[:20].decode("latin-1"),
)
def test_malformed_json_or_shape_is_a_400(phone, body):
    assert_json_error(raw_post(phone, body), 400)


def test_not_signed_in_is_a_401_and_staff_get_a_403(client):
    assert_json_error(post_sync(client, [craving_item()]), 401)
    client.force_login(make_staff())
    assert_json_error(post_sync(client, [craving_item()]), 403)


def test_without_the_csrf_token_it_is_a_403_and_with_it_a_200(patient):
    client = Client(enforce_csrf_checks=True)
    client.force_login(patient.user)
    assert post_sync(client, [craving_item()]).status_code == 403
    token = client.get(reverse("phone:api_assignments")).json()["csrf_token"]
    assert post_sync(client, [craving_item()], HTTP_X_CSRFTOKEN=token).status_code == 200


def test_items_for_another_account_are_a_409_and_nothing_is_stored(phone, patient):
    other = make_patient()
    response = post_sync(phone, [craving_item()], HTTP_X_CREST_ACCOUNT=account_public_id(other.user))
    assert_json_error(response, 409)
    assert not SyncedItem.objects.exists()
    mine = post_sync(phone, [craving_item()], HTTP_X_CREST_ACCOUNT=account_public_id(patient.user))
    assert results(mine)[0]["status"] == "stored"


def test_more_than_100_items_is_a_413(phone):
    assert_json_error(post_sync(phone, [craving_item() for _ in range(101)]), 413)
    assert results(post_sync(phone, [craving_item() for _ in range(100)]))[99]["status"] == "stored"


def test_a_body_over_256_kb_is_a_413_even_when_it_claims_less(phone):
    body = json.dumps({"items": [craving_item(note="x" * 2000) for _ in range(100)] * 2}).encode()
    assert len(body) > 256 * 1024
    assert_json_error(raw_post(phone, body), 413)
    padded = b'{"items": []' + b" " * (257 * 1024) + b"}"
    assert_json_error(raw_post(phone, padded), 413)


@pytest.mark.parametrize(
    "content_type", ["text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", ""]
)
def test_a_wrong_content_type_is_a_415(phone, content_type):
    assert_json_error(raw_post(phone, b'{"items": []}', content_type=content_type), 415)


def test_json_with_a_charset_is_fine(phone):
    body = json.dumps({"items": [craving_item()]}).encode()
    response = raw_post(phone, body, content_type="application/json; charset=utf-8")
    assert results(response)[0]["status"] == "stored"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "head", "options"])
def test_other_methods_are_a_405(phone, method):
    response = getattr(phone, method)(SYNC)
    assert response.status_code == 405 and response["Allow"] == "POST"


def test_answers_are_never_cached(phone):
    assert "no-store" in post_sync(phone, [])["Cache-Control"]


# --- Random JSON never gets a 5xx --------------------------------------------------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=40),
    lambda children: st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5),
    max_leaves=25,
)
item_like = st.fixed_dictionaries(
    {},
    optional={
        "id": st.one_of(st.uuids().map(str), st.text(max_size=40), st.integers()),
        "type": st.sampled_from(["lesson.completed", "craving.logged", "other"]) | st.text(max_size=10) | json_values,
        "at": st.one_of(st.datetimes(timezones=st.just(UTC)).map(lambda d: d.isoformat()), st.text(max_size=30)),
        "lesson": st.sampled_from(["two-forces", "pain-relief", "nope"]) | json_values,
        "score": st.integers(-2, 6) | json_values,
        "total": st.integers(-2, 6) | json_values,
        "intensity_before": st.integers(-1, 11) | json_values,
        "intensity_after": st.integers(-1, 11) | json_values,
        "tool": st.sampled_from(["wave", "breathing", "x"]) | json_values,
        "outcome": st.sampled_from(["passed", "used", "x"]) | json_values,
        "triggers": st.dictionaries(
            st.sampled_from(["people", "feelings", "halt", "x"]),
            st.lists(st.sampled_from(["Stressed", "Tired", "Home", "?"]) | json_values, max_size=3),
            max_size=3,
        ) | json_values,
        "note": st.text(max_size=50) | json_values,
    },
)
bodies = st.one_of(
    json_values,
    st.fixed_dictionaries({"items": st.lists(item_like | json_values, max_size=6)}),
    st.dictionaries(st.sampled_from(["items", "x"]), json_values, max_size=2),
)


@settings(
    max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]
)
@given(body=bodies)
def test_random_json_never_gets_a_5xx(phone, body):
    response = raw_post(phone, json.dumps(body).encode())
    assert response.status_code < 500, (body, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    if response.status_code == 200:
        answer = response.json()["results"]
        assert len(answer) == len(body["items"])
        assert all(r["status"] in {"stored", "duplicate", "not_shared", "rejected"} for r in answer)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(body=st.binary(max_size=300))
def test_random_bytes_never_get_a_5xx(phone, body):
    assert raw_post(phone, body).status_code < 500
