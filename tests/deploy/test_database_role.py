"""The app's own PostgreSQL role (deploy/postgres-app-role.sql): everything
Crest does works through it, and it cannot rewrite the audit trail, not even
with TRUNCATE, which the append-only trigger does not see."""

import os
import secrets
import shutil
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest

from devtools.server import postgres_admin

from .databases import require_postgres, throwaway_postgres

ROOT = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.deploy, pytest.mark.only_on("postgresql")]

MAKE_STORY = """
from accounts.models import User
from clinics import services
from clinics.models import AuditEvent, Clinic
clinic = Clinic.objects.create(name="Role Clinic", slug="role-clinic")
staff = User.objects.create_user("role-staff")
services.audit_record(actor=staff, clinic=clinic, action=AuditEvent.Action.EXPORTED)
services.audit_record(actor=staff, clinic=clinic, action=AuditEvent.Action.EXPORTED)
print(AuditEvent.objects.count())
"""


def manage(database_url: str, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CREST_"))}
    env.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="role-tests-only", DATABASE_URL=database_url)
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def app_role_database():
    """A migrated database, the owner's URL and the app role's URL, with the
    role's privileges from deploy/postgres-app-role.sql as the docs apply them."""
    if shutil.which("psql") is None:
        pytest.skip("psql is not installed (`make pg-client` installs Debian's)")
    role = f"crest_app_{secrets.token_hex(3)}"
    postgres_admin(require_postgres(), f'CREATE ROLE "{role}" LOGIN')
    try:
        with throwaway_postgres("crest_role") as owner_url:
            migrated = manage(owner_url, "migrate", "--noinput", "-v", "0")
            assert migrated.returncode == 0, migrated.stderr
            applied = subprocess.run(
                ["psql", owner_url, "-v", f"app_role={role}", "-f", str(ROOT / "deploy" / "postgres-app-role.sql")],
                capture_output=True, text=True, timeout=60,
            )
            assert applied.returncode == 0, applied.stderr
            owner = urlparse(owner_url)
            yield owner_url, owner._replace(netloc=f"{role}@{owner.hostname}:{owner.port or 5432}").geturl()
    finally:
        # The database, and the privileges in it, are gone: the role goes too.
        postgres_admin(require_postgres(), f'DROP ROLE IF EXISTS "{role}"')


def refused(app_url: str, statement: str) -> str:
    """The error PostgreSQL gives the app's role for `statement`."""
    with psycopg.connect(app_url, autocommit=True) as conn, pytest.raises(psycopg.Error) as error:
        conn.execute(statement)
    return f"{error.value.sqlstate} {error.value}"


def test_the_app_role_does_what_crest_does_and_cannot_rewrite_the_audit_trail(app_role_database):
    owner_url, app_url = app_role_database
    # make serve migrates on start: with nothing to apply, the app's role can.
    assert manage(app_url, "migrate", "--noinput", "-v", "0").returncode == 0
    # Rows written through the app (the audit chain's lock included), the chain checked.
    story = manage(app_url, "shell", "-v", "0", "-c", MAKE_STORY)
    assert story.returncode == 0 and story.stdout.strip() == "2", story.stderr
    verified = manage(app_url, "verify_audit")
    assert verified.returncode == 0, verified.stdout + verified.stderr
    with psycopg.connect(app_url, autocommit=True) as conn:
        conn.execute("DELETE FROM accounts_accountsession")  # clearsessions

    # Not the audit trail, however asked; not TRUNCATE anywhere; not the schema.
    for statement in (
        "UPDATE clinics_auditevent SET detail = 'changed'",
        "DELETE FROM clinics_auditevent",
        "TRUNCATE clinics_auditevent",
        "TRUNCATE accounts_accountsession",
        "ALTER TABLE clinics_auditevent DISABLE TRIGGER ALL",
        "CREATE TABLE crest_extra (id int)",
    ):
        error = refused(app_url, statement)
        assert error.startswith("42501") or "must be owner" in error, (statement, error)
    with psycopg.connect(owner_url, autocommit=True) as conn:
        assert conn.execute("SELECT count(*) FROM clinics_auditevent").fetchone()[0] == 2
