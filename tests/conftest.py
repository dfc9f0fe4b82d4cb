import os
import tempfile
from pathlib import Path

import pytest

# Playwright's sync API keeps an event loop running in this process for the
# browser tests; Django's ORM would then refuse to run in the same thread.
# The browser tests never touch the ORM in-process (their server is a
# separate gunicorn), so the check has nothing to protect here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


def pytest_sessionstart(session) -> None:
    """Compile the translation catalogs when a .po is newer than its .mo, so
    `pytest` run by hand (not through `make test`) tests the current text."""
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent
    stale = [
        po for po in (root / "locale").rglob("*.po") if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        from django.core.management import call_command

        locales = sorted({po.parts[-3] for po in stale})
        call_command("compilemessages", locale=locales, ignore_patterns=[".venv", "node_modules"], verbosity=0)


@pytest.fixture
def client():
    """Staff signed in with force_login() have passed the second factor too
    (see tests.factories.Client)."""
    from tests.factories import Client

    return Client()


@pytest.fixture
def admin_client(db, admin_user):
    from tests.factories import Client

    client = Client()
    client.force_login(admin_user)
    return client


@pytest.fixture(scope="session")
def django_db_modify_db_settings(django_db_modify_db_settings_parallel_suffix) -> None:
    """On SQLite, test on a file, as production runs (WAL, IMMEDIATE
    transactions, a busy timeout), not in memory: an in-memory database
    shares one cache whose table locks fail at once instead of waiting, so
    tests with real threads (tests/clinics/test_sync_concurrency.py) would
    test something production never does. One file per test process."""
    from django.conf import settings

    database = settings.DATABASES["default"]
    if database["ENGINE"] == "django.db.backends.sqlite3":
        name = Path(tempfile.gettempdir()) / f"crest-test-{os.getpid()}.sqlite3"
        database.setdefault("TEST", {})["NAME"] = str(name)


@pytest.fixture(autouse=True)
def english_unless_asked():
    """A request to an /es/ page leaves Spanish active in the test's thread
    (LocaleMiddleware activates a language per request and never resets it),
    and reverse() would then give /es/ URLs: start and end every test in
    the default language."""
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)
    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _no_public_pages_kept_in_this_process():
    """Public pages, the lessons' version and the dashboard's large lists
    are also kept in this process's memory, which outlives each test's
    rolled-back transaction (the shared cache, a database table, rolls back
    with it): every test starts empty."""
    from clinics.views import remembered
    from lessons.services import lessons_version_forget
    from project.page_cache import this_process

    this_process.clear()
    remembered.clear()
    lessons_version_forget()
    yield
    this_process.clear()
    remembered.clear()
    lessons_version_forget()
