"""Crest as a clinic would run it past one machine: nginx terminating TLS with
a throwaway certificate, in front of two gunicorn servers on two ports, both
on one database (a throwaway PostgreSQL database, or a SQLite file), sharing
Redis for the cache when one answers.

    with topology(Path(tmp)) as stack:
        stack.url             # https://127.0.0.1:<port> (nginx)
        stack.servers[0].url  # http://127.0.0.1:<port> (one gunicorn, direct)
        stack.manage("shell", "-c", "...")
        stack.servers[1].restart()

nginx's configuration is deploy/nginx.conf, the file the README shows,
rendered with the same variables envsubst fills in production; only the
outer nginx.conf (pid, temp and log paths in the temp folder) is made here.
nginx runs unprivileged on free high ports: as the current user, or as
`nobody` when that is root. Used by tests/deploy/ and `make loadtest`.
"""

import json
import os
import re
import secrets
import shutil
import signal
import socket
import ssl
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack, contextmanager, suppress
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlparse

from devtools.server import free_port, postgres_admin, wait_until_up

ROOT = Path(__file__).resolve().parents[1]
NGINX_SITE = ROOT / "deploy" / "nginx.conf"
NGINX_VARIABLES = (
    "CREST_SERVER_NAME", "CREST_HTTPS_PORT", "CREST_HTTP_PORT", "CREST_TLS_CERT", "CREST_TLS_KEY",
    "CREST_APP_1", "CREST_APP_2", "CREST_LOG_DIR", "CREST_CACHE_DIR",
)
DEFAULT_POSTGRES = "postgres://postgres@127.0.0.1:5432/postgres"
DEFAULT_REDIS = "redis://127.0.0.1:6379/0"


class TopologyUnavailable(RuntimeError):
    """Something the topology needs (nginx, openssl, PostgreSQL) is missing."""


def nginx_binary() -> str:
    path = shutil.which("nginx") or ("/usr/sbin/nginx" if os.path.exists("/usr/sbin/nginx") else None)
    if path is None:
        raise TopologyUnavailable("nginx is not installed (`make nginx` installs Debian's)")
    return path


def render_site(values: dict[str, str]) -> str:
    """deploy/nginx.conf with exactly the ${CREST_...} names filled in, as
    `envsubst '$CREST_...'` does; nginx's own $variables are left alone."""
    text = NGINX_SITE.read_text()
    missing = set(NGINX_VARIABLES) - set(values)
    if missing:
        raise ValueError(f"missing nginx template values: {sorted(missing)}")
    return re.sub(r"\$\{(CREST_[A-Z0-9_]+)\}", lambda m: values[m[1]] if m[1] in NGINX_VARIABLES else m[0], text)


def make_certificate(folder: Path) -> tuple[Path, Path]:
    """A throwaway self-signed certificate for 127.0.0.1 and localhost."""
    cert, key = folder / "tls.crt", folder / "tls.key"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=localhost",
            "-addext", "subjectAltName=IP:127.0.0.1,DNS:localhost", "-keyout", str(key), "-out", str(cert),
        ],
        check=True, capture_output=True,
    )
    return cert, key


def shared_redis_url() -> str:
    """The Redis the topology's servers and the tests use:
    CREST_TEST_REDIS_URL, else DEFAULT_REDIS (tests/conftest.py gives each
    test process of `pytest -n` a database of its own)."""
    return os.environ.get("CREST_TEST_REDIS_URL") or DEFAULT_REDIS


def redis_url_if_up() -> str | None:
    """shared_redis_url(), if a Redis answers there."""
    url = shared_redis_url()
    parsed = urlparse(url)
    try:
        with socket.create_connection((parsed.hostname, parsed.port or 6379), timeout=1) as sock:
            sock.sendall(b"PING\r\n")
            return url if sock.recv(16).startswith(b"+PONG") else None
    except OSError:
        return None


def trusted_proxies_value(env: dict) -> str:
    """DJANGO_TRUSTED_PROXIES for app servers behind this one nginx: the
    address nginx connects from. deploy/nginx.conf replaces X-Forwarded-For
    with the address it saw, so the app reads the real client."""
    return "127.0.0.1"


@dataclass
class AppServer:
    """One gunicorn server (master and workers) on its own port."""

    name: str
    port: int
    env: dict
    workers: int
    log_path: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    def start(self) -> None:
        with open(self.log_path, "a") as log:
            self.process = subprocess.Popen(
                [
                    sys.executable, "-m", "gunicorn", "-c", "ops/gunicorn.conf.py", "project.wsgi",
                    "--bind", self.address, "--workers", str(self.workers),
                    "--timeout", "30", "--graceful-timeout", "5",
                ],
                cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
            )
        wait_until_up(self.url, self.process)

    def stop(self, *, hard: bool = False) -> None:
        """Graceful (SIGTERM: workers finish their requests) or hard
        (SIGKILL to master and workers at once, as a crash or power cut)."""
        if self.process is None or self.process.poll() is not None:
            return
        if hard:
            os.killpg(self.process.pid, signal.SIGKILL)
        else:
            self.process.terminate()
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        if not hard:  # workers outliving their master would hold the port
            with suppress(ProcessLookupError):
                os.killpg(self.process.pid, signal.SIGKILL)

    def restart(self, *, hard: bool = True, down_seconds: float = 0.0) -> None:
        self.stop(hard=hard)
        time.sleep(down_seconds)
        self.start()

    def worker_pids(self) -> list[int]:
        """The gunicorn workers: the master's children, read from /proc."""
        if self.process is None:
            return []
        children = []
        for entry in Path("/proc").iterdir():
            if not entry.name.isdigit():
                continue
            try:
                stat = (entry / "stat").read_text()
            except OSError:
                continue
            # pid (comm) state ppid ...: comm may hold spaces, so split after ")".
            if int(stat.rsplit(")", 1)[1].split()[1]) == self.process.pid:
                children.append(int(entry.name))
        return sorted(children)

    def kill_worker(self) -> int:
        """SIGKILL one worker mid-flight; the master starts a new one."""
        pids = self.worker_pids()
        if not pids:
            raise RuntimeError(f"{self.name} has no workers to kill")
        os.kill(pids[0], signal.SIGKILL)
        return pids[0]


@dataclass
class Topology:
    url: str
    http_url: str
    servers: list[AppServer]
    database_url: str
    env: dict
    ca_file: Path
    access_log: Path
    folder: Path
    redis_url: str | None
    nginx: subprocess.Popen | None = field(default=None, repr=False)

    def empty_proxy_cache(self) -> None:
        """nginx stopped, its cache folder emptied and nginx started again:
        the cache as on a first deploy (bench/proxy_cache.py's cold surges)."""
        _stop_nginx(self.nginx)
        for entry in (self.folder / "cache").iterdir():
            if entry.is_dir():
                shutil.rmtree(entry)
            else:
                entry.unlink()
        self.nginx = _run_nginx(self.folder)
        _wait_for_proxy(self.url, self.ca_file, self.nginx)

    def manage(self, *args: str, input: str | None = None) -> str:
        result = subprocess.run(
            [sys.executable, "manage.py", *args], cwd=ROOT, env=self.env, capture_output=True, text=True, input=input
        )
        if result.returncode != 0:
            raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}")
        return result.stdout

    def create_patients(self, prefix: str, count: int, password: str) -> list[str]:
        """`count` patient accounts of one clinic, with one password (hashed
        once: the real hasher is slow on purpose), through the ORM."""
        code = f"""
from django.contrib.auth.hashers import make_password
from accounts.models import User
from clinics.models import Clinic, Patient
clinic, _ = Clinic.objects.get_or_create(slug="load", defaults={{"name": "Load Test Clinic"}})
hashed = make_password({password!r})
users = User.objects.bulk_create([User(username=f"{prefix}-{{i}}", password=hashed) for i in range({count})])
Patient.objects.bulk_create([Patient(user=u, clinic=clinic, label=u.username.upper()) for u in users])
"""
        self.manage("shell", "--no-imports", "-c", code)
        return [f"{prefix}-{i}" for i in range(count)]

    def course_slugs(self) -> list[str]:
        return list(self.course_checks())

    def course_checks(self) -> dict[str, int]:
        """Each course lesson's slug and how many scored questions its check has."""
        code = (
            "import json; from lessons.models import Lesson; "
            "print(json.dumps({l.slug: l.quiz_total for l in Lesson.objects.course()}))"
        )
        return json.loads(self.manage("shell", "--no-imports", "-c", code).strip().splitlines()[-1])

    def server_by_address(self, address: str) -> AppServer:
        return next(s for s in self.servers if s.address == address)

    def access_log_lines(self) -> list[str]:
        return self.access_log.read_text().splitlines() if self.access_log.exists() else []

    @property
    def is_postgres(self) -> bool:
        return self.database_url.startswith(("postgres://", "postgresql://"))


def upstreams(lines: list[str]) -> list[str]:
    """The app server (host:port) each access-log line went to, in order."""
    return [m[1] for line in lines if (m := re.search(r" upstream=(\S+)", line))]


@contextmanager
def _database(kind: str, folder: Path):
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'crest.sqlite3'}"
        return
    base = os.environ.get("DATABASE_URL", "")
    if not base.startswith(("postgres://", "postgresql://")):
        base = os.environ.get("CREST_TEST_POSTGRES_URL", DEFAULT_POSTGRES)
    name = f"crest_topology_{secrets.token_hex(4)}"
    try:
        postgres_admin(base, f'CREATE DATABASE "{name}"')
    except Exception as error:  # psycopg.OperationalError and friends
        where = urlparse(base).hostname
        raise TopologyUnavailable(f"cannot create a PostgreSQL database at {where}: {error}") from error
    try:
        yield urlparse(base)._replace(path=f"/{name}").geturl()
    finally:
        postgres_admin(base, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _nginx_folder(stack: ExitStack) -> Path:
    """Where nginx keeps its config, certificate, pid, temp files and logs.
    Run as root, nginx runs as `nobody`, which must own this folder."""
    folder = Path(tempfile.mkdtemp(prefix="crest-nginx-"))
    stack.callback(shutil.rmtree, folder, ignore_errors=True)
    for sub in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi", "logs", "cache"):
        (folder / sub).mkdir()
    return folder


def _start_nginx(folder: Path, site: str) -> subprocess.Popen:
    (folder / "crest.conf").write_text(site)
    # As Debian's own /etc/nginx/nginx.conf, which includes the site from
    # conf.d (docs/deploy.md): one worker per core (`auto`).
    (folder / "nginx.conf").write_text(
        f"""worker_processes auto;
pid {folder}/nginx.pid;
error_log {folder}/logs/error.log warn;
events {{ worker_connections 2048; }}
http {{
    client_body_temp_path {folder}/client_body;
    proxy_temp_path {folder}/proxy;
    fastcgi_temp_path {folder}/fastcgi;
    uwsgi_temp_path {folder}/uwsgi;
    scgi_temp_path {folder}/scgi;
    access_log off;
    include {folder}/crest.conf;
}}
"""
    )
    if os.geteuid() == 0:
        # Unprivileged even when the tests run as root.
        shutil.chown(folder, "nobody", "nogroup")
        for path in folder.rglob("*"):
            shutil.chown(path, "nobody", "nogroup")
    return _run_nginx(folder)


def _run_nginx(folder: Path) -> subprocess.Popen:
    """nginx on the configuration written in `folder` (_start_nginx)."""
    drop = {"user": "nobody", "group": "nogroup", "extra_groups": []} if os.geteuid() == 0 else {}
    command = [nginx_binary(), "-p", str(folder), "-c", str(folder / "nginx.conf"), "-g", "daemon off;"]
    check = subprocess.run([*command[:-2], "-t"], capture_output=True, text=True, **drop)
    if check.returncode != 0:
        raise RuntimeError(f"nginx refused its configuration:\n{check.stderr}")
    with open(folder / "logs" / "stderr.log", "a") as stderr:
        return subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=stderr, **drop)


def _stop_nginx(nginx: subprocess.Popen | None) -> None:
    if nginx is None or nginx.poll() is not None:
        return
    nginx.terminate()
    try:
        nginx.wait(timeout=10)
    except subprocess.TimeoutExpired:
        nginx.kill()
        nginx.wait()


def _wait_for_proxy(url: str, ca_file: Path, process: subprocess.Popen) -> None:
    context = ssl.create_default_context(cafile=str(ca_file))
    wait_until_up(url, process, what="nginx", seconds=20, context=context)


@contextmanager
def topology(
    tmp: Path | None = None, *, database: str = "postgresql", workers: int = 2, redis: bool = True,
    extra_env: dict | None = None,
):
    """Start the whole stack; stop it and drop its database on the way out."""
    nginx_binary()
    with ExitStack() as stack:
        if tmp is None:
            tmp = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="crest-topology-")))
        database_url = stack.enter_context(_database(database, tmp))
        redis_url = redis_url_if_up() if redis else None
        env = {k: v for k, v in os.environ.items() if not k.startswith("DJANGO_") and k != "REDIS_URL"}
        env.pop("DATABASE_URL", None)
        env.update(
            DJANGO_DEBUG="0",
            # One key for every server: a session or CSRF token made by one
            # must be good on the other.
            DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
            DJANGO_ALLOWED_HOSTS="127.0.0.1,localhost",
            DATABASE_URL=database_url,
            DJANGO_STATIC_ROOT=str(tmp / "static"),
        )
        if redis_url:
            env["REDIS_URL"] = redis_url
        env["DJANGO_TRUSTED_PROXIES"] = trusted_proxies_value(env)
        env.update(extra_env or {})
        for args in (["migrate", "--noinput", "-v", "0"], ["collectstatic", "--noinput", "-v", "0"]):
            subprocess.run([sys.executable, "manage.py", *args], cwd=ROOT, env=env, check=True)

        servers = [
            AppServer(name=f"app{i}", port=free_port(), env=env, workers=workers, log_path=tmp / f"app{i}.log")
            for i in (1, 2)
        ]
        for server in servers:
            stack.callback(server.stop)
            server.start()

        folder = _nginx_folder(stack)
        cert, key = make_certificate(folder)
        https_port, http_port = free_port(), free_port()
        site = render_site(
            {
                "CREST_SERVER_NAME": "localhost 127.0.0.1",
                "CREST_HTTPS_PORT": f"127.0.0.1:{https_port}",
                "CREST_HTTP_PORT": f"127.0.0.1:{http_port}",
                "CREST_TLS_CERT": str(cert),
                "CREST_TLS_KEY": str(key),
                "CREST_APP_1": servers[0].address,
                "CREST_APP_2": servers[1].address,
                "CREST_LOG_DIR": str(folder / "logs"),
                "CREST_CACHE_DIR": str(folder / "cache"),
            }
        )
        url = f"https://127.0.0.1:{https_port}"
        running = Topology(
            url=url,
            http_url=f"http://127.0.0.1:{http_port}",
            servers=servers,
            database_url=database_url,
            env=env,
            ca_file=cert,
            access_log=folder / "logs" / "crest-access.log",
            folder=folder,
            redis_url=redis_url,
            nginx=_start_nginx(folder, site),
        )
        stack.callback(lambda: _stop_nginx(running.nginx))  # the one running then (empty_proxy_cache)
        _wait_for_proxy(url, cert, running.nginx)
        yield running


if __name__ == "__main__":
    # `python -m bench.topology`: start the stack and keep it up to poke at.
    with topology() as running:
        print(f"nginx {running.url} (CA {running.ca_file}); app servers {[s.url for s in running.servers]}")
        print(f"database {running.database_url}; cache {running.redis_url or 'per-process memory'}")
        print("Ctrl-C to stop.")
        with suppress(KeyboardInterrupt):
            signal.pause()
