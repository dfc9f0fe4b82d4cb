"""Throwaway databases for the deploy tests, and every table's rows read
straight from SQLite or PostgreSQL (not through Django), to compare two
databases table by table."""

import os
import secrets
import sqlite3
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlparse

import psycopg
import pytest

from devtools.server import postgres_admin

DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"


def postgres_base_url() -> str:
    """The PostgreSQL server the suite may make databases on: DATABASE_URL's
    when the suite runs on PostgreSQL, the local one otherwise."""
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith(("postgres://", "postgresql://")):
        return url
    return os.environ.get("CREST_TEST_POSTGRES_URL", DEFAULT_POSTGRES)


def postgres_answers(url: str) -> bool:
    try:
        with psycopg.connect(urlparse(url)._replace(path="/postgres").geturl(), connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def require_postgres() -> str:
    url = postgres_base_url()
    if not postgres_answers(url):
        where = f"{urlparse(url).hostname}:{urlparse(url).port or 5432}"
        pytest.skip(f"no PostgreSQL answers at {where} (CREST_TEST_POSTGRES_URL names another)")
    return url


@contextmanager
def throwaway_postgres(prefix: str):
    """A new, empty database named `<prefix>_<random>`, dropped afterwards
    (with FORCE: a test server may still hold connections)."""
    base = require_postgres()
    name = f"{prefix}_{secrets.token_hex(4)}"
    postgres_admin(base, f'CREATE DATABASE "{name}"')
    try:
        yield urlparse(base)._replace(path=f"/{name}").geturl()
    finally:
        postgres_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def sqlite_path(url: str) -> Path:
    return Path(urlparse(url).path)


def read_tables(url: str) -> dict[str, tuple[list[str], list[tuple]]]:
    """{table: (column names, rows sorted)} for every table of the database."""
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sqlite_path(url))
        try:
            query = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
            names = [r[0] for r in conn.execute(query)]
            result = {}
            for name in names:
                cursor = conn.execute(f'SELECT * FROM "{name}"')
                result[name] = ([d[0] for d in cursor.description], sorted(cursor.fetchall(), key=repr))
            return result
        finally:
            conn.close()
    with psycopg.connect(url) as conn:
        names = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        result = {}
        for name in names:
            cursor = conn.execute(f'SELECT * FROM "{name}"')
            result[name] = ([d.name for d in cursor.description], sorted(cursor.fetchall(), key=repr))
        return result


def primary_key_column(url: str, table: str) -> str:
    if url.startswith("sqlite"):
        conn = sqlite3.connect(sqlite_path(url))
        try:
            return next(row[1] for row in conn.execute(f'PRAGMA table_info("{table}")') if row[5] == 1)
        finally:
            conn.close()
    with psycopg.connect(url) as conn:
        return conn.execute(
            "SELECT a.attname FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid "
            "AND a.attnum = ANY(i.indkey) WHERE i.indrelid = %s::regclass AND i.indisprimary",
            [table],
        ).fetchone()[0]
