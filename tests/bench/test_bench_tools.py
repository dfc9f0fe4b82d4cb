"""The benchmark's own tools: the wrk report parser and the 50,000-patient
seed (run small here, so a model change that breaks it fails the suite)."""

import pytest
from django_otp.plugins.otp_totp.models import TOTPDevice

from bench import load, seed
from clinics.models import Assignment, Clinic, LessonProgress, Membership, Patient

WRK_OUTPUT = """Running 3s test @ http://127.0.0.1:8000/help/
  1 threads and 4 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency     1.20ms  600.00us  12.00ms   90.00%
    Req/Sec     3.30k   200.00     3.60k    70.00%
  Latency Distribution
     50%  850.00us
     75%    1.10ms
     90%    1.50ms
     99%    4.20ms
  9900 requests in 3.00s, 40.00MB read
  Socket errors: connect 0, read 12, write 0, timeout 1
  Non-2xx or 3xx responses: 2
Requests/sec:   3300.50
Transfer/sec:     13.33MB
"""


def test_wrk_report_is_read_in_milliseconds_with_lost_requests_counted():
    result = load.parse_wrk(WRK_OUTPUT)
    assert result.rps == 3300.50
    assert result.p50_ms == pytest.approx(0.85) and result.p99_ms == pytest.approx(4.2)
    # read errors are gunicorn closing each connection; timeouts and non-2xx are lost requests
    assert result.errors == 3


@pytest.mark.django_db
def test_the_seed_makes_a_clinic_of_patients_with_eight_assignments_each(monkeypatch):
    monkeypatch.setattr(seed, "PATIENTS", 30)
    monkeypatch.setattr(seed, "BATCH", 12)
    counts = seed.seed()
    clinic = Clinic.objects.get(slug=seed.CLINIC_SLUG)
    assert counts["patients"] == Patient.objects.filter(clinic=clinic).count() == 30
    assignments = Assignment.objects.filter(patient__clinic=clinic).count()
    assert counts["assignments"] == assignments == 30 * seed.ASSIGNMENTS_EACH
    progress = LessonProgress.objects.filter(patient__clinic=clinic).count()
    assert counts["progress"] == progress == sum(i % 9 for i in range(30))
    assert set(Membership.objects.filter(clinic=clinic).values_list("role", flat=True)) == {"admin", "clinician"}
    assert Patient.objects.filter(clinic=clinic, assigned_count=seed.ASSIGNMENTS_EACH).count() == 30
    assert Patient.objects.filter(clinic=clinic, done_count__gt=0).exists()
    patient_zero = Patient.objects.get(user__username=seed.BENCH_LOGINS["patient"][0])
    assert patient_zero.user.check_password(seed.BENCH_LOGINS["patient"][1])
    assert not Patient.objects.get(label=seed._label(1)).user.has_usable_password()
    # Staff sign in as in production, with a code from their authenticator,
    # which the bench computes from the seeded key.
    for role in ("admin", "clinician"):
        device = TOTPDevice.objects.get(user__username=seed.BENCH_LOGINS[role][0], confirmed=True)
        assert device.verify_token(load.totp_code(seed.BENCH_TOTP_KEY))


def test_the_bench_computes_the_codes_an_authenticator_app_shows():
    """RFC 6238's own SHA-1 test vector (its key is the ASCII "12345678901234567890"; eight digits)."""
    key = b"12345678901234567890".hex()
    assert load.totp_code(key, now=59, digits=8) == "94287082"
    assert load.totp_code(key, now=1111111109, digits=8) == "07081804"


def test_targets_that_write_in_bulk_are_measured_after_every_round_of_the_others(monkeypatch):
    """No page is timed while the database digests a CSV's audit rows or
    a run of sync batches (each round pairs a target with /healthz)."""
    order = []

    def fake_wrk(base_url, target, *, seconds, connections):
        order.append(target.name)
        return load.Result(rps=100.0, p50_ms=1.0, p99_ms=2.0, errors=0)

    monkeypatch.setattr(load, "run_wrk", fake_wrk)
    targets = [load.Target("page", "/p"), load.Target("csv", "/c", writes=True), load.Target("other", "/o")]
    load.measure("http://x", targets, baseline=load.Target("/healthz", "/healthz"), seconds=1, rounds=2, connections=1)
    measured = [name for name in order if name != "/healthz"]
    assert measured == ["page", "other", "page", "other", "csv", "csv"]
    assert order.count("/healthz") == 6


def test_the_stale_surge_waits_past_the_public_pages_s_maxage():
    """The bench's second surge is meant to find every page in nginx's cache
    past its s-maxage; a longer s-maxage would quietly make it a warm one."""
    from bench import proxy_cache
    from offline.page_cache import SHARED_SECONDS

    assert SHARED_SECONDS < proxy_cache.STALE_AFTER_S <= SHARED_SECONDS + 30


def test_the_surges_phones_run_only_on_cpu_time_no_server_wants(monkeypatch):
    """The phones are other people's devices. At nice 19 they still held a
    core for a time slice whenever a hop of the dashboard's request woke, and
    the surge's dashboard p95 measured their client work as well as the
    servers' (2.67 x on a stale cache in one run, against 1.4 to 1.7 x with
    SCHED_IDLE on the same machine)."""
    import multiprocessing
    import os

    from bench import proxy_cache

    monkeypatch.setattr(proxy_cache, "PHONES", 0)
    fork = multiprocessing.get_context("fork")
    policy, failures = fork.Value("i", -1), fork.Value("i", 0)

    def phones_then_report() -> None:
        proxy_cache._phones("https://127.0.0.1:9", None, [], failures)
        policy.value = os.sched_getscheduler(0)

    process = fork.Process(target=phones_then_report)
    process.start()
    process.join(30)
    assert process.exitcode == 0
    assert policy.value == os.SCHED_IDLE


def test_each_surge_phone_precaches_its_own_languages_pages_as_the_worker_does():
    """A new phone's worker precaches one language's pages. Every phone of
    the surge once fetched every language's (41 URLs where a phone asks for
    about 20): twice the requests of 50 real new phones."""
    from bench import proxy_cache

    pages = {"en": ["/", "/craving/"], "es": ["/es/", "/es/craving/", "/es/jsi18n.js"]}
    lists = proxy_cache.phone_lists(pages)
    assert len(lists) == proxy_cache.PHONES
    assert all(urls in (pages["en"], pages["es"]) for urls in lists)
    assert sum(urls == pages["en"] for urls in lists) == proxy_cache.PHONES // 2


def test_the_deep_page_row_starts_after_the_last_patient_of_page_999():
    from bench import seed
    from clinics.paging import PAGE_SIZE

    assert seed.DEEP_PAGE_AFTER_INDEX == 999 * PAGE_SIZE - 1
