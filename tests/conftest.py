import os
import tempfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

# Playwright's sync API keeps an event loop running in this process for the
# browser tests; Django's ORM would then refuse to run in the same thread.
# The browser tests never touch the ORM in-process (their server is a
# separate gunicorn), so the check has nothing to protect here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


# Every skip in this suite means something is missing on the machine
# (PostgreSQL, Redis, nginx, Node): fine on a laptop, where `-ra` lists each
# with its reason, but CI must never pass by not running a test. .ci/run
# sets CREST_REQUIRE_SERVICES=1, and there a skip is a failure.
REQUIRE_SERVICES = "CREST_REQUIRE_SERVICES"


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.skipped and not hasattr(report, "wasxfail") and os.environ.get(REQUIRE_SERVICES) == "1":
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
        report.outcome = "failed"
        report.longrepr = f"{reason.removeprefix('Skipped: ')}, and {REQUIRE_SERVICES}=1 says every test must run here"
    return report


def database_vendor() -> str:
    url = os.environ.get("DATABASE_URL", "")
    return "postgresql" if url.startswith(("postgres://", "postgresql://")) else "sqlite"


def pytest_collection_modifyitems(config, items) -> None:
    """A test about one database's own machinery (a PostgreSQL trigger, the
    SQLite copy) runs when the suite runs on that database, and is left out
    (deselected, not skipped) on the other: CI runs the suite on both."""
    vendor = database_vendor()
    kept, left_out = [], []
    for item in items:
        marker = item.get_closest_marker("only_on")
        (left_out if marker and marker.args[0] != vendor else kept).append(item)
    if left_out:
        config.hook.pytest_deselected(items=left_out)
        items[:] = kept


def pytest_configure(config) -> None:
    """Under `pytest -n` (pytest-xdist) each test process gets a Redis
    database of its own (1, 2, …) for the servers it starts: two stacks
    sharing one would share the content version and the page cache, and
    one test's edited lesson could show on the other's servers."""
    worker = getattr(config, "workerinput", {}).get("workerid")
    if worker and "CREST_TEST_REDIS_URL" not in os.environ:
        from bench.topology import DEFAULT_REDIS

        database = 1 + int(worker.removeprefix("gw")) % 15
        os.environ["CREST_TEST_REDIS_URL"] = urlparse(DEFAULT_REDIS)._replace(path=f"/{database}").geturl()


def pytest_sessionstart(session) -> None:
    """Compile the translation catalogs when a .po is newer than its .mo, so
    `pytest` run by hand (not through `make test`) tests the current text.
    Once, in the main process (not in each of `pytest -n`'s workers)."""
    if hasattr(session.config, "workerinput"):
        return

    root = Path(__file__).resolve().parent.parent
    stale = [
        po for po in (root / "locale").rglob("*.po") if not po.with_suffix(".mo").exists()
        or po.with_suffix(".mo").stat().st_mtime < po.stat().st_mtime
    ]
    if stale:
        from django.core.management import call_command

        locales = sorted({po.parts[-3] for po in stale})
        call_command("compilemessages", locale=locales, ignore_patterns=[".venv", "node_modules"], verbosity=0)


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """Tests make many users; the real hasher is slow on purpose. (The
    servers that browser and deploy tests start keep the settings' own.)"""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
    tests with real threads (tests/clinics/phone/test_sync_concurrency.py) would
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

