"""A test that skips because something is missing on the machine
(PostgreSQL, Redis, nginx, Node) is listed with its reason in the summary on
a laptop, and fails the run where CREST_REQUIRE_SERVICES=1 (`.ci/run`): the
hook in tests/conftest.py, run here in a small pytest of its own."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

MISSING = '''
import pytest


def test_needs_a_service():
    pytest.skip("no Frobnicator answers at 127.0.0.1:1")


def test_needs_nothing():
    assert True
'''


def run_pytest(tmp_path: Path, **env: str) -> subprocess.CompletedProcess:
    (tmp_path / "conftest.py").write_text("from tests.conftest import pytest_runtest_makereport  # noqa: F401\n")
    (tmp_path / "test_missing.py").write_text(MISSING)
    full_env = {k: v for k, v in os.environ.items() if k != "CREST_REQUIRE_SERVICES"}
    full_env.update(PYTHONPATH=str(ROOT), **env)
    return subprocess.run(
        [sys.executable, "-m", "pytest", "-ra", "-p", "no:django", "-p", "no:cacheprovider", "-c", "/dev/null",
         "--rootdir", str(tmp_path), str(tmp_path)],
        cwd=tmp_path, env=full_env, capture_output=True, text=True, timeout=60,
    )


def test_on_a_laptop_a_skip_is_listed_with_its_reason(tmp_path):
    result = run_pytest(tmp_path)
    assert result.returncode == 0, result.stdout
    assert "SKIPPED [1] test_missing.py:6: no Frobnicator answers at 127.0.0.1:1" in result.stdout
    assert "1 passed, 1 skipped" in result.stdout


def test_where_services_are_required_a_skip_fails_the_run(tmp_path):
    result = run_pytest(tmp_path, CREST_REQUIRE_SERVICES="1")
    assert result.returncode == 1, result.stdout
    assert "no Frobnicator answers at 127.0.0.1:1, and CREST_REQUIRE_SERVICES=1 says every test must run here" in (
        result.stdout
    )
    assert "1 failed, 1 passed" in result.stdout
