"""`make bench`: Crest under load, measured in one run, reported as ratios.

The machine is shared and noisy, so absolute figures mean little from one
run to the next; ratios of things measured side by side in the same run do.

For SQLite and then PostgreSQL (a throwaway copy of a seeded database):
1. start Crest as production runs it (gunicorn, 2 workers, DJANGO_DEBUG=0,
   after migrate and collectstatic) on the health system's clinic
   (bench/seed.py: 50,000 patients, 8 assignments each, kept between runs);
2. drive it with wrk from a second process on loopback, each URL in turn,
   `BENCH_ROUNDS` rounds of `BENCH_SECONDS` seconds, as a phone asks
   (Accept-Encoding: gzip), every run of a URL paired with a run of
   /healthz right beside it;
3. one table: rps, p50 and p99 per URL, and each with its ratio to
   /healthz (the median of the paired ratios). Public pages must reach
   0.8 x /healthz rps.

Then, once, the offline figures in Chromium: /craving/'s first screen from
the service worker, and every lesson online against offline.

Results also go to bench-results/bench.json.

The clinic rows (`CLINIC_ROWS`: the dashboard, a patient page, the CSV and
a sync batch, target p50 at most 25 x /healthz) are measured too;
BENCH_CLINIC=0 skips them. `python -m bench.explain` prints the PostgreSQL
plans of their queries.
"""

import json
import os
import re
import tempfile
import time
import urllib.request
from dataclasses import replace
from pathlib import Path

from devtools.server import ROOT, running_server

from . import browser, load, proxy_cache, seed

SECONDS = int(os.environ.get("BENCH_SECONDS", "2"))
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "2"))
CONNECTIONS = int(os.environ.get("BENCH_CONNECTIONS", "4"))
BROWSER_ROUNDS = int(os.environ.get("BENCH_BROWSER_ROUNDS", "16"))  # even: both visit orders equally often
MEASURE_CLINIC = os.environ.get("BENCH_CLINIC", "1") != "0"
PUBLIC_TARGET = 0.8  # x /healthz requests per second
CLINIC_P50_TARGET = 25.0  # x /healthz p50
GZIP = {"Accept-Encoding": "gzip"}
NOT_MEASURED = "skipped (BENCH_CLINIC=0)"

PUBLIC_PAGES = ["/", "/lessons/", "/craving/", "/help/", "/offline/", "/serviceworker.js", "/manifest.json"]

# The clinic at scale, with the dashboard's own parameters (clinics.views.dashboard:
# ?show=overdue|not_started, ?q= a part of a label, ?page=, &after=; 25 a page, so page
# 1,000 is the 25,000th patient on, reached by its Next link or typed). {patient_pk} is a patient in the middle
# of the seeded clinic. The CSV is a POST (it writes audit rows), with the
# CSRF token; one connection for it (each export reads every patient, and
# four at once would only measure the queue), for 20 s a run: one export
# takes seconds.
CSV_ROW = load.Target(
    "CSV export (50,000 patients)", "/clinic/export.csv", role="admin", connections=1, lua="post.lua", seconds=20,
    writes=True,
)
CLINIC_ROWS = [
    load.Target("dashboard, first page", "/clinic/", role="clinician"),
    load.Target("dashboard, filter overdue", "/clinic/?show=overdue", role="clinician"),
    load.Target("dashboard, filter not started", "/clinic/?show=not_started", role="clinician"),
    load.Target("dashboard, search", "/clinic/?q=04213", role="clinician"),
    load.Target("dashboard, page 1,000 (Next)", "/clinic/?show=all&page=1000&after={after_pk}", role="clinician"),
    load.Target("dashboard, ?page=1000 typed", "/clinic/?page=1000", role="clinician"),
    load.Target("patient page", "/clinic/patients/{patient_pk}/", role="clinician"),
    CSV_ROW,
    load.Target("POST /api/v1/sync, 50 items", "/api/v1/sync", role="patient", lua="sync.lua", writes=True),
]


HEALTHZ = load.Target(name="/healthz", path="/healthz", headers=GZIP)
# The CSV is not a page: its targets are a constant query count and flat
# memory while it streams (tests/clinics/test_queries.py; peak memory in
# bench/RESULTS-bench.md). Its time is shown, not judged against /healthz.
STREAMED = {CSV_ROW.name}


def public_targets(pages: dict[str, list[str]]) -> list[load.Target]:
    """Every English page, then a sample of the other languages' twins (the
    same code; a row each for the home, a lesson and the toolkit, plus the
    strings script the pages load)."""
    english = pages.pop("en")
    lessons = lesson_urls(english)
    paths = [*PUBLIC_PAGES[:2], *lessons, *PUBLIC_PAGES[2:]]
    for language_pages in pages.values():
        home, lesson = language_pages[0], lesson_urls(language_pages)[0]
        paths += [home, lesson, *[page for page in language_pages if page.endswith(("/craving/", ".js"))]]
    return [load.Target(name=path, path=path, headers=GZIP) for path in paths]


def clinic_targets(server, lesson_slugs: list[str]) -> list[load.Target]:
    """CLINIC_ROWS, signed in (the seeded staff and patient 0 log in through
    the login form) and with the seeded ids filled in."""
    patient_pk, after_pk = server.manage(
        "shell", "-v", "0", "-c",
        "from clinics.models import Patient; "
        f"patients = Patient.objects.filter(clinic__slug='{seed.CLINIC_SLUG}'); "
        f"print(patients.order_by('pk').values_list('pk', flat=True)[{seed.PATIENTS // 2}]); "
        f"print(patients.order_by('label', 'pk').values_list('pk', flat=True)[{seed.DEEP_PAGE_AFTER_INDEX}])",
    ).split()
    cookies = {
        role: load.sign_in(server.url, *seed.BENCH_LOGINS[role], totp_key=seed.BENCH_TOTP_KEY)
        for role in seed.BENCH_LOGINS
    }
    targets = []
    for row in CLINIC_ROWS:
        jar = cookies[row.role]
        targets.append(
            replace(
                row,
                path=row.path.format(patient_pk=patient_pk, after_pk=after_pk),
                headers={**GZIP, "Cookie": "; ".join(f"{k}={v}" for k, v in jar.items())},
                lua_env={"CSRF_TOKEN": jar.get("csrftoken", ""), "LESSON_SLUGS": " ".join(lesson_slugs)},
            )
        )
    return targets


def precached_pages(base_url: str) -> dict[str, list[str]]:
    """Each language's public pages: what the service worker precaches."""
    with urllib.request.urlopen(f"{base_url}/serviceworker.js", timeout=30) as response:
        script = response.read().decode()
    return json.loads(re.search(r"const PRECACHE_PAGES = (\{.*?\});\n", script).group(1))


def lesson_urls(pages: list[str]) -> list[str]:
    return [page for page in pages if re.fullmatch(r"(/[a-z]{2})?/lessons/[^/]+/", page)]


def bench_database(engine: str) -> dict:
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        with seed.seeded_database(engine, tmp) as (database_url, seed_info):
            # As production runs: staff pages need the second factor (the
            # seeded staff sign in with a code, bench.load.sign_in).
            # The API's limits off: one patient's phone sending batches as fast
            # as wrk can is the measurement, not an abuse (docs/security.md).
            extra_env = {
                "DATABASE_URL": database_url, "CREST_SYNC_ITEMS_PER_DAY": "0", "CREST_API_REQUESTS_PER_MINUTE": "0",
            }
            with running_server(tmp, workers=2, extra_env=extra_env) as server:
                # The browser first, on a quiet server.
                offline = browser.offline_timings(server.url, rounds=BROWSER_ROUNDS) if engine == "sqlite" else None
                targets = public_targets(precached_pages(server.url))
                for target in [HEALTHZ, *targets]:
                    load.warm(server.url, target)
                if MEASURE_CLINIC:
                    slugs = [path.strip("/").split("/")[-1] for path in lesson_urls(precached_pages(server.url)["en"])]
                    targets += clinic_targets(server, slugs)
                results = load.measure(
                    server.url, targets, baseline=HEALTHZ, seconds=SECONDS, rounds=ROUNDS, connections=CONNECTIONS
                )
    return {"results": results, "seed": seed_info, "offline": offline}


def table(runs: dict[str, dict]) -> str:
    header = ["database", "what", "rps", "p50 ms", "p99 ms", "rps ÷ /healthz", "p50 ÷ /healthz", "target", ""]
    rows = []
    for engine, run in runs.items():
        results = run["results"]
        for name, result in results.items():
            rps_ratio, p50_ratio = result.rps_ratio, result.p50_ratio
            if name == "/healthz":
                target, verdict = "", ""
            elif name.startswith("/"):
                target, verdict = f"rps ≥ {PUBLIC_TARGET}", "ok" if rps_ratio >= PUBLIC_TARGET else "BELOW"
            elif name in STREAMED:
                target, verdict = "streams", "see note"
            else:
                target, verdict = f"p50 ≤ {CLINIC_P50_TARGET:g}×", "ok" if p50_ratio <= CLINIC_P50_TARGET else "ABOVE"
            if result.errors:
                verdict += f" ({result.errors} errors)"
            rows.append(
                [engine, name, f"{result.rps:.0f}", f"{result.p50_ms:.2f}", f"{result.p99_ms:.2f}",
                 f"{rps_ratio:.2f}", f"{p50_ratio:.2f}", target, verdict]
            )
        for row in CLINIC_ROWS:
            if row.name not in results:
                rows.append([engine, row.name, NOT_MEASURED, "", "", "", "", f"p50 ≤ {CLINIC_P50_TARGET:g}×", ""])
    widths = [max(len(str(row[i])) for row in [header, *rows]) for i in range(len(header))]
    lines = [
        " | ".join(str(cell).ljust(width) for cell, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *rows]
    ]
    lines.insert(1, "-+-".join("-" * width for width in widths))
    return "\n".join(lines)


def streamed_note() -> str:
    return (
        "CSV (\"streams\"): not judged against /healthz; its targets are a constant query count and flat memory "
        "as it streams (tests/clinics/test_queries.py, bench/RESULTS-bench.md)."
    )


def offline_report(offline: dict) -> str:
    paint = offline["craving_offline_paint_ms"]
    lines = [
        f"/craving/ offline, from the service worker: first screen (first paint) {paint:.0f} ms "
        f"[{'ok' if paint < 100 else 'ABOVE'}: target < 100 ms], ready {offline['craving_offline_ready_ms']:.0f} ms",
        "  lesson (medians; ready = DOMContentLoaded,      ready            offline − online         HTML",
        "  differences: median of paired visits)      online  offline    ready  first paint    online  offline",
    ]
    slower = []
    for path, t in offline["lessons"].items():
        ready_difference = t["offline_minus_online_ready_ms"]
        lines.append(
            f"  {path:<40} {t['online_ready_ms']:5.0f} ms {t['offline_ready_ms']:5.0f} ms {ready_difference:6.1f} ms"
            f" {t['offline_minus_online_paint_ms']:8.1f} ms {t['online_document_ms']:6.0f} ms"
            f" {t['offline_document_ms']:5.0f} ms"
        )
        if ready_difference >= 0:
            slower.append(path)
    lines.append(
        "every lesson offline faster than online (ready, median of paired visits on this machine's loopback): "
        + ("yes" if not slower else f"NO ({', '.join(slower)})")
    )
    return "\n".join(lines)


def seed_report(runs: dict[str, dict]) -> str:
    parts = []
    for engine, run in runs.items():
        info = run["seed"]
        state = "cached, built" if info.get("cached") else "built"
        parts.append(
            f"{engine}: {info['patients']:,} patients, {info['assignments']:,} assignments, "
            f"{info['progress']:,} progress rows; "
            f"seeding {info['seconds']} s (+ migrate {info['migrate_seconds']} s), {state} {info['built']}"
        )
    return "\n".join(parts)


def main() -> None:
    started = time.monotonic()
    runs = {engine: bench_database(engine) for engine in ("sqlite", "postgresql")}
    offline = runs["sqlite"]["offline"]
    print()
    print(table(runs))
    print(streamed_note())
    print()
    print(offline_report(offline))
    print()
    print("50,000-patient clinic (bench/seed.py):")
    print(seed_report(runs))
    print("\nPublic pages through nginx's cache (bench/proxy_cache.py, two-server topology):")
    proxy_cache.main()
    print(f"\n(bench took {time.monotonic() - started:.0f} s; {ROUNDS} rounds of {SECONDS} s per URL, each beside "
          f"{SECONDS} s of /healthz; {CONNECTIONS} connections; gunicorn 2 workers)")

    out = ROOT / "bench-results"
    out.mkdir(exist_ok=True)
    serialisable = {
        engine: {
            "results": {name: vars(result) for name, result in run["results"].items()},
            "seed": run["seed"],
        }
        for engine, run in runs.items()
    }
    serialisable["offline"] = offline
    (out / "bench.json").write_text(json.dumps(serialisable, indent=2))


if __name__ == "__main__":
    main()
