import os

import pytest
from django.core.cache import cache

# Playwright's sync API keeps an event loop running in this process for the
# browser tests; Django's ORM would then refuse to run in the same thread.
# The browser tests never touch the ORM in-process (their server is a
# separate gunicorn), so the check has nothing to protect here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


@pytest.fixture(autouse=True)
def _empty_cache():
    """Public pages and the lessons' version live in the cache, which outlives
    each test's rolled-back transaction: every test starts with none."""
    cache.clear()
    yield
    cache.clear()
