"""Load from a second process on loopback: wrk, one URL at a time, each
run paired with a run of /healthz beside it (see `measure`)."""

import hashlib
import hmac
import http.cookiejar
import itertools
import os
import re
import shutil
import statistics
import struct
import subprocess
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

LUA_DIR = Path(__file__).resolve().parent
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass
class Target:
    """One row of the table: a name, a path, and how to ask for it."""

    name: str
    path: str
    headers: dict = field(default_factory=dict)
    lua: str | None = None  # a wrk script (POST bodies), in bench/
    lua_env: dict = field(default_factory=dict)
    role: str | None = None  # who signs in first (bench.seed.BENCH_LOGINS)
    connections: int | None = None  # instead of the run's number
    seconds: int | None = None  # at least this long a run (a response slower than the run's seconds)
    # Writes in bulk (the CSV's audit rows, the sync's items): measured after
    # every other target's rounds, so no page is timed while the database
    # digests them (autovacuum, checkpoints) on the same two cores.
    writes: bool = False


@dataclass
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int
    rps_ratio: float = 1.0  # to /healthz, measured beside it
    p50_ratio: float = 1.0


def wrk_path() -> str:
    path = shutil.which("wrk")
    if path is None:
        raise SystemExit("wrk is missing: `make bench` installs Debian's wrk (apt-get install wrk)")
    return path


def _ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text).groups()
    return float(number) * UNITS[unit]


def parse_wrk(output: str) -> Result:
    if re.search(r"^\s+0 requests in", output, re.MULTILINE):
        # Not one answer within the run: a page slower than BENCH_SECONDS.
        return Result(rps=0.0, p50_ms=float("inf"), p99_ms=float("inf"), errors=1)
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))
    p50 = _ms(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1))
    p99 = _ms(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))
    errors = 0
    if match := re.search(r"Non-2xx or 3xx responses: (\d+)", output):
        errors += int(match.group(1))
    if match := re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output):
        # gunicorn's sync workers close every connection after one response,
        # which wrk may count as a read error; connect errors and timeouts
        # are the ones that mean requests were lost.
        errors += int(match.group(1)) + int(match.group(4))
    return Result(rps=rps, p50_ms=p50, p99_ms=p99, errors=errors)


def run_wrk(base_url: str, target: Target, *, seconds: int, connections: int) -> Result:
    seconds = max(seconds, target.seconds or 0)
    command = [wrk_path(), "-t1", f"-c{target.connections or connections}", f"-d{seconds}s", "--latency"]
    command += ["--timeout", f"{max(10, seconds)}s"]
    for name, value in target.headers.items():
        command += ["-H", f"{name}: {value}"]
    env = None
    if target.lua:
        command += ["-s", str(LUA_DIR / target.lua)]
        env = {**os.environ, **target.lua_env}
    command.append(base_url + target.path)
    output = subprocess.run(command, capture_output=True, text=True, check=True, env=env).stdout
    return parse_wrk(output)


def measure(
    base_url: str, targets: list[Target], *, baseline: Target, seconds: int, rounds: int, connections: int
) -> dict[str, Result]:
    """Each target right next to a run of `baseline` (/healthz), in
    alternating order from round to round, so a busy spell of the shared
    machine hits both sides of each ratio alike. A target's ratios are the
    medians of its paired ratios; its figures, the medians of its runs."""
    runs: dict[str, list[Result]] = {target.name: [] for target in [baseline, *targets]}
    ratios: dict[str, list[tuple[float, float]]] = {target.name: [] for target in targets}
    readers = [target for target in targets if not target.writes]
    writers = [target for target in targets if target.writes]
    for group, round_number in itertools.product((readers, writers), range(rounds)):
        for target in group:
            pair = (baseline, target) if round_number % 2 == 0 else (target, baseline)
            first, second = (run_wrk(base_url, t, seconds=seconds, connections=connections) for t in pair)
            base, result = (first, second) if pair[0] is baseline else (second, first)
            runs[baseline.name].append(base)
            runs[target.name].append(result)
            ratios[target.name].append((result.rps / base.rps, result.p50_ms / base.p50_ms))
    summary = {}
    for name, results in runs.items():
        paired = ratios.get(name, [(1.0, 1.0)])
        summary[name] = Result(
            rps=statistics.median(r.rps for r in results),
            p50_ms=statistics.median(r.p50_ms for r in results),
            p99_ms=statistics.median(r.p99_ms for r in results),
            errors=sum(r.errors for r in results),
            rps_ratio=statistics.median(r for r, _ in paired),
            p50_ratio=statistics.median(p for _, p in paired),
        )
    return summary


def warm(base_url: str, target: Target, times: int = 8) -> None:
    """Every worker renders (and keeps) the page before the clock starts;
    a wrong status stops the bench rather than timing an error page."""
    for _ in range(times):
        request = urllib.request.Request(base_url + target.path, headers=target.headers)
        with urllib.request.urlopen(request, timeout=30) as response:
            response.read()
            if response.status != 200:
                raise RuntimeError(f"{target.path} answered {response.status}")


def sign_in(base_url: str, username: str, password: str, *, totp_key: str | None = None) -> dict[str, str]:
    """Sign in through the login form, as a person would, then (staff) with a
    code from their authenticator; returns the cookies (sessionid,
    csrftoken) for wrk's Cookie header."""
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    login = f"{base_url}/accounts/login/"
    landed = _post_form(opener, login, {"username": username, "password": password})
    if "/accounts/two-factor/" in landed.url:
        if totp_key is None:
            raise RuntimeError(f"{username} needs a second factor and no authenticator key was given")
        landed = _post_form(opener, landed.url, {"code": totp_code(totp_key)})
        if "/accounts/two-factor/" in landed.url:
            raise RuntimeError(f"the second factor of {username} was refused")
    cookies = {cookie.name: cookie.value for cookie in jar}
    if "sessionid" not in cookies:
        raise RuntimeError(f"could not sign in as {username}")
    return cookies


def _post_form(opener, url: str, fields: dict):
    """GET the form (for its CSRF token), POST it; the response after redirects."""
    page = opener.open(url, timeout=30).read().decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
    response = opener.open(urllib.request.Request(url, data=data, headers={"Referer": url}), timeout=30)
    response.read()
    return response


def totp_code(key_hex: str, *, now: float | None = None, step: int = 30, digits: int = 6) -> str:
    """RFC 6238 (SHA-1, 30-second steps, six digits), as django-otp's TOTP devices check it."""
    counter = int((time.time() if now is None else now) // step)
    digest = hmac.new(bytes.fromhex(key_hex), struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    value = struct.unpack(">I", digest[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)
