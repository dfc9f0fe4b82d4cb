"""Public pages through nginx's cache (deploy/nginx.conf, docs/speed.md): a
public page is answered by nginx from the second request on; English,
Spanish and the language redirect of a plain URL never mix; a request with
a session is never answered from the cache and nothing personal is ever
stored in it; pages are served stale when both app servers are down; and a
surge of new phones precaching makes at most one request upstream per URL."""

import gzip
import json
import re
import secrets
import threading
import time
from pathlib import Path

import pytest

from bench.client import Browser, tls_context
from tests.deploy.test_topology import time_step, totp_at

pytestmark = pytest.mark.deploy

PASSWORD = "through-the-cache-2026"
# What the service worker's fetches look like: not a navigation.
SCRIPT = {"Sec-Fetch-Mode": "cors", "Accept": "*/*"}
NAVIGATION = {"Sec-Fetch-Mode": "navigate", "Accept": "text/html"}


def browser(stack) -> Browser:
    return Browser(stack.url, ssl_context=tls_context(str(stack.ca_file)))


def get(client: Browser, path: str, **headers):
    return client.request("GET", path, headers=headers)


def cache_status(response) -> str:
    return response.headers.get("X-Cache-Status", "")


def cached_bodies(stack) -> list[bytes]:
    """Every response nginx keeps, headers and body (unzipped)."""
    kept = []
    for path in Path(stack.folder, "cache").rglob("*"):
        if not path.is_file():
            continue
        data = path.read_bytes()
        head, _, body = data.partition(b"\r\n\r\n")
        if b"content-encoding: gzip" in head.lower():
            body = gzip.decompress(body)
        kept.append(head + b"\r\n\r\n" + body)
    return kept


def test_a_public_lesson_is_a_hit_the_second_time_and_revalidated_by_browsers(stack):
    lesson = f"/lessons/{stack.course_slugs()[0]}/"
    client = browser(stack)
    first, second = get(client, lesson, **SCRIPT), get(client, lesson, **SCRIPT)
    assert first.status == second.status == 200 and first.body == second.body
    assert cache_status(second) == "HIT"
    # The browser keeps nothing fresh: the phone's worker keeps pages offline.
    assert second.headers["Cache-Control"] == "public, no-cache"
    assert second.headers["ETag"] and second.headers["Last-Modified"]
    # A worker's update asks with the ETag of its copy: nginx answers 304 from its cache.
    again = get(client, lesson, **SCRIPT, **{"If-None-Match": second.headers["ETag"]})
    assert again.status == 304 and cache_status(again) == "HIT" and not again.body
    gzip_headers = {**SCRIPT, "Accept-Encoding": "gzip"}  # as a phone asks: a weak ETag, compared weakly
    get(client, lesson, **gzip_headers)
    zipped = get(client, lesson, **gzip_headers)
    again = get(client, lesson, **gzip_headers, **{"If-None-Match": zipped.headers["ETag"]})
    assert again.status == 304 and cache_status(again) == "HIT" and not again.body


def test_english_spanish_and_the_language_redirect_are_never_mixed(stack):
    client = browser(stack)
    for _ in range(2):  # the second round comes from the cache where it may
        english = get(client, "/craving/", **NAVIGATION, **{"Accept-Language": "en"})
        redirected = get(client, "/craving/", **NAVIGATION, **{"Accept-Language": "es-MX,es;q=0.9"})
        by_cookie = get(client, "/craving/", **NAVIGATION, Cookie="django_language=es")
        english_by_cookie = get(
            client, "/craving/", **NAVIGATION, Cookie="django_language=en", **{"Accept-Language": "es"}
        )
        worker = get(client, "/craving/", **SCRIPT, **{"Accept-Language": "es"})
        spanish = get(client, "/es/craving/", **NAVIGATION, **{"Accept-Language": "en"})
        assert english.status == 200 and 'lang="en"' in english.text
        assert redirected.status == 302 and redirected.headers["Location"] == "/es/craving/"
        assert cache_status(redirected) != "HIT"
        assert by_cookie.status == 302 and by_cookie.headers["Location"] == "/es/craving/"
        assert english_by_cookie.status == 200 and 'lang="en"' in english_by_cookie.text
        # The worker's precache asks for the plain URL: English, whatever the browser prefers.
        assert worker.status == 200 and 'lang="en"' in worker.text
        assert spanish.status == 200 and 'lang="es"' in spanish.text
    assert cache_status(english) == cache_status(spanish) == "HIT"


def sign_in_staff(stack) -> tuple[Browser, str, str]:
    """A clinic admin signed in all the way (password and authenticator app)."""
    suffix = secrets.token_hex(3)
    username, passphrase, clinic = f"cache-admin-{suffix}", f"maple-harbor-copper-{suffix}", f"Cache Clinic {suffix}"
    printed = stack.manage("create_clinic", clinic, "--admin", username, "--time-zone", "Europe/Lisbon")
    link = printed.strip().splitlines()[-1]
    staff = browser(stack)
    form_path = staff.get(link).headers["Location"]
    staff.get(form_path)
    assert staff.post_form(form_path, {"new_password1": passphrase, "new_password2": passphrase}).status == 302
    setup = staff.get("/accounts/two-factor/setup/?next=%2Fclinic%2F")
    key = re.search(r"data-totp-key>([A-Z2-7 ]+)<", setup.text)[1]
    staff.post_form("/accounts/two-factor/setup/", {"code": totp_at(key, time_step()), "next": "/clinic/"})
    assert staff.get("/clinic/").status == 200
    return staff, username, clinic


def test_signed_in_people_are_never_answered_from_the_cache_and_nothing_personal_is_kept(stack):
    (patient_name,) = stack.create_patients(f"cache-{secrets.token_hex(3)}", 1, PASSWORD)
    patient = browser(stack)
    assert patient.sign_in(patient_name, PASSWORD).status == 302
    staff, staff_name, clinic_name = sign_in_staff(stack)
    lesson = f"/lessons/{stack.course_slugs()[0]}/"
    public = ["/", "/es/", "/lessons/", lesson, "/craving/", "/help/", "/es/help/", "/offline/", "/manifest.json"]
    for person in (patient, staff):
        assert "sessionid" in person.cookies
        for path in [*public, "/me/", "/clinic/", "/me/sharing/"]:
            response = person.get(path)
            assert cache_status(response) == "BYPASS", (path, response.status)
    # The same pages anonymously: now they are kept.
    anonymous = browser(stack)
    for path in public:
        get(anonymous, path, **SCRIPT)
    assert cache_status(get(anonymous, "/help/", **SCRIPT)) == "HIT"
    kept = cached_bodies(stack)
    assert kept
    csrf = {patient.cookies.get("csrftoken", "-"), staff.cookies.get("csrftoken", "-")}
    for body in kept:
        for secret in (patient_name, patient_name.upper(), staff_name, clinic_name, "Load Test Clinic", *csrf):
            assert secret.encode() not in body
        assert b"csrfmiddlewaretoken" not in body and b"set-cookie" not in body.lower()


def test_public_pages_are_served_when_both_servers_are_down(stack):
    client = browser(stack)
    get(client, "/help/", **SCRIPT)
    for server in stack.servers:
        server.stop()
    try:
        down = get(client, "/help/", **SCRIPT)
        # Fresh (HIT) within the s-maxage, STALE after it: both without Python.
        assert down.status == 200 and cache_status(down) in ("HIT", "STALE") and "Help" in down.text
        assert get(client, "/me/").status == 502
    finally:
        for server in stack.servers:
            server.start()
        # nginx takes a server that failed as down for its fail_timeout (5 s,
        # deploy/nginx.conf): the tests after this one need it back.
        deadline = time.monotonic() + 15
        while get(client, "/healthz").status != 200 and time.monotonic() < deadline:
            time.sleep(0.2)


def precache_list(stack) -> list[str]:
    worker = get(browser(stack), "/serviceworker.js", **SCRIPT).text
    pages = json.loads(re.search(r"const PRECACHE_PAGES = (.*);", worker)[1])
    return sorted({path for paths in pages.values() for path in paths})


def upstream_requests(stack, start: list[int]) -> list[str]:
    """The request paths the app servers logged since `start` (line counts)."""
    paths = []
    for server, skip in zip(stack.servers, start, strict=True):
        lines = server.log_path.read_text(errors="replace").splitlines()[skip:]
        paths += [m[1] for line in lines if (m := re.search(r'"GET (\S+) HTTP', line))]
    return paths


def test_a_surge_of_new_phones_makes_at_most_one_upstream_request_per_page(stack):
    urls = precache_list(stack)
    assert "/" in urls and "/es/" in urls and len(urls) > 10
    start = [len(server.log_path.read_text(errors="replace").splitlines()) for server in stack.servers]
    failures = []

    def phone() -> None:
        client = browser(stack)
        for url in urls:
            response = get(client, url, **SCRIPT, **{"Accept-Language": "es-ES,es;q=0.9", "Accept-Encoding": "gzip"})
            if response.status != 200:
                failures.append((url, response.status))

    phones = [threading.Thread(target=phone) for _ in range(20)]
    for thread in phones:
        thread.start()
    for thread in phones:
        thread.join()
    assert not failures
    upstream = upstream_requests(stack, start)
    assert all(upstream.count(url) <= 1 for url in urls), sorted(upstream)


def test_the_bench_can_empty_the_cache_as_a_first_deploy_has_it(stack):
    """bench/proxy_cache.py repeats the cold surge: each on a cache emptied
    by Topology.empty_proxy_cache (nginx stopped, its folder emptied, started)."""
    client = browser(stack)
    get(client, "/help/", **SCRIPT)
    assert cache_status(get(client, "/help/", **SCRIPT)) == "HIT"
    stack.empty_proxy_cache()
    client = browser(stack)  # the old connection went with the old nginx
    assert cache_status(get(client, "/help/", **SCRIPT)) == "MISS"
    assert cache_status(get(client, "/help/", **SCRIPT)) == "HIT"
