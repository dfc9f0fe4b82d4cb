"""Public pages through nginx's cache, measured in one run (docs/speed.md):
each page as gunicorn alone answers it, through nginx's cache (the
two-server topology, deploy/nginx.conf as deployed), and as nginx serving
the very same bytes as a static file, over TLS like the cache. Reported as
ratios to the static file (target: the cache at 0.5 x or more).

`python -m bench.proxy_cache` runs only these rows; `make bench` runs them
after its own table.
"""

import gzip
import json
import multiprocessing
import os
import re
import secrets
import shutil
import signal
import statistics
import threading
import time
import urllib.request
from base64 import b32decode
from pathlib import Path

from . import load
from .client import Browser, tls_context
from .topology import free_port, topology

SECONDS = int(os.environ.get("BENCH_SECONDS", "2"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
CACHE_TARGET = 0.5  # x nginx's static file, requests per second
PHONES = int(os.environ.get("BENCH_SURGE_PHONES", "50"))
# A surge lasts about a second, so one gives a p95 of a few dozen pages:
# the cold surge is repeated on an emptied cache, and the pages of every
# repeat are pooled (as are the quiet pages before each).
COLD_SURGES = int(os.environ.get("BENCH_COLD_SURGES", "5"))
# A stale surge needs every page past its s-maxage again: 65 s between them.
STALE_SURGES = int(os.environ.get("BENCH_STALE_SURGES", "3"))
DASHBOARD_P95_TARGET = 2.0  # x the dashboard's p95 with no surge
# Past the public pages' s-maxage (offline.page_cache.SHARED_SECONDS, 60 s;
# tests/bench checks): nginx then holds every page stale.
STALE_AFTER_S = 65
# As the worker's precache asks (not a navigation, so a plain URL is the
# English page, never the language redirect), and compressed, as phones ask.
PHONE = {"Accept-Encoding": "gzip", "Sec-Fetch-Mode": "cors", "Accept": "*/*"}


def public_rows(stack) -> list[str]:
    return [f"/lessons/{stack.course_slugs()[0]}/", "/craving/", "/help/"]


def _static_server(stack, paths: list[str]) -> str:
    """A second server in the same nginx serving each page's bytes (as the
    cache holds them) from files; nginx reloads to add it."""
    root = stack.folder / "same-bytes"
    root.mkdir(exist_ok=True)
    context = tls_context(str(stack.ca_file))
    for path in paths:
        request = urllib.request.Request(stack.url + path, headers=PHONE)
        with urllib.request.urlopen(request, context=context) as response:
            body = response.read()
        target = root / path.strip("/") / "index.html"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(body)
    if os.geteuid() == 0:
        for item in [root, *root.rglob("*")]:
            shutil.chown(item, "nobody", "nogroup")
    port = free_port()
    with open(stack.folder / "crest.conf", "a") as site:
        site.write(
            f"""
# bench/proxy_cache.py: the same bytes as static files, for comparison.
server {{
    listen 127.0.0.1:{port} ssl;
    ssl_certificate {stack.ca_file};
    ssl_certificate_key {stack.folder / "tls.key"};
    access_log off;
    gzip off;
    root {root};
    location / {{ try_files $uri/index.html =404; }}
}}
"""
        )
    stack.nginx.send_signal(signal.SIGHUP)
    url = f"https://127.0.0.1:{port}"
    deadline = time.monotonic() + 10
    while True:
        try:
            urllib.request.urlopen(url + paths[0], context=context).read()
            return url
        except OSError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.2)


def measure(stack) -> list[dict]:
    paths = public_rows(stack)
    static_url = _static_server(stack, paths)
    gunicorn_url = stack.servers[0].url
    rows = []
    for path in paths:
        target = load.Target(name=path, path=path, headers=PHONE)
        # Straight to gunicorn, as nginx would send it (from the trusted
        # proxy's address, so the app takes the scheme from the header).
        direct = load.Target(name=path, path=path, headers={**PHONE, "X-Forwarded-Proto": "https"})
        load.warm(gunicorn_url, direct)
        figures = {"gunicorn": [], "cache": [], "static": []}
        for _ in range(ROUNDS):
            for name, base, asked in (
                ("static", static_url, target), ("cache", stack.url, target), ("gunicorn", gunicorn_url, direct)
            ):
                figures[name].append(load.run_wrk(base, asked, seconds=SECONDS, connections=CONNECTIONS))
        median = {name: sorted(r.rps for r in results)[len(results) // 2] for name, results in figures.items()}
        errors = sum(r.errors for results in figures.values() for r in results)
        rows.append({"path": path, **{f"{k}_rps": round(v) for k, v in median.items()}, "errors": errors,
                     "cache_vs_static": median["cache"] / median["static"],
                     "gunicorn_vs_static": median["gunicorn"] / median["static"]})
    return rows


def report(rows: list[dict]) -> str:
    lines = [
        "| page | gunicorn alone rps | nginx cache rps | nginx static file rps | cache / static | gunicorn / static "
        "| errors |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for row in rows:
        verdict = "" if row["cache_vs_static"] >= CACHE_TARGET else " (below 0.5)"
        lines.append(
            f"| {row['path']} | {row['gunicorn_rps']} | {row['cache_rps']} | {row['static_rps']} | "
            f"{row['cache_vs_static']:.2f}{verdict} | {row['gunicorn_vs_static']:.2f} | {row['errors']} |"
        )
    return "\n".join(lines)


def _staff(stack) -> Browser:
    """A clinic admin signed in all the way: password, then an authenticator
    app connected on the spot (codes computed here, RFC 6238)."""
    suffix = secrets.token_hex(3)
    username, passphrase = f"surge-admin-{suffix}", f"quiet-harbor-copper-{suffix}"
    link = stack.manage("create_clinic", f"Surge Clinic {suffix}", "--admin", username).strip().splitlines()[-1]
    staff = Browser(stack.url, ssl_context=tls_context(str(stack.ca_file)))
    form = staff.get(link).headers["Location"]
    staff.get(form)
    staff.post_form(form, {"new_password1": passphrase, "new_password2": passphrase})
    setup = staff.get("/accounts/two-factor/setup/?next=%2Fclinic%2F")
    key = re.search(r"data-totp-key>([A-Z2-7 ]+)<", setup.text)[1].replace(" ", "")
    key_hex = b32decode(key + "=" * (-len(key) % 8)).hex()
    staff.post_form("/accounts/two-factor/setup/", {"code": load.totp_code(key_hex), "next": "/clinic/"})
    if staff.get("/clinic/").status != 200:
        raise RuntimeError("the surge's clinic admin could not open /clinic/")
    return staff


def _dashboard_times(staff: Browser, *, seconds: float, until=lambda: False) -> list[float]:
    """The dashboard, page after page, as a clinician pages it: each in ms."""
    times = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and not until():
        times.append(staff.get("/clinic/").seconds * 1000)
    return times


def p95(times: list[float]) -> float:
    return statistics.quantiles(times, n=20)[-1] if len(times) > 1 else float("nan")


def as_other_devices() -> None:
    """This process's threads, the phones, run only on CPU time that no
    server process (nginx, gunicorn, the database) wants: the phones are
    other people's devices, not the server's CPU. SCHED_IDLE, not nice 19:
    a nice-19 thread keeps its core until its time slice ends, and each hop
    of the dashboard's request (client, nginx, gunicorn, database) could
    wait for one; a SCHED_IDLE thread gives the core up the moment a
    normal one wakes."""
    os.sched_setscheduler(0, os.SCHED_IDLE, os.sched_param(0))


def phone_lists(pages: dict[str, list[str]]) -> list[list[str]]:
    """What each of the `PHONES` new phones asks for: its own language's
    pages, as a new phone's service worker precaches them (the install step
    of offline/templates/offline/serviceworker.js takes the languages the
    phone keeps, and a new phone keeps one). The languages are taken in
    turn, so every page of every language is asked for in a surge."""
    languages = sorted(pages)
    return [pages[languages[i % len(languages)]] for i in range(PHONES)]


def _phones(url: str, ca_file: str, lists: list[list[str]], failures) -> None:
    """`PHONES` phones at once, each fetching its list (phone_lists)."""
    as_other_devices()
    context = tls_context(ca_file)

    def phone(urls: list[str]) -> None:
        client = Browser(url, ssl_context=context)
        for path in urls:
            if client.request("GET", path, headers=PHONE).status != 200:
                with failures.get_lock():
                    failures.value += 1

    threads = [threading.Thread(target=phone, args=(urls,)) for urls in lists]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def surge(stack, cache: str) -> dict:
    """`PHONES` new phones precache the worker's list at once while a
    clinician pages the dashboard. `cache` says what nginx holds: "cold"
    (nothing: the first deploy, or its cache folder emptied) or "stale"
    (every page, past its s-maxage: any later surge)."""
    context = tls_context(str(stack.ca_file))
    request = urllib.request.Request(stack.url + "/serviceworker.js", headers=PHONE)
    worker = urllib.request.urlopen(request, context=context).read()
    worker = gzip.decompress(worker) if worker[:2] == b"\x1f\x8b" else worker
    lists = phone_lists(json.loads(re.search(rb"const PRECACHE_PAGES = (.*);", worker)[1]))
    urls = sorted({path for paths in lists for path in paths})
    staff = _staff(stack)
    quiet = _dashboard_times(staff, seconds=5)
    start = [len(server.log_path.read_text(errors="replace").splitlines()) for server in stack.servers]
    # The phones are other people's devices: their client work runs in its
    # own process (as_other_devices), so it neither holds the measuring
    # thread's GIL nor takes the servers' (nginx, gunicorn) CPU.
    fork = multiprocessing.get_context("fork")
    failures = fork.Value("i", 0)
    phones = fork.Process(target=_phones, args=(stack.url, str(stack.ca_file), lists, failures))
    started = time.monotonic()
    phones.start()
    during = _dashboard_times(staff, seconds=120, until=lambda: not phones.is_alive())
    phones.join()
    upstream = []
    for server, skip in zip(stack.servers, start, strict=True):
        lines = server.log_path.read_text(errors="replace").splitlines()[skip:]
        upstream += [m[1] for line in lines if (m := re.search(r'"GET (\S+) HTTP', line))]
    return {
        "cache": cache, "phones": PHONES, "urls": len(urls), "requests": sum(map(len, lists)),
        "seconds": time.monotonic() - started,
        "failures": failures.value,
        "quiet_ms": quiet, "surge_ms": during,
        "most_upstream_per_url": max((upstream.count(url) for url in urls), default=0),
    }


def pooled(results: list[dict]) -> dict:
    """Several surges on the same kind of cache as one: their dashboard
    pages together, the worst of their failures and upstream counts."""
    return {
        "cache": results[0]["cache"], "phones": results[0]["phones"], "urls": results[0]["urls"],
        "requests": results[0]["requests"],
        "surges": len(results),
        "seconds": statistics.mean(result["seconds"] for result in results),
        "failures": sum(result["failures"] for result in results),
        "quiet_ms": [t for result in results for t in result["quiet_ms"]],
        "surge_ms": [t for result in results for t in result["surge_ms"]],
        "each": [p95(result["surge_ms"]) / p95(result["quiet_ms"]) for result in results],
        "most_upstream_per_url": max(result["most_upstream_per_url"] for result in results),
    }


def surge_report(result: dict) -> str:
    """One line for a kind of surge, its repeats pooled (pooled())."""
    quiet, during = p95(result["quiet_ms"]), p95(result["surge_ms"])
    ratio = during / quiet
    verdict = "" if ratio <= DASHBOARD_P95_TARGET else f" (above {DASHBOARD_P95_TARGET:.0f} x)"
    surges = result["surges"]
    each = f"; each surge alone: {', '.join(f'{r:.2f}' for r in result['each'])}" if surges > 1 else ""
    return (
        f"Surge on a {result['cache']} cache{f' ({surges} surges pooled)' if surges > 1 else ''}: "
        f"{result['phones']} phones, each precaching its language's pages ({result['requests']} requests "
        f"for {result['urls']} URLs) in {result['seconds']:.1f} s, "
        f"{result['failures']} failures; at most {result['most_upstream_per_url']} upstream request(s) per URL; "
        f"dashboard p95 {quiet:.0f} ms quiet ({len(result['quiet_ms'])} pages), {during:.0f} ms "
        f"during the surge ({len(result['surge_ms'])} pages): {ratio:.2f} x{verdict}{each}"
    )


def main() -> None:
    with topology(Path(os.environ.get("BENCH_TMP", "")) if os.environ.get("BENCH_TMP") else None) as stack:
        cold = []
        for repeat in range(COLD_SURGES):  # first: nothing cached yet
            if repeat:
                stack.empty_proxy_cache()
            cold.append(surge(stack, "cold"))
        ended = time.monotonic()
        print(report(measure(stack)), flush=True)
        # Every page cached and now past its s-maxage: nginx answers from the
        # stale copy and refreshes each once in the background.
        stale = []
        for _ in range(STALE_SURGES):
            time.sleep(max(0.0, ended + STALE_AFTER_S - time.monotonic()))
            stale.append(surge(stack, "stale"))
            ended = time.monotonic()
        print(surge_report(pooled(cold)), flush=True)
        print(surge_report(pooled(stale)), flush=True)


if __name__ == "__main__":
    main()
