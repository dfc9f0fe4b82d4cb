"""Two gunicorn servers behind nginx (TLS), one PostgreSQL database: through
the proxy, everything behaves as with one server. nginx's access log names
the app server (upstream=host:port) of every request, which proves that
consecutive requests went to different servers.

nginx listens on 127.0.0.1; a client can connect from any 127.x.y.z address,
so "different people" here are different loopback addresses."""

import re
import secrets
import threading
import time
import uuid
from datetime import UTC, datetime

import psycopg
import pytest

from bench.client import Browser, tls_context
from bench.loadtest import drop_postgres_connections
from bench.topology import upstreams

pytestmark = pytest.mark.deploy

PASSWORD = "through-the-proxy-2026"


def browser(stack, source_ip: str | None = None) -> Browser:
    return Browser(stack.url, ssl_context=tls_context(str(stack.ca_file)), source_ip=source_ip)


@pytest.fixture(autouse=True)
def both_servers_in_rotation(stack):
    """nginx skips a server for 5 s after it refused a connection (another
    test may just have killed or restarted one): wait until two requests in
    a row go to different servers again, so these tests see the rotation."""
    client = browser(stack)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        log = AccessLog(stack)
        client.get("/healthz")
        client.get("/healthz")
        if len(set(log.upstreams(2)[:2])) == 2:
            return
        time.sleep(1)
    pytest.fail("nginx did not send requests to both servers again within 30 s")


class AccessLog:
    """The lines nginx writes from now on."""

    def __init__(self, stack) -> None:
        self.stack = stack
        self.start = len(stack.access_log_lines())

    def lines(self, count: int) -> list[str]:
        deadline = time.monotonic() + 5
        while True:
            lines = self.stack.access_log_lines()[self.start:]
            if len(lines) >= count or time.monotonic() > deadline:
                return lines

    def upstreams(self, count: int) -> list[str]:
        return upstreams(self.lines(count))


def test_health_check_service_worker_and_static_files_are_the_same_from_both_servers(stack):
    client = browser(stack)
    log = AccessLog(stack)
    health = [client.get("/healthz") for _ in range(2)]
    workers = [client.get("/serviceworker.js") for _ in range(2)]
    served_by = log.upstreams(4)
    assert {s.address for s in stack.servers} == set(served_by[:2]) == set(served_by[2:])

    assert [r.status for r in health] == [200, 200] and health[0].json() == {"status": "ok"}
    assert [r.status for r in workers] == [200, 200]
    assert workers[0].headers["Content-Type"].startswith("application/javascript")
    # Same version and precache list from both: nothing in it is per-process.
    assert workers[0].body == workers[1].body
    static = re.search(r'"(/static/[^"]+\.css)"', workers[0].text)[1]
    assert client.get(static).status == 200
    # Plain HTTP is sent to HTTPS.
    plain = Browser(stack.http_url).get("/")
    assert plain.status == 301 and plain.headers["Location"].startswith("https://")


def test_sign_in_csrf_and_session_hold_across_both_servers(stack):
    (username,) = stack.create_patients(f"proxy-{secrets.token_hex(3)}", 1, PASSWORD)
    client = browser(stack)
    log = AccessLog(stack)
    signed_in = client.sign_in(username, PASSWORD)
    assert signed_in.status == 302, signed_in.text[:500]
    assert "sessionid" in client.cookies
    # The CSRF token came from one server and was accepted by the other.
    form_server, post_server = log.upstreams(2)[:2]
    assert form_server != post_server

    log = AccessLog(stack)
    pages = [client.get("/me/") for _ in range(4)]
    assert len(set(log.upstreams(4))) == 2
    for page in pages:
        assert page.status == 200 and f"Signed in as <strong>{username}</strong>" in page.text

    # CSRF is enforced on both servers: no token, a token that does not match
    # the cookie, or a form posted from another site is refused.
    log = AccessLog(stack)
    credentials = {"username": username, "password": PASSWORD}
    no_cookie = browser(stack).post_form("/accounts/login/", credentials)
    mismatched = browser(stack)
    mismatched.cookies["csrftoken"] = "x" * 32
    wrong_token = mismatched.post_form("/accounts/login/", {**credentials, "csrfmiddlewaretoken": "y" * 32})
    other_site = browser(stack)
    other_site.get("/accounts/login/")
    cross_origin = other_site.request(
        "POST", "/accounts/login/",
        body=f"csrfmiddlewaretoken={other_site.cookies['csrftoken']}&username={username}&password={PASSWORD}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "Origin": "https://elsewhere.example"},
    )
    assert [no_cookie.status, wrong_token.status, cross_origin.status] == [403, 403, 403]
    assert len(set(log.upstreams(4))) == 2


def test_login_throttling_counts_the_address_that_connected_to_the_proxy(stack):
    (username,) = stack.create_patients(f"throttle-{secrets.token_hex(3)}", 1, PASSWORD)
    attacker = browser(stack, source_ip="127.0.0.2")
    log = AccessLog(stack)
    statuses = []
    for _ in range(12):
        statuses.append(attacker.sign_in(username, "wrong-password").status)
        if statuses[-1] == 429:
            break
    assert statuses[-1] == 429, statuses
    assert len(set(log.upstreams(2 * len(statuses)))) == 2  # the failures were counted across both servers

    # Locked from that address, whatever it writes in X-Forwarded-For...
    assert attacker.sign_in(username, PASSWORD).status == 429
    forged = browser(stack, source_ip="127.0.0.2")
    forged.get("/accounts/login/")
    forged_post = forged.request(
        "POST", "/accounts/login/",
        body=f"csrfmiddlewaretoken={forged.cookies['csrftoken']}&username={username}&password={PASSWORD}".encode(),
        headers={"Content-Type": "application/x-www-form-urlencoded", "X-Forwarded-For": "127.0.0.9"},
    )
    assert forged_post.status == 429
    # ...while the same person on another address is not locked out.
    assert browser(stack, source_ip="127.0.0.3").sign_in(username, PASSWORD).status == 302

    with psycopg.connect(stack.database_url) as conn:
        query = "SELECT ip_address FROM axes_accessattempt WHERE username = %s"
        addresses = {str(row[0]) for row in conn.execute(query, [username])}
    assert addresses == {"127.0.0.2"}  # not nginx's 127.0.0.1, not the forged 127.0.0.9


def test_dropped_database_connections_answer_503_to_retry_never_500(stack):
    (username,) = stack.create_patients(f"dbdrop-{secrets.token_hex(3)}", 1, PASSWORD)
    client = browser(stack)
    assert client.sign_in(username, PASSWORD).status == 302
    report = []
    dropping = threading.Thread(target=lambda: report.append(drop_postgres_connections(stack.database_url, 2.0)))
    statuses = []
    dropping.start()
    while dropping.is_alive():
        statuses.append(client.get("/me/").status)
    dropping.join()
    assert not report[0].startswith("terminated 0 "), report  # the fault happened
    assert set(statuses) <= {200, 503}, statuses
    assert client.get("/me/").status == 200  # and back at once, on both servers
    assert client.get("/me/").status == 200


def test_staff_two_factor_sign_in_through_the_proxy(stack):
    # TODO(issue 8, after merge): a clinic admin made with create_clinic sets a
    # password through its link on one server, enrols TOTP (django-otp) on the
    # other, signs out, signs in again with password + TOTP code across both
    # servers, and opens /clinic/ only after the second factor. Run the stack
    # with DJANGO_STAFF_MFA on (its default). Do not fake the factor.
    pytest.skip("TODO(issue 8): two-factor staff sign-in is built on another branch; add it here after the merge")


def test_sync_batch_is_stored_once_whichever_server_answers(stack):
    client = browser(stack)
    if client.post_json("/api/v1/sync", {"items": []}).status == 404:
        pytest.skip("TODO(issue 9): POST /api/v1/sync answers 404 on this branch; this test runs once it exists")
    (username,) = stack.create_patients(f"sync-{secrets.token_hex(3)}", 1, PASSWORD)
    assert client.sign_in(username, PASSWORD).status == 302
    item = {
        "id": str(uuid.uuid4()),
        "type": "lesson.completed",
        "at": datetime.now(UTC).isoformat(),
        "lesson": stack.course_slugs()[0],
        "score": None,
        "total": None,
    }
    log = AccessLog(stack)
    first = client.post_json("/api/v1/sync", {"items": [item]})
    again = client.post_json("/api/v1/sync", {"items": [item]})
    assert len(set(log.upstreams(2))) == 2
    assert first.status == 200 and again.status == 200, (first.text, again.text)
    assert [r["status"] for r in first.json()["results"]] == ["stored"]
    assert [r["status"] for r in again.json()["results"]] == ["duplicate"]
