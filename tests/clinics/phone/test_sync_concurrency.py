"""Phones retry while the first request is still running, and a patient may
have Crest open in two tabs and its service worker at once: several posts
of the same items at the same moment must store one copy, and none of them
may fail with a 5xx. Real threads, real transactions (on SQLite the test
database is a file in WAL mode, as in production: tests/conftest.py), on
whichever database the suite runs on."""

import pytest
from django.test import Client

from clinics.models import CravingSummary, LessonProgress, SyncedItem
from tests.concurrency import at_once
from tests.factories import course_lesson, craving_item, lesson_item, make_patient, post_sync

THREADS = 6


def post_at_once(patient, items: list, threads: int = THREADS) -> list[tuple[int, list[str]]]:
    clients = []
    for _ in range(threads):
        client = Client()
        client.force_login(patient.user)
        clients.append(client)

    def send(client: Client) -> tuple[int, list[str]]:
        response = post_sync(client, items)
        statuses = [r["status"] for r in response.json()["results"]] if response.status_code == 200 else []
        return response.status_code, statuses

    return at_once(send, clients)


@pytest.mark.django_db(transaction=True)
def test_threads_posting_the_same_items_at_once_store_one_copy_and_never_fail():
    patient = make_patient(shares_cravings=True)
    lesson = course_lesson(0)
    items = [
        lesson_item(lesson, score=1, total=lesson.quiz_total),
        craving_item(),
        craving_item(),
        lesson_item(course_lesson(1)),
    ]
    answers = post_at_once(patient, items)

    assert [status for status, _ in answers] == [200] * THREADS
    # Each item was stored by exactly one request; every other request saw a duplicate.
    for index in range(len(items)):
        column = sorted(statuses[index] for _, statuses in answers)
        assert column == ["duplicate"] * (THREADS - 1) + ["stored"], (index, column)
    assert SyncedItem.objects.count() == 4
    assert CravingSummary.objects.count() == 2
    assert LessonProgress.objects.filter(patient=patient).count() == 2


@pytest.mark.django_db(transaction=True)
def test_two_tabs_completing_the_same_lesson_under_different_ids_make_one_progress_row():
    """Two items (two ids) for one lesson at once: two receipts, one row."""
    patient = make_patient()
    lesson = course_lesson(2)
    barrier_items = [[lesson_item(lesson)] for _ in range(2)]
    clients = []
    for _ in barrier_items:
        client = Client()
        client.force_login(patient.user)
        clients.append(client)
    codes = at_once(lambda pair: post_sync(*pair).status_code, list(zip(clients, barrier_items, strict=True)))
    assert codes == [200, 200]
    assert SyncedItem.objects.count() == 2
    assert LessonProgress.objects.filter(patient=patient, lesson=lesson).count() == 1
