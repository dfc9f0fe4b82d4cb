"""Start Crest as production runs it — gunicorn, DJANGO_DEBUG=0, after
migrate and collectstatic — on a free local port, with its own database and
its own copy of the lesson files. Used by the browser and deploy tests,
`make bench`, `make lighthouse` and bench/topology.py."""

import json
import os
import re
import shutil
import socket
import ssl
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def browser_database_url(tmp: Path) -> str:
    """SQLite in a temp folder, or, when the suite runs on PostgreSQL, a
    fresh database next to the one in DATABASE_URL."""
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")):
        return f"sqlite:///{tmp / 'browser.sqlite3'}"
    parsed = urlparse(url)
    # One database per server: the temp folder's name tells a process's
    # servers apart, its pid the processes (pytest -n: each worker's
    # folders have the same names).
    name = f"{parsed.path.lstrip('/')}_browser_{os.getpid()}_{re.sub(r'[^a-z0-9]', '_', tmp.name.lower())}"
    postgres_admin(url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)', f'CREATE DATABASE "{name}"')
    return parsed._replace(path=f"/{name}").geturl()


def postgres_admin(url: str, *statements: str) -> None:
    import psycopg

    admin = urlparse(url)._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as conn:
        for statement in statements:
            conn.execute(statement)


@dataclass
class Server:
    url: str
    env: dict
    lessons_dir: Path
    process: subprocess.Popen
    log_path: Path  # gunicorn's access and error logs and Django's, as production writes them

    shell: subprocess.Popen | None = field(default=None, repr=False)

    def manage(self, *args: str) -> str:
        """`manage.py <args>` against this server's database and files; its
        output. `shell` goes to one process kept open (devtools/shell.py)."""
        if args and args[0] == "shell":
            return self._shell(*args)
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def _shell(self, *args: str) -> str:
        if self.shell is None or self.shell.poll() is not None:
            self.shell = subprocess.Popen(
                [sys.executable, "-m", "devtools.shell"], cwd=ROOT, env=self.env, text=True,
                stdin=subprocess.PIPE, stdout=subprocess.PIPE,
            )
        self.shell.stdin.write(json.dumps(args) + "\n")
        self.shell.stdin.flush()
        line = self.shell.stdout.readline()
        if not line:
            raise RuntimeError(f"manage.py {' '.join(args[:2])} …: the shell process exited")
        answer = json.loads(line)
        if not answer["ok"]:
            raise RuntimeError(f"manage.py {' '.join(args[:2])} … failed:\n{answer['stdout']}\n{answer['stderr']}")
        return answer["stdout"]

    def close_shell(self) -> None:
        if self.shell is not None:
            self.shell.stdin.close()
            try:
                self.shell.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.shell.kill()
                self.shell.wait(timeout=10)
            self.shell = None


def wait_until_up(
    url: str, process: subprocess.Popen, *, what: str = "the test server", seconds: float = 30,
    context: ssl.SSLContext | None = None,
) -> None:
    """Wait until `url`/healthz answers 200; fail if `process` exits first."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"{what} exited during start-up")
        try:
            with urllib.request.urlopen(f"{url}/healthz", timeout=2, context=context) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
    raise RuntimeError(f"{what} did not answer /healthz within {seconds:g} s")


@contextmanager
def running_server(tmp: Path, workers: int = 2, extra_env: dict | None = None):
    """`extra_env` overrides the environment (`make bench` passes the
    DATABASE_URL of its seeded database)."""
    extra_env = extra_env or {}
    lessons_dir = tmp / "lessons"
    shutil.copytree(ROOT / "lessons" / "content", lessons_dir)
    port = free_port()
    env = {
        **os.environ,
        "DJANGO_DEBUG": "0",
        "DJANGO_SECRET_KEY": "browser-tests-only",
        "DJANGO_HTTPS": "0",
        "DJANGO_ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DATABASE_URL": extra_env.get("DATABASE_URL") or browser_database_url(tmp),
        "DJANGO_STATIC_ROOT": str(tmp / "static"),
        "CREST_LESSONS_DIR": str(lessons_dir),
        **extra_env,
    }
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    for args in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
        subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)
    log_path = tmp / "gunicorn.log"
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-c", "ops/gunicorn.conf.py", "project.wsgi",
             "--bind", f"127.0.0.1:{port}", "--workers", str(workers)],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        url = f"http://127.0.0.1:{port}"
        server = Server(url=url, env=env, lessons_dir=lessons_dir, process=process, log_path=log_path)
        try:
            wait_until_up(url, process)
            yield server
        finally:
            server.close_shell()
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:  # a worker still busy with a long request
                process.kill()
                process.wait(timeout=10)
            if env["DATABASE_URL"].startswith("postgres"):
                name = urlparse(env["DATABASE_URL"]).path.lstrip("/")
                postgres_admin(env["DATABASE_URL"], f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
