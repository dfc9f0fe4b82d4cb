"""The content version: one number, kept in the shared cache, that changes
whenever a lesson or a lesson translation is saved or deleted.

The public page cache (offline/page_cache.py) keeps each page under it and
the service worker's version is made from it (offline/precache.py), so the
two change together, in every process and on every server at the same
moment: the number lives in `settings.CACHES["default"]` (the database's
cache table, or Redis with REDIS_URL), never in a process's memory.

It is bumped by the receivers in offline/apps.py, on every save and delete
of a Lesson or LessonTranslation (the admin, the loader that `migrate` runs,
a shell): one chokepoint, so no write path can forget it.
"""

import hashlib

from django.core.cache import cache
from django.db import transaction

from lessons.models import Lesson, LessonTranslation

CONTENT_VERSION_KEY = "crest:content-version"


def content_version() -> int:
    """The current content version (one cache read)."""
    version = cache.get(CONTENT_VERSION_KEY)
    return version if version is not None else content_version_start()


def content_version_start() -> int:
    """Start the counter when the cache has none (a new cache, a Redis
    restart, a culled entry). It starts from a hash of the lessons as they
    are, so a counter lost while nothing changed comes back as the same
    number and phones are not sent a new worker for nothing; after a change
    the start is another number, never one a phone saw with other content."""
    rows = Lesson.objects.order_by("pk").values_list("pk", "updated_at", "published", "clinic_id")
    texts = LessonTranslation.objects.order_by("pk").values_list("pk", "lesson_id", "language", "updated_at")
    payload = ";".join(f"{pk},{at.isoformat()},{int(published)},{clinic}" for pk, at, published, clinic in rows)
    payload += "|" + ";".join(f"{pk},{lesson},{code},{at.isoformat()}" for pk, lesson, code, at in texts)
    start = int(hashlib.sha256(payload.encode()).hexdigest()[:12], 16)
    # add, not set: when two processes start it at once, the first one counts.
    cache.add(CONTENT_VERSION_KEY, start, timeout=None)
    version = cache.get(CONTENT_VERSION_KEY)
    return version if version is not None else start


def content_version_bump() -> None:
    """A lesson changed: move the version on now, and again once the
    transaction commits. Now, so this transaction's own later reads see the
    change (the database cache writes inside it). After the commit, because
    Redis is outside the transaction: another process may have read the
    first new number before the commit and kept the old page under it."""
    _increment()
    transaction.on_commit(_increment, robust=True)


def _increment() -> None:
    # get and set rather than cache.incr: the database cache's incr sets the
    # default timeout (5 minutes). Two bumps at once may both write the same
    # number; it is still a new one, and the bump after each commit reads
    # the counter only once that change is written, so a page rendered
    # under the number it writes has the change.
    version = cache.get(CONTENT_VERSION_KEY)
    if version is None:  # no counter yet: starting it counts the change
        content_version_start()
    else:
        cache.set(CONTENT_VERSION_KEY, version + 1, timeout=None)


def content_version_on_change(sender, **kwargs) -> None:
    """The receiver offline/apps.py connects to lessons' saves and deletes."""
    content_version_bump()
