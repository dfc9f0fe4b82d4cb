"""`python -m bench.explain`: EXPLAIN ANALYZE of the clinic pages' queries
on the seeded 50,000-patient clinic, on PostgreSQL.

    python -m bench.explain                # the code checked out
    python -m bench.explain --before DIR   # and the code in DIR, for comparison

It clones the seeded database (bench/seed.py: built once, then cached), and
in a child process with Django set up on the clone signs in the bench's
staff, asks for each clinic row of `make bench` (bench/__main__.CLINIC_ROWS,
all but the sync) with Django's test client, captures the SQL the view ran,
and prints `EXPLAIN (ANALYZE, BUFFERS)` of each query on the clinic's
patients, assignments or audit log, each in a transaction rolled back (an
export's INSERT is measured, not kept).

`--before DIR` measures another checkout (say `git archive main | tar -x
-C DIR`) on the same rows after dropping the dashboard's indexes (migration
clinics 0008), so that it runs as it did before them: its queries never
read the stored progress columns, so their presence changes nothing.

`DATABASE_URL` (a PostgreSQL server) says where; the default is
postgres://postgres@127.0.0.1:5432/postgres, as for `make bench`.
"""

import json
import os
import re
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TABLES = ("clinics_patient", "clinics_assignment", "clinics_auditevent")
NEW_INDEXES = ["patient_clinic_label", "patient_not_done_due", "patient_not_started", "patient_label_trgm"]
SQL_SHOWN = 400  # characters of each query printed above its plan


# --- In the child process: Django set up on the clone -------------------------


def _explained(sql: str) -> str:
    # A server-side cursor (the CSV's .iterator()) logs its DECLARE.
    declared = re.match(r"DECLARE .*? CURSOR .*?FOR (.*)$", sql, re.DOTALL)
    return declared.group(1) if declared else sql


def explain_pages(targets: list[dict], logins: dict, middle: int, deep_index: int) -> list[dict]:
    """For each target: the view's queries on the clinic's tables and their
    plans. Run as a script in a child process (measure()): nothing of the
    bench package is imported here; `deep_index` is seed.DEEP_PAGE_AFTER_INDEX."""
    import django

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "project.settings")
    django.setup()
    from django.contrib.auth import get_user_model
    from django.db import connection, transaction
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from clinics.models import Patient

    patients = Patient.objects.filter(clinic__slug=logins["clinic"]).order_by("pk").values_list("pk", flat=True)
    patient_pk = patients[middle]
    after_pk = Patient.objects.filter(clinic__slug=logins["clinic"]).order_by("label", "pk").values_list(
        "pk", flat=True
    )[deep_index]
    clients = {}
    for role, username in logins["staff"].items():
        clients[role] = Client()
        clients[role].force_login(get_user_model().objects.get(username=username))
    reports = []
    for target in targets:
        path = target["path"].format(patient_pk=patient_pk, after_pk=after_pk)
        client = clients[target["role"]]
        with CaptureQueriesContext(connection) as captured:
            response = client.post(path) if target["method"] == "post" else client.get(path)
            if response.streaming:
                for _chunk in response.streaming_content:
                    pass
        queries = []
        for query in captured:
            sql = _explained(query["sql"])
            if not sql.startswith(("SELECT", "INSERT")) or not any(table in sql for table in TABLES):
                continue
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
                    plan = [row[0] for row in cursor.fetchall()]
                transaction.set_rollback(True)
            timing = {
                key: float(re.search(rf"{label} Time: ([\d.]+) ms", "\n".join(plan)).group(1))
                for key, label in (("planning_ms", "Planning"), ("execution_ms", "Execution"))
            }
            queries.append({"sql": sql[:SQL_SHOWN], "plan": plan, **timing})
        reports.append({"name": target["name"], "path": path, "status": response.status_code, "queries": queries})
    return reports


# --- In `python -m bench.explain` --------------------------------------------


def _targets() -> list[dict]:
    from .__main__ import CLINIC_ROWS

    return [
        {"name": row.name, "path": row.path, "role": row.role, "method": "get" if row.lua is None else "post"}
        for row in CLINIC_ROWS
        if row.lua != "sync.lua"
    ]


def measure(database_url: str, code: Path) -> list[dict]:
    """Run explain_pages() with the code in `code` on the database."""
    from . import seed

    logins = {
        "clinic": seed.CLINIC_SLUG,
        "staff": {role: seed.BENCH_LOGINS[role][0] for role in ("admin", "clinician")},
    }
    env = {
        **seed._env(database_url),
        # Debug on for the templates' static files (no collectstatic here);
        # the queries are the same either way.
        "DJANGO_DEBUG": "1",
        "DJANGO_STAFF_MFA": "off",
        "DJANGO_ALLOWED_HOSTS": "testserver",
        "PYTHONPATH": str(code),
    }
    argv = [json.dumps(_targets()), json.dumps(logins), str(seed.PATIENTS // 2), str(seed.DEEP_PAGE_AFTER_INDEX)]
    out = subprocess.run(
        [sys.executable, __file__, "--child", *argv], cwd=code, env=env, check=True, capture_output=True, text=True
    )
    return json.loads(out.stdout.strip().splitlines()[-1])


def report(reports: list[dict], title: str) -> str:
    lines = [f"## {title}", ""]
    for page in reports:
        lines.append(f"### {page['name']}: {page['path']} ({page['status']})")
        for query in page["queries"]:
            lines += ["", "```", query["sql"] + (" …" if len(query["sql"]) >= SQL_SHOWN else ""), "", *query["plan"],
                      "```"]
        lines.append("")
    return "\n".join(lines)


def summary(runs: dict[str, list[dict]]) -> str:
    """One row per page: queries, planning + execution ms (summed), per run."""
    names = list(runs)
    header = ["page", *[f"{name}: queries, planning + execution ms" for name in names]]
    rows = []
    for i, page in enumerate(next(iter(runs.values()))):
        cells = [page["name"]]
        for name in names:
            queries = runs[name][i]["queries"]
            planning = sum(q["planning_ms"] for q in queries)
            execution = sum(q["execution_ms"] for q in queries)
            cells.append(f"{len(queries)}, {planning:,.1f} + {execution:,.1f}")
        rows.append(cells)
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def main(argv: list[str]) -> None:
    from . import seed

    before = Path(argv[argv.index("--before") + 1]).resolve() if "--before" in argv else None
    postgres_url = os.environ.get("DATABASE_URL", "")
    postgres_url = postgres_url if postgres_url.startswith("postgres") else None
    runs = {}
    with (
        tempfile.TemporaryDirectory() as tmp,
        seed.seeded_database("postgresql", Path(tmp), postgres_url=postgres_url) as (database_url, _info),
    ):
        runs["after"] = measure(database_url, ROOT)
        if before is not None:
            import psycopg

            with psycopg.connect(database_url, autocommit=True) as conn:
                conn.execute("DROP INDEX IF EXISTS " + ", ".join(NEW_INDEXES))
                conn.execute("ANALYZE clinics_patient")
            runs["before"] = measure(database_url, before)
    if before is not None:
        runs = {"before": runs["before"], "after": runs["after"]}
    print(summary(runs))
    print()
    for name, reports in runs.items():
        print(report(reports, f"{name} ({ROOT if name == 'after' else before})"))


if __name__ == "__main__":
    if sys.argv[1:2] == ["--child"]:
        targets, logins, middle, deep_index = sys.argv[2:6]
        print(json.dumps(explain_pages(json.loads(targets), json.loads(logins), int(middle), int(deep_index))))
    else:
        main(sys.argv[1:])
