"""REDIS_URL: the cache in Redis (Django's built-in backend), shared by every
app server; without it, the settings' default cache. Each case starts its own
`manage.py` processes, as separate servers would be."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from bench.topology import redis_url_if_up, shared_redis_url

ROOT = Path(__file__).resolve().parents[2]
# CREST_TEST_REDIS_URL, else the local Redis; None if nothing answers there.
REDIS_URL = redis_url_if_up()


def run_shell(code: str, **env: str) -> str:
    full_env = {k: v for k, v in os.environ.items() if k != "REDIS_URL"}
    full_env.update({"DJANGO_DEBUG": "1", **env})
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "--no-imports", "-c", code],
        cwd=ROOT, env=full_env, capture_output=True, text=True, timeout=60,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout.strip()


def test_without_redis_url_the_cache_is_not_redis():
    backend = run_shell("from django.core.cache import caches; print(type(caches['default']).__name__)")
    assert backend != "RedisCache"


@pytest.mark.skipif(
    REDIS_URL is None, reason=f"no Redis answers at {shared_redis_url()} (CREST_TEST_REDIS_URL names another)"
)
def test_with_redis_url_a_value_cached_by_one_process_is_read_by_another():
    key = f"cache-test-{secrets.token_hex(8)}"
    value = secrets.token_hex(8)
    writer = run_shell(
        "from django.core.cache import caches; "
        f"caches['default'].set({key!r}, {value!r}, 60); print(type(caches['default']).__name__)",
        REDIS_URL=REDIS_URL,
    )
    assert writer == "RedisCache"
    try:
        read = run_shell(f"from django.core.cache import cache; print(cache.get({key!r}))", REDIS_URL=REDIS_URL)
        assert read == value
    finally:
        run_shell(f"from django.core.cache import cache; cache.delete({key!r})", REDIS_URL=REDIS_URL)
