"""Production settings: debug is off unless asked for, the app refuses to
start without a secret key (one line, no traceback), and passes Django's
deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
KEY = "x" * 60 + "-not-a-real-key-but-long-and-varied-0123456789"


def clean_env(**env: str) -> dict:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_")}
    full_env.update(env)
    return full_env


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT, env=clean_env(**env), capture_output=True, text=True, timeout=120,
    )


def assert_one_line_naming_the_key(output: str) -> None:
    lines = [line for line in output.splitlines() if "DJANGO_SECRET_KEY" in line]
    assert len(lines) == 1, output
    assert "Traceback" not in output, output


def test_debug_is_off_unless_set():
    result = run_manage(
        "shell", "-v", "0", "-c", "from django.conf import settings; print(settings.DEBUG)", DJANGO_SECRET_KEY=KEY
    )
    assert result.stdout.strip() == "False", result.stderr


def test_without_debug_or_a_secret_key_a_command_refuses_to_start_with_one_line():
    result = run_manage("check")  # no DJANGO_DEBUG at all: production is the default
    assert result.returncode != 0
    assert result.stderr.strip().count("\n") == 0, result.stderr
    assert_one_line_naming_the_key(result.stderr)


def test_production_refuses_to_start_without_a_secret_key():
    for command in (["check"], ["migrate", "--noinput"], ["collectstatic", "--noinput"]):
        result = run_manage(*command, DJANGO_DEBUG="0")
        assert result.returncode != 0, command
        assert_one_line_naming_the_key(result.stderr)


def run_gunicorn(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "gunicorn", *args, "--bind", "127.0.0.1:0", "project.wsgi"],
        cwd=ROOT, env=clean_env(DJANGO_DEBUG="0"), capture_output=True, text=True, timeout=60,
    )


def test_the_server_refuses_to_start_without_a_secret_key():
    result = run_gunicorn("-c", "ops/gunicorn.conf.py")
    assert result.returncode != 0
    assert_one_line_naming_the_key(result.stdout + result.stderr)


def test_gunicorn_without_our_config_stops_too_instead_of_restarting_workers_forever():
    result = run_gunicorn("--workers", "1")
    assert result.returncode != 0
    assert_one_line_naming_the_key(result.stdout + result.stderr)


def test_check_deploy_is_clean_in_production_settings():
    """As docs/deploy.md sets production up: behind nginx, whose address is trusted."""
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="0",
        DJANGO_SECRET_KEY=KEY,
        DJANGO_ALLOWED_HOSTS="crest.example",
        DJANGO_TRUSTED_PROXIES="10.0.0.10",
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_when_no_proxy_is_trusted_behind_tls():
    result = run_manage(
        "check", "--deploy", DJANGO_DEBUG="0", DJANGO_SECRET_KEY=KEY, DJANGO_ALLOWED_HOSTS="crest.example",
    )
    assert result.returncode == 0, result.stdout + result.stderr  # a warning: make serve still starts
    assert "crest.W002" in result.stderr + result.stdout
