import os

import pytest

# Playwright's sync API keeps an event loop running in this process for the
# browser tests; Django's ORM would then refuse to run in the same thread.
# The browser tests never touch the ORM in-process (their server is a
# separate gunicorn), so the check has nothing to protect here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")


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
