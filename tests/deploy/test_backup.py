"""`manage.py backup` while the database is being written to, then `restore`
into a fresh database: every table must match the source at the moment of the
backup, on SQLite (online backup API) and PostgreSQL (pg_dump/pg_restore),
except sessions and the cache, which no backup holds. Backups are encrypted
to the operator's age recipients; only their identity (private key) restores."""

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .databases import primary_key_column, read_tables, throwaway_postgres

ROOT = Path(__file__).resolve().parents[2]
# Sessions (a replayed row is a signed-in staff member) and the cache are left out.
NOT_BACKED_UP = {"accounts_accountsession", "django_session", "crest_cache"}

pytestmark = pytest.mark.deploy


@pytest.fixture(scope="module")
def age_key(tmp_path_factory) -> tuple[str, Path]:
    """An operator's age key pair: (recipient, identity file)."""
    if shutil.which("age-keygen") is None:
        pytest.skip("age is not installed (`make age` installs Debian's)")
    identity = tmp_path_factory.mktemp("age") / "operator.key"
    subprocess.run(["age-keygen", "-o", str(identity)], check=True, capture_output=True)
    recipient = subprocess.run(
        ["age-keygen", "-y", str(identity)], check=True, capture_output=True, text=True
    ).stdout.strip()
    return recipient, identity


RECIPIENT: dict[str, str] = {}


def production_env(database_url: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "CREST_"))}
    env.update(DJANGO_DEBUG="0", DJANGO_SECRET_KEY="backup-tests-only", DATABASE_URL=database_url)
    if RECIPIENT:
        env["CREST_BACKUP_RECIPIENTS"] = RECIPIENT["age"]
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


@pytest.fixture(autouse=True)
def operator_recipient(age_key):
    RECIPIENT["age"] = age_key[0]
    yield
    RECIPIENT.clear()


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def logged(log: Path) -> list[dict]:
    return [json.loads(line) for line in log.read_text().splitlines() if line.endswith("}")]


def wait_for(condition, timeout: float = 20) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met in time")
        time.sleep(0.05)


@pytest.fixture(params=["sqlite", "postgresql"])
def databases(request, tmp_path):
    """(source URL, fresh target URL) on one engine."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'source.sqlite3'}", f"sqlite:///{tmp_path / 'restored.sqlite3'}"
    else:
        with throwaway_postgres("crest_backup_src") as source, throwaway_postgres("crest_backup_dst") as target:
            yield source, target


def test_backup_under_writes_restores_every_table_as_it_was_at_the_backup(databases, tmp_path, age_key):
    source_url, target_url = databases
    source = production_env(source_url)
    assert manage(source, "migrate", "--noinput", "-v", "0").returncode == 0

    log, stop = tmp_path / "writer.log", tmp_path / "stop"
    writer = subprocess.Popen(
        [sys.executable, "-m", "tests.deploy.writer", str(log), str(stop)], cwd=ROOT, env=source,
        stderr=subprocess.PIPE, text=True,
    )
    try:
        wait_for(lambda: log.exists() and len(logged(log)) >= 20)
        backup_file = tmp_path / ("backup.sqlite3.age" if source_url.startswith("sqlite") else "backup.pgdump.age")
        # Counted before the command exists, so every one of these must be in
        # the copy, however the machine schedules this process, the writer and
        # the backup: a stale copy (say, SQLite's main file without its WAL)
        # shows. Counting later, say once the command says it is starting,
        # races with its copy on a busy machine (the copy may be taken
        # before this process gets to count).
        committed_before = len(logged(log))
        backup = subprocess.Popen(
            [sys.executable, "manage.py", "backup", "-v", "2", "--output", str(backup_file)],
            cwd=ROOT, env=source, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )
        assert backup.stdout.readline().strip() == "Starting the backup."
        # Read the rest through the same buffered file as the first line:
        # communicate() reads the pipe underneath it and would miss a line
        # already buffered with the first (a quick backup writes both at once).
        backup_out = backup.stdout.read()
        backup_err = backup.stderr.read()
        backup.wait(timeout=60)
        committed_after = len(logged(log))
    finally:
        stop.touch()
        _, writer_errors = writer.communicate(timeout=30)
    assert writer.returncode == 0, writer_errors
    assert backup.returncode == 0, backup_err
    assert f"to {backup_file}" in backup_out

    assert backup_file.read_bytes().startswith(b"age-encryption.org/v1")
    target = production_env(target_url)
    identity = ["--identity", str(age_key[1])]
    restore = manage(target, "restore", str(backup_file), *identity)
    assert restore.returncode == 0, restore.stderr
    assert "Restored" in restore.stdout and "Replaced" not in restore.stdout

    # Which of the writer's transactions the backup holds: a prefix 0..K,
    # each whole (all seven rows) or not at all.
    transactions = logged(log)
    restored = read_tables(target_url)
    user_table = next(iter(transactions[0]["rows"]))
    user_pk = restored[user_table][0].index(primary_key_column(target_url, user_table))
    restored_users = {row[user_pk] for row in restored[user_table][1]}
    present = [t["n"] for t in transactions if t["rows"][user_table][0] in restored_users]
    k = max(present)
    assert present == list(range(k + 1))
    # Everything committed before the command started is in the copy, and
    # so is something committed after: the writer was writing while the
    # backup ran. Nothing is in it that was logged after the command ended
    # (the +1: the writer may have committed one it had not logged yet).
    assert committed_before < k + 1, "the writer must be writing while the backup runs"
    assert k + 1 <= committed_after + 1

    # The source now, minus what was written after the backup, is the source
    # at the backup; the restored database must equal it, table for table.
    later: dict[str, set] = {}
    for t in transactions[k + 1:]:
        for table, pks in t["rows"].items():
            later.setdefault(table, set()).update(pks)
    expected = read_tables(source_url)
    assert sorted(restored) == sorted(expected)
    assert expected["accounts_accountsession"][1], "the writer made sessions"
    for table in NOT_BACKED_UP:
        assert restored[table][1] == [], f"{table} must not be in a backup"
    for table, (columns, rows) in expected.items():
        if table in NOT_BACKED_UP:
            continue
        if table in later:
            pk = columns.index(primary_key_column(source_url, table))
            rows = [row for row in rows if row[pk] not in later[table]]
        assert restored[table][0] == columns, table
        assert len(restored[table][1]) == len(rows), table
        assert restored[table][1] == rows, table

    # A database that is not empty is refused without --force, and untouched.
    refused = manage(target, "restore", str(backup_file), *identity)
    assert refused.returncode != 0
    assert "not empty" in refused.stderr and "--force" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    forced = manage(target, "restore", "--force", str(backup_file), *identity)
    assert forced.returncode == 0, forced.stderr
    assert "Replaced everything that was in the" in forced.stdout
    assert read_tables(target_url) == restored


def test_backup_and_restore_refuse_with_one_clear_line(tmp_path):
    RECIPIENT.clear()
    nowhere = tmp_path / "nothing-here.sqlite3"
    missing = production_env(f"sqlite:///{nowhere}")
    no_database = manage(missing, "backup")
    assert no_database.returncode != 0
    assert no_database.stderr.strip() == f"CommandError: There is no SQLite database at {nowhere}."

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    refused = manage(missing, "restore", str(not_a_backup))
    assert refused.returncode != 0
    assert "is neither a SQLite backup nor a pg_dump custom-format file" in refused.stderr

    fake_dump = tmp_path / "crest.pgdump"
    fake_dump.write_bytes(b"PGDMP" + b"\0" * 100)
    wrong_engine = manage(missing, "restore", str(fake_dump))
    assert wrong_engine.returncode != 0
    assert "is a postgresql backup but DATABASE_URL points at a sqlite database" in wrong_engine.stderr
    assert not nowhere.exists()


def test_a_backup_is_encrypted_to_the_operators_recipients_and_holds_no_session(tmp_path, age_key):
    """What the server keeps is ciphertext for keys it does not have: a
    stolen backup gives no patient's label, and no session to replay."""
    env = production_env(f"sqlite:///{tmp_path / 'crest.sqlite3'}")
    assert manage(env, "migrate", "--noinput", "-v", "0").returncode == 0
    made = manage(env, "shell", "-c", (
        "from django.contrib.sessions.backends.db import SessionStore; from django.core.cache import cache; "
        "from clinics.models import Clinic, Patient; from accounts.models import User; "
        "c = Clinic.objects.create(name='Backup Clinic', slug='backup'); "
        "Patient.objects.create(user=User.objects.create_user('pat-backup'), clinic=c, label='LABEL-IN-BACKUP'); "
        "s = SessionStore(); s['who'] = 'SESSION-IN-BACKUP'; s.create(); cache.set('k', 'CACHE-IN-BACKUP'); "
        "print(s.session_key)"
    ))
    session_key = made.stdout.strip().splitlines()[-1]
    backup_file = tmp_path / "crest.age"
    assert manage(env, "backup", "--output", str(backup_file)).returncode == 0
    data = backup_file.read_bytes()
    assert data.startswith(b"age-encryption.org/v1")
    assert b"LABEL-IN-BACKUP" not in data and b"SQLite format" not in data

    # Without the identity (the server has none): one clear line.
    target = production_env(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    refused = manage(target, "restore", str(backup_file))
    assert refused.returncode != 0 and "--identity" in refused.stderr
    assert len(refused.stderr.strip().splitlines()) == 1
    restored = manage(target, "restore", str(backup_file), "--identity", str(age_key[1]))
    assert restored.returncode == 0, restored.stderr
    assert "deleted" in restored.stdout  # a restore brings back deleted accounts: it says what to do
    tables = read_tables(f"sqlite:///{tmp_path / 'restored.sqlite3'}")
    assert tables["accounts_accountsession"][1] == [] and tables["crest_cache"][1] == []
    assert any("LABEL-IN-BACKUP" in row for row in tables["clinics_patient"][1])
    # Not in a free page of the file either.
    assert session_key.encode() not in (tmp_path / "restored.sqlite3").read_bytes()
    assert b"SESSION-IN-BACKUP" not in (tmp_path / "restored.sqlite3").read_bytes()


def test_a_backup_without_recipients_is_refused_unless_asked_for_in_clear(tmp_path):
    RECIPIENT.clear()
    env = production_env(f"sqlite:///{tmp_path / 'crest.sqlite3'}")
    assert manage(env, "migrate", "--noinput", "-v", "0").returncode == 0
    refused = manage(env, "backup", "--output", str(tmp_path / "plain.sqlite3"))
    assert refused.returncode != 0 and "CREST_BACKUP_RECIPIENTS" in refused.stderr
    assert not (tmp_path / "plain.sqlite3").exists()
    clear = manage(env, "backup", "--unencrypted", "--output", str(tmp_path / "plain.sqlite3"))
    assert clear.returncode == 0, clear.stderr
    assert (tmp_path / "plain.sqlite3").read_bytes().startswith(b"SQLite format 3")
