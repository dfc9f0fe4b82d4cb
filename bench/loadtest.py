"""`make loadtest`: many patients' phones syncing through nginx and two
gunicorn servers while things break, then a count of what was lost.

Each simulated patient has its own account, session, cookies and keep-alive
connection (bench/client.py). It signs in, then posts `POST /api/v1/sync`
batches of new items, each with its own UUID, as the phone's outbox does:
a batch that gets no answer, a 5xx, or a 429 is sent again unchanged (with
backoff) until the server answers it, so every retry is a replay of the same
item ids. What the server acknowledged (`stored` or `duplicate`) is recorded.

One stack per database (PostgreSQL, then SQLite in WAL mode); on it, one run
per fault, each starting halfway through its run:

- worker-kill:    SIGKILL one gunicorn worker of the first server (its master
                  starts another);
- server-restart: SIGKILL the second server whole (master and workers) and
                  start it again on the same port;
- db-drop:        PostgreSQL: terminate every connection of the app's
                  database, again and again, for a few seconds; SQLite: hold
                  the write lock for a few seconds.

After each run:
1. the database is asked (through the ORM, every UUID field of every model)
   how many copies of each acknowledged item it holds: none is lost, more
   than one is duplicated;
2. every acknowledged item is sent again by its own patient: the answer must
   be `duplicate` (an answer of `stored` means the server had lost it).
A client must never see a 500 (502/503/504 during a fault are retried and
counted as transient). The summary gives clients, requests, errors, lost and
duplicated per run; bench-results/loadtest.json has everything.

If POST /api/v1/sync answers 404 (the endpoint moved or is missing), the
harness says so and fails (exit 1) without measuring anything.

    python -m bench.loadtest [--clients 200] [--duration 30] [--databases postgresql,sqlite]
                             [--faults worker-kill,server-restart,db-drop]
"""

import argparse
import json
import os
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import urlparse

import psycopg

from bench.client import NETWORK_ERRORS, Browser, tls_context
from bench.topology import ROOT, Topology, topology

SYNC = "/api/v1/sync"
PASSWORD = "load-test-passphrase-2026"
FAULTS = ("worker-kill", "server-restart", "db-drop")
TRANSIENT = {429, 502, 503, 504}
MAX_BATCH = 100  # the contract's limit per request

# The load-test patients share craving summaries (off by default), so
# craving.logged items are stored and checked too, not answered `not_shared`.
SHARE_CRAVINGS_CODE: str | None = (
    "from clinics.models import Patient; "
    "Patient.objects.filter(user__username__startswith='load-').update(shares_cravings=True)"
)

# Where the server keeps item ids: one SyncedItem row per item kept (its
# primary key is the phone's id). CREST_LOADTEST_ITEM_FIELDS="" searches every
# UUIDField of every model instead.
ITEM_ID_FIELDS: list[str] = [
    f for f in os.environ.get("CREST_LOADTEST_ITEM_FIELDS", "clinics.SyncedItem.id").split(",") if f
]


class SyncMissing(Exception):
    """POST /api/v1/sync answers 404: nothing can be measured."""

    def __str__(self) -> str:
        return f"POST {SYNC} answers 404: the load test needs the sync endpoint"


@dataclass
class Stats:
    lock: threading.Lock = field(default_factory=threading.Lock)
    requests: int = 0
    statuses: Counter = field(default_factory=Counter)
    network_errors: int = 0
    latencies: list[float] = field(default_factory=list)
    server_errors: list[str] = field(default_factory=list)  # 500s (and other non-transient 5xx)
    client_errors: list[str] = field(default_factory=list)  # 4xx the harness did not expect

    def record(self, status: int | None, seconds: float = 0.0, detail: str = "") -> None:
        with self.lock:
            self.requests += 1
            if status is None:
                self.network_errors += 1
                return
            self.statuses[status] += 1
            self.latencies.append(seconds)
            if status >= 500 and status not in TRANSIENT:
                self.server_errors.append(f"{status} {detail[:200]}")


@dataclass
class Patient:
    username: str
    browser: Browser
    acked: dict[str, dict] = field(default_factory=dict)  # item id -> the item, once acknowledged
    not_shared: set[str] = field(default_factory=set)
    rejected: dict[str, object] = field(default_factory=dict)
    unanswered: set[str] = field(default_factory=set)  # never acknowledged before the run ended


def now_iso() -> str:
    return datetime.now(UTC).isoformat()


def new_item(slugs: dict[str, int], craving_share: float) -> dict:
    """One outbox item, shaped as the sync contract (README) says."""
    if random.random() < craving_share:
        before = random.randint(4, 10)
        return {
            "id": str(uuid.uuid4()), "type": "craving.logged", "at": now_iso(),
            "intensity_before": before, "intensity_after": random.randint(0, before),
            "tool": random.choice(["wave", "breathing", "grounding", "think"]),
            "outcome": random.choice(["passed", "eased", "strong"]),
            "triggers": {"feelings": random.sample(["Stressed", "Bored", "Sad"], 2), "halt": ["Tired"]},
            "note": "",
        }
    lesson = random.choice(list(slugs))
    total = random.choice([None, slugs[lesson]])
    return {
        "id": str(uuid.uuid4()), "type": "lesson.completed", "at": now_iso(), "lesson": lesson,
        "score": None if total is None else random.randint(0, total), "total": total,
    }


def sign_in(patient: Patient, stats: Stats, deadline: float) -> bool:
    delay = 0.2
    while time.monotonic() < deadline:
        try:
            response = patient.browser.sign_in(patient.username, PASSWORD)
        except NETWORK_ERRORS:
            stats.record(None)
        else:
            stats.record(response.status, response.seconds, f"sign-in: {response.text}")
            if response.status == 302:
                return True
            if response.status not in TRANSIENT and response.status < 500:
                stats.client_errors.append(f"sign-in {patient.username}: {response.status}")
                return False
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 5)
    return False


def send(patient: Patient, items: list[dict], stats: Stats, deadline: float) -> list[dict] | None:
    """Post one batch until the server answers it (200), as the outbox does:
    the same items, the same ids, after a backoff. None if it never did."""
    delay = 0.2
    while time.monotonic() < deadline:
        try:
            response = patient.browser.post_json(SYNC, {"items": items})
        except NETWORK_ERRORS:
            stats.record(None)
        else:
            stats.record(response.status, response.seconds, response.text)
            if response.status == 200:
                return response.json()["results"]
            if response.status == 404:
                raise SyncMissing
            if response.status in (401, 403):
                sign_in(patient, stats, deadline)  # session lost: sign in again and resend
            elif response.status not in TRANSIENT and response.status < 500:
                stats.client_errors.append(f"{response.status} {response.text[:200]}")
                return None
        time.sleep(delay * random.uniform(0.5, 1.5))
        delay = min(delay * 2, 5)
    return None


def client_loop(patient: Patient, stats: Stats, *, slugs, stop_at, deadline, batch_size, think, craving_share):
    while time.monotonic() < stop_at:
        items = [new_item(slugs, craving_share) for _ in range(random.randint(1, batch_size))]
        results = send(patient, items, stats, deadline)
        if results is None:
            patient.unanswered.update(item["id"] for item in items)
            continue
        sent = {item["id"]: item for item in items}
        for result in results:
            status = result.get("status")
            if status in ("stored", "duplicate"):
                patient.acked[result["id"]] = sent[result["id"]]
            elif status == "not_shared":
                patient.not_shared.add(result["id"])
            else:
                patient.rejected[result["id"]] = result.get("errors")
        time.sleep(random.uniform(0, think))


# --- Faults --------------------------------------------------------------------


def inject(stack: Topology, fault: str, *, down_seconds: float) -> str:
    """Break something now; returns what was done, for the report."""
    if fault == "worker-kill":
        pid = stack.servers[0].kill_worker()
        return f"killed gunicorn worker {pid} of {stack.servers[0].name}"
    if fault == "server-restart":
        started = time.monotonic()
        stack.servers[1].restart(hard=True)
        return f"killed and restarted {stack.servers[1].name} (down {time.monotonic() - started:.1f} s)"
    if fault == "db-drop":
        if stack.is_postgres:
            return drop_postgres_connections(stack.database_url, down_seconds)
        return hold_sqlite_lock(Path(urlparse(stack.database_url).path), down_seconds)
    if fault == "none":
        return "no fault"
    raise ValueError(f"unknown fault {fault}")


def drop_postgres_connections(url: str, seconds: float) -> str:
    name = urlparse(url).path.lstrip("/")
    admin = urlparse(url)._replace(path="/postgres").geturl()
    killed = 0
    end = time.monotonic() + seconds
    with psycopg.connect(admin, autocommit=True) as conn:
        while time.monotonic() < end:
            killed += conn.execute(
                "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                "WHERE datname = %s AND pid <> pg_backend_pid()",
                [name],
            ).fetchone()[0]
            time.sleep(0.05)
    return f"terminated {killed} database connections over {seconds:.0f} s"


def hold_sqlite_lock(path: Path, seconds: float) -> str:
    conn = sqlite3.connect(path, timeout=30, isolation_level=None)
    try:
        conn.execute("BEGIN EXCLUSIVE")
        time.sleep(seconds)
        conn.execute("ROLLBACK")
    finally:
        conn.close()
    return f"held SQLite's write lock for {seconds:.0f} s"


# --- Checks --------------------------------------------------------------------

COUNT_CODE = """
import json
from collections import Counter
from django.apps import apps
from django.db import models
ids = json.load(open({ids_path!r}))
named = {named!r}
fields = []
for model in apps.get_models():
    for f in model._meta.concrete_fields:
        label = f"{{model._meta.label}}.{{f.name}}"
        if label in named or (not named and isinstance(f, models.UUIDField)):
            fields.append((model, f, label))
report = {{}}
for model, f, label in fields:
    counts = Counter()
    for i in range(0, len(ids), 500):
        values = model._base_manager.filter(**{{f.attname + "__in": ids[i:i + 500]}}).values_list(f.attname, flat=True)
        counts.update(str(v) for v in values)
    if counts:
        report[label] = counts
json.dump(report, open({out_path!r}, "w"))
"""


def stored_copies(stack: Topology, ids: list[str]) -> dict[str, Counter]:
    """{"app.Model.field": Counter(item id -> rows)} for every field that
    holds any of these ids."""
    with tempfile.TemporaryDirectory() as tmp:
        ids_path, out_path = Path(tmp) / "ids.json", Path(tmp) / "out.json"
        ids_path.write_text(json.dumps(ids))
        stack.manage(
            "shell", "--no-imports", "-c",
            COUNT_CODE.format(ids_path=str(ids_path), out_path=str(out_path), named=ITEM_ID_FIELDS),
        )
        return {label: Counter(counts) for label, counts in json.loads(out_path.read_text()).items()}


def replay_check(patients: list[Patient], stats: Stats) -> list[str]:
    """Every patient sends all its acknowledged items again: each must come
    back `duplicate`. Returns the ids answered `stored` (the server had lost them)."""
    lost: list[str] = []
    lock = threading.Lock()

    def replay(patient: Patient) -> None:
        items = list(patient.acked.values())
        for i in range(0, len(items), MAX_BATCH):
            # Exactly what was sent, as the phone's outbox would resend it.
            results = send(patient, items[i:i + MAX_BATCH], stats, time.monotonic() + 120) or []
            with lock:
                lost.extend(r["id"] for r in results if r.get("status") == "stored")

    run_threads(replay, patients, limit=32)
    return lost


def run_threads(target, patients: list[Patient], *, limit: int | None = None, **kwargs) -> None:
    for start in range(0, len(patients), limit or len(patients)):
        threads = [threading.Thread(target=target, args=(p,), kwargs=kwargs, daemon=True)
                   for p in patients[start:start + (limit or len(patients))]]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()


# --- One run -------------------------------------------------------------------


def probe(stack: Topology) -> None:
    browser = Browser(stack.url, ssl_context=tls_context(str(stack.ca_file)))
    if browser.post_json(SYNC, {"items": []}).status == 404:
        raise SyncMissing


def prepare_patients(stack: Topology, count: int, stats: Stats) -> list[Patient]:
    names = stack.create_patients(f"load-{secrets.token_hex(3)}", count, PASSWORD)
    if SHARE_CRAVINGS_CODE:
        stack.manage("shell", "--no-imports", "-c", SHARE_CRAVINGS_CODE)
    context = tls_context(str(stack.ca_file))
    # Each phone from its own loopback address, as phones have their own:
    # nginx's and the app's limits per address (deploy/nginx.conf) apply.
    addresses = [f"127.0.{2 + i // 250}.{2 + i % 250}" for i in range(len(names))]
    patients = [
        Patient(name, Browser(stack.url, ssl_context=context, timeout=60, source_ip=address))
        for name, address in zip(names, addresses, strict=True)
    ]
    signed_in: list[bool] = []
    deadline = time.monotonic() + 300

    def one(patient: Patient) -> None:
        signed_in.append(sign_in(patient, stats, deadline))

    run_threads(one, patients, limit=50)
    if not all(signed_in):
        raise RuntimeError(f"{signed_in.count(False)} of {count} patients could not sign in")
    return patients


def run(stack: Topology, patients: list[Patient], *, fault: str, duration: float, batch_size: int,
        think: float, craving_share: float, down_seconds: float) -> dict:
    for patient in patients:  # each run checks only its own items
        patient.acked, patient.not_shared, patient.rejected, patient.unanswered = {}, set(), {}, set()
    slugs = stack.course_checks()
    stats = Stats()
    started = time.monotonic()
    stop_at = started + duration
    deadline = stop_at + 90  # time to get answers for batches still being retried
    fault_report: list[str] = []

    def fault_thread() -> None:
        time.sleep(duration / 2)
        fault_report.append(inject(stack, fault, down_seconds=down_seconds))

    injector = threading.Thread(target=fault_thread, daemon=True)
    injector.start()
    missing: list[bool] = []

    def client(patient: Patient) -> None:
        try:
            client_loop(patient, stats, slugs=slugs, stop_at=stop_at, deadline=deadline,
                        batch_size=batch_size, think=think, craving_share=craving_share)
        except SyncMissing:
            missing.append(True)

    run_threads(client, patients)
    injector.join()
    elapsed = time.monotonic() - started
    if missing:
        raise SyncMissing

    acked = [item_id for p in patients for item_id in p.acked]
    copies = stored_copies(stack, acked)
    found = set().union(*copies.values()) if copies else set()
    duplicated = sorted({item_id for counts in copies.values() for item_id, n in counts.items() if n > 1})
    lost_in_db = sorted(set(acked) - found) if copies else []
    replay_stats = Stats()
    lost_on_replay = replay_check(patients, replay_stats)
    latencies = sorted(stats.latencies) or [0.0]
    return {
        "database": "postgresql" if stack.is_postgres else "sqlite",
        "fault": fault,
        "fault_done": fault_report[0] if fault_report else "not injected",
        "clients": len(patients),
        "seconds": round(elapsed, 1),
        "requests": stats.requests,
        "statuses": dict(sorted(stats.statuses.items())),
        "network_errors": stats.network_errors,
        "errors_500": len(stats.server_errors),
        "error_samples": stats.server_errors[:5],
        "unexpected_4xx": len(stats.client_errors),
        "unexpected_4xx_samples": stats.client_errors[:5],
        "transient": sum(n for s, n in stats.statuses.items() if s in TRANSIENT) + stats.network_errors,
        "items_acknowledged": len(acked),
        "items_not_shared": sum(len(p.not_shared) for p in patients),
        "items_rejected": sum(len(p.rejected) for p in patients),
        "rejected_samples": [v for p in patients for v in p.rejected.values()][:3],
        "items_never_answered": sum(len(p.unanswered) for p in patients),
        "id_fields_checked": sorted(copies) or "none held the ids: set ITEM_ID_FIELDS",
        "lost": len(set(lost_in_db) | set(lost_on_replay)),
        "lost_in_database": len(lost_in_db),
        "lost_on_replay": len(lost_on_replay),
        "duplicated": len(duplicated),
        "replay_errors_500": len(replay_stats.server_errors),
        "p50_ms": round(statistics.median(latencies) * 1000),
        "p95_ms": round(latencies[int(len(latencies) * 0.95) - 1] * 1000) if len(latencies) > 1 else 0,
        "requests_per_second": round(stats.requests / elapsed, 1),
    }


def passed(result: dict) -> bool:
    return (
        result["errors_500"] == 0 and result["replay_errors_500"] == 0 and result["lost"] == 0
        and result["duplicated"] == 0 and result["unexpected_4xx"] == 0 and result["items_rejected"] == 0
        and result["items_acknowledged"] > 0 and isinstance(result["id_fields_checked"], list)
    )


def loadtest(*, databases, faults, clients, duration, batch_size=5, think=0.5, craving_share=0.25,
             down_seconds=3.0, workers=2, stack_factory=topology) -> list[dict]:
    results = []
    for database in databases:
        with stack_factory(database=database, workers=workers) as stack:
            probe(stack)
            patients = prepare_patients(stack, clients, Stats())
            for fault in faults:
                result = run(stack, patients, fault=fault, duration=duration, batch_size=batch_size,
                             think=think, craving_share=craving_share, down_seconds=down_seconds)
                results.append(result)
                print_row(result)
    return results


COLUMNS = ("database", "fault", "clients", "requests", "errors_500", "transient", "items_acknowledged",
           "lost", "duplicated", "p50_ms", "p95_ms", "requests_per_second")


def print_row(result: dict) -> None:
    print("  ".join(f"{key}={result[key]}" for key in COLUMNS), flush=True)
    print(f"    fault: {result['fault_done']}; statuses {result['statuses']}; id fields {result['id_fields_checked']}",
          flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.loadtest", description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=200)
    parser.add_argument("--duration", type=float, default=30, help="seconds of load per fault")
    parser.add_argument("--databases", default="postgresql,sqlite")
    parser.add_argument("--faults", default=",".join(FAULTS))
    parser.add_argument("--batch", type=int, default=5, help="at most this many items per request")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server")
    parser.add_argument("--down-seconds", type=float, default=3, help="how long the database is unreachable")
    args = parser.parse_args(argv)
    try:
        results = loadtest(
            databases=args.databases.split(","), faults=args.faults.split(","), clients=args.clients,
            duration=args.duration, batch_size=args.batch, workers=args.workers, down_seconds=args.down_seconds,
        )
    except SyncMissing as error:
        print(f"FAILED: {error}. Nothing was measured.", flush=True)
        return 1
    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    (out / "loadtest.json").write_text(json.dumps(results, indent=2))
    failed = [r for r in results if not passed(r)]
    print(f"{len(results) - len(failed)} of {len(results)} runs passed; details in bench-results/loadtest.json")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
