"""A health system's clinic for `make bench`: 50,000 patients, 8 assignments
each, and the lesson progress a real clinic would have.

    python -m bench.seed          # into the database in DATABASE_URL (migrated)

What it makes (deterministic, so two runs give the same rows):
- the clinic "Bench Health System" (America/New_York) with an admin and a
  clinician whose logins are `BENCH_LOGINS`, each with an authenticator
  (`BENCH_TOTP_KEY`): the bench signs staff in with a code, as in production;
  patient 0 signs in as `BENCH_LOGINS["patient"]` (to post sync batches);
- 50,000 patients, each with their own user (unusable password: nobody signs
  in as them), labelled like a chart number ("AB-012345"); one in ten (never
  patient 0) has stopped sharing progress;
- 8 active assignments each (400,000), due dates spread 60 days either side
  of today, so the dashboard's "overdue" and "not started" filters match
  real fractions;
- patient i has completed the first i mod 9 of their lessons (about 200,000
  progress rows), with quiz scores;
- each patient's stored progress recounted (PatientQuerySet.refresh_progress).

Rows go in with bulk_create in batches, in one transaction, then ANALYZE so
the planner sees the real sizes (VACUUM ANALYZE on PostgreSQL). `seeded_database()` (used by
bench/__main__.py) keeps the result between runs, keyed by a hash of every
migration and of this file: a saved SQLite file, or a PostgreSQL template
database that each run clones with CREATE DATABASE ... TEMPLATE (a file
copy on the server, seconds instead of minutes).
"""

import hashlib
import json
import os
import shutil
import subprocess
import sys
import time
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]
CACHE_DIR = ROOT / ".bench-cache"
PATIENTS = 50_000
ASSIGNMENTS_EACH = 8
BATCH = 2_500  # patients per round of bulk_create (20,000 assignments)
CLINIC_SLUG = "bench-health"
# Page 1,000 of the dashboard (25 a page, clinics.paging.PAGE_SIZE) as its
# "Next" link reaches it: after the patient at this index in label order.
DEEP_PAGE_AFTER_INDEX = 999 * 25 - 1
BENCH_LOGINS = {
    "admin": ("bench-admin", "bench-admin-pass-2026"),
    "clinician": ("bench-clinician", "bench-clinician-pass-2026"),
    "patient": ("bench-patient", "bench-patient-pass-2026"),  # patient 0, for the sync batch
}
# The staff's authenticator secret (hex, as django-otp keeps it; the bytes of
# "crest bench key!"): the bench computes their codes from it (bench.load.sign_in).
BENCH_TOTP_KEY = "63726573742062656e6368206b657921"
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


# --- Seeding (runs inside Django, in its own process) ------------------------


def seed() -> dict:
    """Fill an empty, migrated database. Returns counts and seconds."""
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from accounts.mfa import AUTHENTICATOR_NAME
    from clinics.models import Assignment, Clinic, LessonProgress, Membership, Patient
    from lessons.models import Lesson

    User = get_user_model()
    started = time.perf_counter()
    lessons = list(Lesson.objects.published()[:ASSIGNMENTS_EACH])
    if len(lessons) < ASSIGNMENTS_EACH:
        raise SystemExit(f"need {ASSIGNMENTS_EACH} published lessons to assign, found {len(lessons)}")
    today = date.today()
    now = datetime.now(UTC)
    counts = {"patients": 0, "assignments": 0, "progress": 0}

    with transaction.atomic():
        clinic = Clinic.objects.create(name="Bench Health System", slug=CLINIC_SLUG, time_zone="America/New_York")
        staff = {}
        for role in ("admin", "clinician"):
            username, password = BENCH_LOGINS[role]
            user = User(username=username)
            user.set_password(password)
            user.save()
            Membership.objects.create(user=user, clinic=clinic, role=role)
            TOTPDevice.objects.create(user=user, name=AUTHENTICATOR_NAME, key=BENCH_TOTP_KEY, confirmed=True)
            staff[role] = user
        clinician = staff["clinician"]
        patient_zero = User(username=BENCH_LOGINS["patient"][0])
        patient_zero.set_password(BENCH_LOGINS["patient"][1])

        for start in range(0, PATIENTS, BATCH):
            numbers = range(start, min(start + BATCH, PATIENTS))
            # One unusable password for all: these people never sign in, and
            # hashing 50,000 passwords would be most of the seeding time.
            users = User.objects.bulk_create(
                [
                    patient_zero if i == 0 else User(username=f"bench-p-{i:05d}", password="!bench-unusable")
                    for i in numbers
                ],
                batch_size=BATCH,
            )
            patients = Patient.objects.bulk_create(
                [
                    Patient(user=user, clinic=clinic, label=_label(i), shares_progress=i % 10 != 9)
                    for i, user in zip(numbers, users, strict=True)
                ],
                batch_size=BATCH,
            )
            assignments, progress = [], []
            for i, patient in zip(numbers, patients, strict=True):
                for k, lesson in enumerate(lessons):
                    due = today + timedelta(days=(i * 7 + k * 11) % 121 - 60)
                    assignments.append(Assignment(patient=patient, lesson=lesson, due_date=due, assigned_by=clinician))
                for k, lesson in enumerate(lessons[: i % 9]):
                    total = 3
                    progress.append(
                        LessonProgress(
                            patient=patient, lesson=lesson, completed_at=now - timedelta(days=(i + k) % 90),
                            score=(i + k) % (total + 1), total=total, updated_at=now - timedelta(days=(i + k) % 90),
                        )
                    )
            Assignment.objects.bulk_create(assignments, batch_size=5_000)
            LessonProgress.objects.bulk_create(progress, batch_size=5_000)
            counts["patients"] += len(patients)
            counts["assignments"] += len(assignments)
            counts["progress"] += len(progress)
        # bulk_create bypasses the services: recount the stored progress once.
        Patient.objects.filter(clinic=clinic).refresh_progress()

    with connection.cursor() as cursor:
        # On PostgreSQL VACUUM too, as autovacuum would on a settled
        # database: index-only scans need the visibility map it sets. VACUUM
        # cannot run inside a transaction (the test suite's seed runs in one).
        vacuum = connection.vendor == "postgresql" and not connection.in_atomic_block
        cursor.execute("VACUUM ANALYZE" if vacuum else "ANALYZE")
    return {**counts, "seconds": round(time.perf_counter() - started, 1)}


def _label(i: int) -> str:
    letters = "ABCDEFGHJKLMNPRSTUVWXYZ"
    return f"{letters[i % 23]}{letters[(i // 23) % 23]}-{i:06d}"


# --- Keeping the seeded database between runs ---------------------------------


def seed_hash() -> str:
    """Changes when a migration or this file changes (the rows would differ)."""
    import django

    digest = hashlib.sha256(django.get_version().encode())
    for path in sorted(ROOT.glob("*/migrations/*.py")):
        if ".venv" not in path.parts:
            digest.update(path.relative_to(ROOT).as_posix().encode())
            digest.update(path.read_bytes())
    digest.update(Path(__file__).read_bytes())
    return digest.hexdigest()[:12]


def _env(database_url: str) -> dict:
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "bench-only",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": database_url,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    return env


def _build(database_url: str) -> dict:
    """migrate, then seed, in child processes with their own settings."""
    env = _env(database_url)
    started = time.perf_counter()
    subprocess.run([sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"], cwd=ROOT, env=env, check=True)
    migrated = time.perf_counter() - started
    out = subprocess.run(
        [sys.executable, "-m", "bench.seed"], cwd=ROOT, env=env, check=True, capture_output=True, text=True
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    return {**result, "migrate_seconds": round(migrated, 1), "built": time.strftime("%Y-%m-%d %H:%M")}


def _postgres(url: str, *statements: str) -> list:
    import psycopg

    admin = urlparse(url)._replace(path="/postgres").geturl()
    rows = []
    with psycopg.connect(admin, autocommit=True) as conn:
        for statement in statements:
            cursor = conn.execute(statement)
            if cursor.description:
                rows.extend(cursor.fetchall())
    return rows


@contextmanager
def seeded_database(engine: str, tmp: Path, *, postgres_url: str | None = None):
    """Yield (DATABASE_URL of a fresh copy of the seeded database, seed info).
    The copy is this run's to write to (the bench posts); it is dropped after."""
    key = seed_hash()
    CACHE_DIR.mkdir(exist_ok=True)
    info_path = CACHE_DIR / f"{engine}-{key}.json"
    if engine == "sqlite":
        saved = CACHE_DIR / f"seed-{key}.sqlite3"
        if not saved.exists() or not info_path.exists():
            for old in CACHE_DIR.glob("seed-*.sqlite3*"):
                old.unlink()
            building = CACHE_DIR / f"seed-{key}.building.sqlite3"
            info = _build(f"sqlite:///{building}")
            _sqlite_checkpoint(building)
            building.rename(saved)
            info_path.write_text(json.dumps(info))
            info["cached"] = False
        else:
            info = {**json.loads(info_path.read_text()), "cached": True}
        copy = tmp / "bench.sqlite3"
        shutil.copyfile(saved, copy)
        yield f"sqlite:///{copy}", info
        return

    base = postgres_url or DEFAULT_POSTGRES
    template = f"crest_bench_seed_{key}"
    existing = {row[0] for row in _postgres(base, "SELECT datname FROM pg_database WHERE datname LIKE 'crest_bench_%'")}
    if template not in existing or not info_path.exists():
        for name in existing:
            if name.startswith("crest_bench_seed_"):
                _postgres(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        building = f"{template}_building"
        _postgres(base, f'DROP DATABASE IF EXISTS "{building}" WITH (FORCE)', f'CREATE DATABASE "{building}"')
        info = _build(urlparse(base)._replace(path=f"/{building}").geturl())
        _postgres(base, f'ALTER DATABASE "{building}" RENAME TO "{template}"')
        info_path.write_text(json.dumps(info))
        info["cached"] = False
    else:
        info = {**json.loads(info_path.read_text()), "cached": True}
    run = f"crest_bench_run_{os.getpid()}"
    _postgres(base, f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)', f'CREATE DATABASE "{run}" TEMPLATE "{template}"')
    try:
        yield urlparse(base)._replace(path=f"/{run}").geturl(), info
    finally:
        _postgres(base, f'DROP DATABASE IF EXISTS "{run}" WITH (FORCE)')


def _sqlite_checkpoint(path: Path) -> None:
    """Fold the WAL into the file, so one file is the whole database."""
    import sqlite3

    with sqlite3.connect(path) as conn:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        conn.execute("PRAGMA journal_mode=DELETE")
    for suffix in ("-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)


if __name__ == "__main__":
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    import django

    django.setup()
    print(json.dumps(seed()))
