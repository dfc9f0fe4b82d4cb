"""Backups of the database in DATABASE_URL, safe to take while Crest serves.

- SQLite: Python's sqlite3 online backup API copies every page in one step
  while holding a read transaction, so the copy is one consistent moment even
  with gunicorn workers writing (WAL lets them go on meanwhile). The copy is a
  plain SQLite file (journal mode DELETE), checked with `PRAGMA integrity_check`.
- PostgreSQL: `pg_dump --format=custom`, which reads everything in one
  repeatable-read snapshot; `pg_restore` turns it back into SQL, applied by
  `psql` in a single transaction (all or nothing).

A backup leaves out sessions (a replayed session row opens the app as
whoever it belonged to) and the database cache (throttling counts). It is
encrypted with `age` to the operator's recipients (CREST_BACKUP_RECIPIENTS:
public keys whose private halves are not on the server); only `--unencrypted`
writes one in clear. Every file on the way is made exclusively (O_EXCL),
readable by its owner only; the copy in clear lives in a private folder
(0700) and is deleted as soon as it is encrypted.

Restoring refuses a database that already has tables unless told to replace
it (`force`): a restore must never overwrite patients' data by a slip. An
encrypted backup needs the operator's identity file (`identity`).
The management commands `backup` and `restore` are thin wrappers.
See docs/backups.md.
"""

import os
import shutil
import sqlite3
import subprocess
import tempfile
import threading
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import psycopg
from django.conf import settings
from django.db import connection, connections
from django.db.migrations.executor import MigrationExecutor

SQLITE_MAGIC = b"SQLite format 3\x00"
PGDUMP_MAGIC = b"PGDMP"
AGE_MAGIC = b"age-encryption.org/v1"
# Tables whose rows no backup holds (their schema is kept): the sessions
# (accounts.AccountSession; Django's own table, empty since accounts 0008).
SESSION_TABLES = ("accounts_accountsession", "django_session")
ENGINES = {"django.db.backends.sqlite3": "sqlite", "django.db.backends.postgresql": "postgresql"}


class BackupError(Exception):
    """The backup or restore could not be done; the message says why, in one line."""


@dataclass
class TableCounts:
    tables: int
    rows: int

    def __str__(self) -> str:
        return f"{self.tables} tables, {self.rows:,} rows"


@dataclass
class BackupResult:
    path: Path
    kind: str  # "sqlite" | "postgresql"
    database: str
    size: int
    counts: TableCounts | None  # rows are known for SQLite copies; pg_dump reports tables only
    encrypted: bool


@dataclass
class RestoreResult:
    path: Path
    kind: str
    database: str
    counts: TableCounts
    replaced: TableCounts | None  # what was there before, when --force replaced it
    unapplied_migrations: int


def database_settings(alias: str = "default") -> tuple[str, dict]:
    config = settings.DATABASES[alias]
    kind = ENGINES.get(config["ENGINE"])
    if kind is None:
        raise BackupError(f"Backups support SQLite and PostgreSQL, not {config['ENGINE']}.")
    return kind, config


def describe(kind: str, config: dict) -> str:
    if kind == "sqlite":
        return f"SQLite database {config['NAME']}"
    return f"PostgreSQL database {config['NAME']} on {config.get('HOST') or 'localhost'}:{config.get('PORT') or 5432}"


def default_backup_path(kind: str, config: dict, directory: Path, *, encrypted: bool) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%SZ")
    name = Path(str(config["NAME"])).stem if kind == "sqlite" else str(config["NAME"])
    suffix = (".sqlite3" if kind == "sqlite" else ".pgdump") + (".age" if encrypted else "")
    return directory / f"crest-{name}-{stamp}{suffix}"


def tables_left_out() -> list[str]:
    """Sessions, and the database cache's tables."""
    caches = [
        cache["LOCATION"] for cache in settings.CACHES.values()
        if cache["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    ]
    return [*SESSION_TABLES, *caches]


def recipients() -> list[str]:
    """The operator's age recipients: public keys (age1…, ssh-ed25519 …) or
    files of them, separated by commas."""
    return [item.strip() for item in settings.BACKUP_RECIPIENTS.split(",") if item.strip()]


def exclusive_file(path: Path) -> int:
    """A new file, ours alone: O_EXCL refuses anything already there (a
    symlink included), and only its owner may read it."""
    return os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0), 0o600)


@contextmanager
def private_folder():
    """A folder only this user may enter (mkdtemp makes it 0700), removed with what is in it."""
    folder = Path(tempfile.mkdtemp(prefix="crest-backup-"))
    try:
        yield folder
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# --- Backup --------------------------------------------------------------------


def database_backup(
    *, output: Path | None = None, directory: Path | None = None, unencrypted: bool = False
) -> BackupResult:
    """Copy the database, less sessions and cache, into `output` (default: a
    timestamped file in `directory`, default backups/), encrypted to the
    operator's recipients unless `unencrypted`. The file appears only when
    complete, readable by its owner only (it is health data)."""
    kind, config = database_settings()
    if kind == "sqlite" and not Path(config["NAME"]).exists():
        raise BackupError(f"There is no SQLite database at {config['NAME']}.")
    existing = sqlite_target_counts(Path(config["NAME"])) if kind == "sqlite" else pg_counts(config)
    if not existing.tables:
        # Most likely the wrong DATABASE_URL: say so rather than keep an empty file.
        raise BackupError(f"The {describe(kind, config)} has no tables: is DATABASE_URL right?")
    to = recipients()
    if not to and not unencrypted:
        raise BackupError(
            "Backups are encrypted to the operator's age public keys: set CREST_BACKUP_RECIPIENTS "
            "(docs/backups.md), or pass --unencrypted to write this one in clear."
        )
    if output is None:
        directory = directory or Path(settings.BASE_DIR) / "backups"
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        output = default_backup_path(kind, config, directory, encrypted=not unencrypted)
    output = Path(output)
    if output.exists():
        raise BackupError(f"{output} already exists; choose another file name.")
    output.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    with private_folder() as folder:
        copy = folder / "copy"
        os.close(exclusive_file(copy))
        if kind == "sqlite":
            counts = _sqlite_backup(Path(config["NAME"]), copy)
        else:
            _pg_dump(config, copy)
            counts = None
        # Written aside in the output's folder under a name nobody could have
        # guessed (mkstemp: O_EXCL, 0600), then linked into place, which
        # never replaces a file that appeared there meanwhile.
        fd, partial = tempfile.mkstemp(dir=output.parent, prefix=f".{output.name}.", suffix=".partial")
        try:
            with os.fdopen(fd, "wb") as sink:
                if unencrypted:
                    with open(copy, "rb") as source:
                        shutil.copyfileobj(source, sink, 1 << 20)
                else:
                    _age_encrypt(copy, sink, to)
            try:
                os.link(partial, output)
            except FileExistsError:
                raise BackupError(f"{output} already exists; choose another file name.") from None
        finally:
            os.unlink(partial)
    return BackupResult(
        path=output, kind=kind, database=describe(kind, config), size=output.stat().st_size, counts=counts,
        encrypted=not unencrypted,
    )


def _age_encrypt(source: Path, sink, to: list[str]) -> None:
    arguments = []
    for recipient in to:
        arguments += ["-R", recipient] if Path(recipient).is_file() else ["-r", recipient]
    result = subprocess.run(
        [_client("age", package="age"), *arguments, str(source)], stdout=sink, stderr=subprocess.PIPE, text=False
    )
    if result.returncode != 0:
        raise BackupError(f"age could not encrypt the backup: {_last_line(result.stderr.decode(errors='replace'))}")


def _sqlite_backup(source: Path, target: Path) -> TableCounts:
    src = sqlite3.connect(source, timeout=20)
    dst = sqlite3.connect(target)
    try:
        # pages=-1 (the default): every page in one step, under one read
        # transaction, so writers committing meanwhile are either wholly in
        # the copy or wholly out of it.
        src.backup(dst)
        # A self-contained file: no -wal/-shm companions to lose on the way.
        dst.execute("PRAGMA journal_mode=DELETE")
        existing = {row[0] for row in dst.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
        for table in tables_left_out():
            if table in existing:
                dst.execute(f'DELETE FROM "{table}"')
        dst.commit()
        # Rebuilt, so the deleted rows are not left in free pages of the file.
        dst.execute("VACUUM")
        _sqlite_integrity_check(dst, target)
        return sqlite_counts(dst)
    finally:
        dst.close()
        src.close()


def _sqlite_integrity_check(conn: sqlite3.Connection, path: Path) -> None:
    result = conn.execute("PRAGMA integrity_check").fetchone()[0]
    if result != "ok":
        raise BackupError(f"{path} failed SQLite's integrity check: {result}")


def sqlite_counts(conn: sqlite3.Connection) -> TableCounts:
    tables = [
        row[0]
        for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")
    ]
    rows = sum(conn.execute(f'SELECT count(*) FROM "{table}"').fetchone()[0] for table in tables)
    return TableCounts(tables=len(tables), rows=rows)


def pg_environ(config: dict) -> dict:
    """libpq's environment variables for pg_dump/pg_restore/psql, so the
    password never appears on a command line (`ps` shows those)."""
    env = {**os.environ, "PGDATABASE": str(config["NAME"])}
    for key, var in (("HOST", "PGHOST"), ("PORT", "PGPORT"), ("USER", "PGUSER"), ("PASSWORD", "PGPASSWORD")):
        if config.get(key):
            env[var] = str(config[key])
    options = config.get("OPTIONS") or {}
    libpq = {"sslmode": "PGSSLMODE", "sslrootcert": "PGSSLROOTCERT", "connect_timeout": "PGCONNECT_TIMEOUT"}
    for key, var in libpq.items():
        if options.get(key):
            env[var] = str(options[key])
    return env


def _client(program: str, package: str = "postgresql-client") -> str:
    path = shutil.which(program)
    if path is None:
        raise BackupError(
            f"{program} is not installed: `make backup`/`make restore` install Debian's {package}, "
            f"or run `apt-get install {package}`."
        )
    return path


def _pg_dump(config: dict, target: Path) -> None:
    left_out = [f"--exclude-table-data={table}" for table in tables_left_out()]
    result = subprocess.run(
        [_client("pg_dump"), "--format=custom", "--no-owner", "--no-privileges", *left_out, "--file", str(target)],
        env=pg_environ(config), capture_output=True, text=True,
    )
    if result.returncode != 0:
        raise BackupError(f"pg_dump failed: {_last_line(result.stderr)}")


def _last_line(text: str) -> str:
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "(no message)"


# --- Restore -------------------------------------------------------------------


def backup_kind(path: Path) -> str:
    """What a backup file is, from its first bytes (not its name)."""
    try:
        with open(path, "rb") as file:
            head = file.read(len(SQLITE_MAGIC))
    except FileNotFoundError:
        raise BackupError(f"There is no file {path}.") from None
    if head.startswith(SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(PGDUMP_MAGIC):
        return "postgresql"
    if head.startswith(AGE_MAGIC[: len(SQLITE_MAGIC)]):
        return "age"
    raise BackupError(f"{path} is neither a SQLite backup nor a pg_dump custom-format file.")


def database_restore(*, source: Path, force: bool = False, identity: Path | None = None) -> RestoreResult:
    """Put a backup back into the database in DATABASE_URL. A database that
    has any table is refused unless `force`, which replaces all of it. An
    encrypted backup is decrypted with the operator's age `identity` into a
    private folder first. Stop the app servers first: a restore swaps the
    whole database under them."""
    source = Path(source)
    if backup_kind(source) != "age":
        return _restore(source, shown=source, force=force)
    if identity is None:
        raise BackupError(f"{source} is encrypted: pass --identity FILE, the operator's age identity (private key).")
    with private_folder() as folder:
        plain = folder / "copy"
        with os.fdopen(exclusive_file(plain), "wb") as sink:
            result = subprocess.run(
                [_client("age", package="age"), "--decrypt", "--identity", str(identity), str(source)],
                stdout=sink, stderr=subprocess.PIPE,
            )
        if result.returncode != 0:
            raise BackupError(f"age could not decrypt {source}: {_last_line(result.stderr.decode(errors='replace'))}")
        return _restore(plain, shown=source, force=force)


def _restore(source: Path, *, shown: Path, force: bool) -> RestoreResult:
    kind, config = database_settings()
    file_kind = backup_kind(source)
    where = describe(kind, config)
    if file_kind != kind:
        raise BackupError(
            f"{shown} is a {file_kind} backup but DATABASE_URL points at a {kind} database; "
            f"restore it into a {file_kind} database."
        )
    for conn in connections.all():
        conn.close()
    before = sqlite_target_counts(Path(config["NAME"])) if kind == "sqlite" else pg_counts(config)
    if before.tables and not force:
        raise BackupError(
            f"The {where} is not empty ({before}); refusing to overwrite it. "
            "Pass --force (make restore FORCE=1) to replace everything in it with the backup."
        )
    if kind == "sqlite":
        _sqlite_restore(source, Path(config["NAME"]))
        after = sqlite_target_counts(Path(config["NAME"]))
    else:
        _pg_restore(source, config)
        after = pg_counts(config)
    return RestoreResult(
        path=shown,
        kind=kind,
        database=where,
        counts=after,
        replaced=before if before.tables else None,
        unapplied_migrations=_unapplied_migrations(),
    )


def sqlite_target_counts(path: Path) -> TableCounts:
    if not path.exists():
        return TableCounts(0, 0)
    conn = sqlite3.connect(path, timeout=20)
    try:
        return sqlite_counts(conn)
    finally:
        conn.close()


def _sqlite_restore(source: Path, target: Path) -> None:
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        _sqlite_integrity_check(src, source)
        target.parent.mkdir(parents=True, exist_ok=True)
        dst = sqlite3.connect(target, timeout=20)
        try:
            # The backup API run the other way: every page of the target is
            # replaced under its write lock, in one step.
            src.backup(dst)
            dst.execute("PRAGMA journal_mode=WAL")
        finally:
            dst.close()
    finally:
        src.close()


def pg_counts(config: dict) -> TableCounts:
    with psycopg.connect(**_psycopg_kwargs(config)) as conn:
        tables = [
            row[0]
            for row in conn.execute(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname NOT IN ('pg_catalog', 'information_schema')"
            )
        ]
        rows = sum(conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0] for table in tables)
    return TableCounts(tables=len(tables), rows=rows)


def _psycopg_kwargs(config: dict) -> dict:
    kwargs = {"dbname": config["NAME"], **(config.get("OPTIONS") or {})}
    for key in ("HOST", "PORT", "USER", "PASSWORD"):
        if config.get(key):
            kwargs[key.lower()] = config[key]
    return kwargs


# Emptying the target comes first in the same transaction as the restore: a
# failed restore leaves the database as it was.
PG_EMPTY_SQL = """
DO $$
DECLARE r record;
BEGIN
  FOR r IN SELECT schemaname, tablename FROM pg_tables WHERE schemaname = current_schema() LOOP
    EXECUTE format('DROP TABLE IF EXISTS %I.%I CASCADE', r.schemaname, r.tablename);
  END LOOP;
  FOR r IN SELECT sequence_schema, sequence_name FROM information_schema.sequences
           WHERE sequence_schema = current_schema() LOOP
    EXECUTE format('DROP SEQUENCE IF EXISTS %I.%I CASCADE', r.sequence_schema, r.sequence_name);
  END LOOP;
  -- Functions of our own (the audit trail's trigger), not an extension's.
  FOR r IN SELECT p.oid::regprocedure AS f FROM pg_proc p
           WHERE p.pronamespace = current_schema()::regnamespace
             AND NOT EXISTS (SELECT 1 FROM pg_depend d WHERE d.objid = p.oid AND d.deptype = 'e') LOOP
    EXECUTE format('DROP FUNCTION IF EXISTS %s CASCADE', r.f);
  END LOOP;
END $$;
"""


def _pg_restore(source: Path, config: dict) -> None:
    """pg_restore writes the dump as SQL; psql applies it, after emptying the
    schema, in one transaction that stops at the first error."""
    env = pg_environ(config)
    listing = subprocess.run([_client("pg_restore"), "--list", str(source)], env=env, capture_output=True, text=True)
    if listing.returncode != 0:
        raise BackupError(f"{source} is not a readable pg_dump file: {_last_line(listing.stderr)}")
    with tempfile.TemporaryFile() as dump_err, tempfile.TemporaryFile() as apply_err:
        dump = subprocess.Popen(
            [_client("pg_restore"), "--no-owner", "--no-privileges", "--file", "-", str(source)],
            env=env, stdout=subprocess.PIPE, stderr=dump_err,
        )
        apply = subprocess.Popen(
            [_client("psql"), "--no-psqlrc", "--quiet", "--set", "ON_ERROR_STOP=1"],
            env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL, stderr=apply_err,
        )

        def feed() -> None:
            # COMMIT only once pg_restore has written the whole dump: if it
            # fails halfway, psql ends without it and the transaction is undone.
            try:
                apply.stdin.write(b"BEGIN;\n" + PG_EMPTY_SQL.encode())
                shutil.copyfileobj(dump.stdout, apply.stdin, 1 << 16)
                if dump.wait() == 0:
                    apply.stdin.write(b"\nCOMMIT;\n")
            except BrokenPipeError:
                # psql stopped at an error (its stderr says which): stop
                # pg_restore too, or it waits forever to write the rest.
                dump.stdout.close()
            finally:
                with suppress(BrokenPipeError):
                    apply.stdin.close()

        feeder = threading.Thread(target=feed)
        feeder.start()
        feeder.join()
        if dump.wait() != 0:
            apply.wait()
            raise BackupError(f"pg_restore failed (nothing was changed): {_last_line(_read(dump_err))}")
        if apply.wait() != 0:
            message = _last_line(_read(apply_err))
            raise BackupError(f"Restore failed and was rolled back (nothing was changed): {message}")


def _read(file) -> str:
    file.seek(0)
    return file.read().decode(errors="replace")


def _unapplied_migrations() -> int:
    """Migrations this code has that the restored database lacks (a backup
    from an older release): `manage.py migrate` brings it up to date."""
    connection.close()
    executor = MigrationExecutor(connection)
    plan = executor.migration_plan(executor.loader.graph.leaf_nodes())
    connection.close()
    return len(plan)
