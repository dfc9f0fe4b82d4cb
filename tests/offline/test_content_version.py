"""One content version, in the shared cache: moved by every lesson save and
delete, read by the page cache and the service worker alike. The two-server
proof is tests/offline/test_two_servers.py."""

import re

import pytest
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from lessons.models import Lesson, LessonTranslation
from offline.services import CONTENT_VERSION_KEY, content_version, content_version_bump, content_version_start
from tests.factories import make_lesson

pytestmark = pytest.mark.django_db


def worker_version(client) -> str:
    return re.search(r'const VERSION = "(\w+)";', client.get("/serviceworker.js").content.decode())[1]


def test_every_save_and_delete_of_a_lesson_or_a_translation_moves_the_version():
    seen = [content_version()]
    lesson = make_lesson(slug="new-one", title="New one")
    seen.append(content_version())
    lesson.title = "New one, edited"
    lesson.save()
    seen.append(content_version())
    LessonTranslation.objects.create(lesson=lesson, language="es", title="Nueva", body="Texto.")
    seen.append(content_version())
    LessonTranslation.objects.get(lesson=lesson).delete()
    seen.append(content_version())
    lesson.delete()
    seen.append(content_version())
    assert seen == sorted(seen) and len(set(seen)) == len(seen)


def test_a_change_moves_the_version_again_once_it_is_committed(django_capture_on_commit_callbacks):
    """Redis is outside the transaction: another process may read the first
    new number before the commit and keep the old page under it."""
    before = content_version()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        lesson = Lesson.objects.first()
        lesson.save()
    assert content_version() == before + 1
    for callback in callbacks:
        callback()
    assert content_version() == before + 2


def test_the_version_is_read_from_the_shared_cache_every_time():
    cache.set(CONTENT_VERSION_KEY, 41, timeout=None)
    assert content_version() == 41
    cache.set(CONTENT_VERSION_KEY, 42, timeout=None)
    assert content_version() == 42


def test_a_lost_counter_starts_again_from_the_lessons_so_nothing_changes_for_nothing():
    cache.delete(CONTENT_VERSION_KEY)
    start = content_version()
    content_version_bump()
    cache.delete(CONTENT_VERSION_KEY)  # culled, or Redis restarted, with no change since
    assert content_version_start() == start
    lesson = Lesson.objects.first()
    lesson.save()
    cache.delete(CONTENT_VERSION_KEY)
    assert content_version() not in (start, start + 1)


def test_the_counter_never_expires():
    """Django's cache.incr would set the default timeout (five minutes) on
    the database cache: a counter lost every five minutes."""
    content_version_bump()
    with connection.cursor() as cursor:
        cursor.execute("SELECT expires FROM crest_cache WHERE cache_key LIKE %s", [f"%{CONTENT_VERSION_KEY}"])
        (expires,) = cursor.fetchone()
    assert expires.year >= 9999


def test_one_bump_renews_the_worker_and_the_kept_pages_together(client):
    worker = worker_version(client)
    client.get("/lessons/")
    with CaptureQueriesContext(connection) as kept:
        client.get("/lessons/")
    assert len(kept.captured_queries) == 1  # from the cache
    content_version_bump()
    assert worker_version(client) != worker
    with CaptureQueriesContext(connection) as renewed:
        client.get("/lessons/")
    assert len(renewed.captured_queries) > 1  # rendered again
