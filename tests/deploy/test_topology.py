"""Two gunicorn servers behind nginx (TLS), one PostgreSQL database: through
the proxy, everything behaves as with one server. nginx's access log names
the app server (upstream=host:port) of every request, which proves that
consecutive requests went to different servers.

nginx listens on 127.0.0.1; a client can connect from any 127.x.y.z address,
so "different people" here are different loopback addresses."""

import hashlib
import hmac
import re
import secrets
import struct
import threading
import time
import uuid
from base64 import b32decode
from datetime import UTC, datetime
from urllib.parse import quote

import pytest
from django.conf import settings

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
    # With a query string the worker is not a public page nginx keeps
    # (docs/speed.md), so both requests reach an app server.
    workers = [client.get(f"/serviceworker.js?from={n}") for n in range(2)]
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


def start_early_in_a_login_window(margin: float = 60) -> None:
    """Failed sign-ins are counted in fixed windows on the clock
    (LOGIN_WINDOW_SECONDS: :00, :15, :30, :45; accounts/throttle.py). A test
    whose failures and checks straddle a window's end sees the counts start
    afresh halfway (a lockout that ends too early), the likelier the slower
    the machine: begin with at least `margin` seconds of the window left."""
    length = settings.LOGIN_WINDOW_SECONDS
    left = length - time.time() % length
    if left < margin:
        time.sleep(left + 0.5)


def test_login_throttling_counts_the_address_that_connected_to_the_proxy(stack):
    (username,) = stack.create_patients(f"throttle-{secrets.token_hex(3)}", 1, PASSWORD)
    start_early_in_a_login_window()
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
    # ...while the same person on another address (not nginx's 127.0.0.1,
    # which every request comes through) is not locked out.
    assert browser(stack, source_ip="127.0.0.3").sign_in(username, PASSWORD).status == 302


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


def totp_at(key: str, step: int) -> str:
    """What an authenticator app shows in 30-second time step `step` for the
    key a person typed in (base32, spaces allowed): RFC 6238 (HMAC-SHA1, six
    digits), from the standard library, independent of the server's code."""
    key = key.replace(" ", "").upper()
    digest = hmac.new(b32decode(key + "=" * (-len(key) % 8)), struct.pack(">Q", step), hashlib.sha1).digest()
    offset = digest[-1] & 0x0F
    return f"{(int.from_bytes(digest[offset:offset + 4], 'big') & 0x7FFFFFFF) % 1_000_000:06d}"


def time_step() -> int:
    return int(time.time() // 30)


class TracedBrowser(Browser):
    """One person's browser, alone on the proxy, whose requests are matched in
    order with nginx's access log lines: which server answered each, and a
    way to send the next request to a chosen one. nginx alternates between
    the two servers (round robin), so the next request goes to the server
    that did not answer the last."""

    def __post_init__(self) -> None:
        super().__post_init__()
        self.log: AccessLog | None = None
        self.sent = 0

    def trace(self, stack) -> None:
        self.log, self.sent = AccessLog(stack), 0

    def request(self, method, path, **kwargs):
        self.sent += 1
        return super().request(method, path, **kwargs)

    def server_of(self, index: int) -> str:
        """The app server that answered request `index` (-1: the last) since trace()."""
        return self.log.upstreams(self.sent)[index]

    def next_to(self, address: str) -> None:
        """Make the next request go to the server at `address`."""
        if not self.sent:
            self.get("/healthz")
        if self.server_of(-1) == address:
            self.get("/healthz")
        assert self.server_of(-1) != address


def two_factor_path(next_path: str = "/clinic/") -> str:
    return f"/accounts/two-factor/?next={quote(next_path, safe='')}"


def test_staff_two_factor_sign_in_through_the_proxy(stack):
    """A clinic admin made with create_clinic, with DJANGO_STAFF_MFA on (its
    default): sets a password through the printed link, connects an
    authenticator app, signs out and in again with password and a code, each
    step's requests spread over both servers; /clinic/ opens only after the
    second step, and a recovery code or an app code works once, whichever
    server it reaches."""
    assert "DJANGO_STAFF_MFA" not in stack.env  # the default: on
    suffix = secrets.token_hex(3)
    username, passphrase = f"admin-{suffix}", f"river-lantern-copper-{suffix}"
    printed = stack.manage(
        "create_clinic", f"Proxy Clinic {suffix}", "--admin", username, "--time-zone", "Europe/Lisbon"
    )
    link = printed.strip().splitlines()[-1]
    assert re.fullmatch(r"/accounts/set-password/[\w-]+/[\w-]+/", link), printed
    one, two = (server.address for server in stack.servers)
    staff = TracedBrowser(stack.url, ssl_context=tls_context(str(stack.ca_file)))
    staff.trace(stack)

    # 1. The link is opened on one server (the token moves into the session)
    # and the password set on the other.
    staff.next_to(one)
    opened = staff.get(link)
    assert opened.status == 302 and staff.server_of(-1) == one, opened.text[:300]
    form = staff.get(opened.headers["Location"])
    assert form.status == 200 and "Set your password" in form.text, form.text[:500]
    staff.next_to(two)
    password_set = staff.post_form(
        opened.headers["Location"], {"new_password1": passphrase, "new_password2": passphrase}
    )
    assert password_set.status == 302, password_set.text[:1000]
    assert password_set.headers["Location"] == "/accounts/set-password/done/"
    assert staff.server_of(-1) == two

    # 2. Signed in by the link, but no clinic page opens before the second
    # step: the first one is connecting an authenticator app.
    assert staff.get("/clinic/").headers["Location"] == two_factor_path()
    assert staff.get(two_factor_path()).headers["Location"] == "/accounts/two-factor/setup/?next=%2Fclinic%2F"
    staff.next_to(one)
    setup = staff.get("/accounts/two-factor/setup/?next=%2Fclinic%2F")
    assert setup.status == 200 and staff.server_of(-1) == one
    key = re.search(r"data-totp-key>([A-Z2-7 ]+)<", setup.text)[1]
    enrolled_at = time_step()
    # The key lives in the session: the other server checks the app's code.
    staff.next_to(two)
    turned_on = staff.post_form("/accounts/two-factor/setup/", {"code": totp_at(key, enrolled_at), "next": "/clinic/"})
    assert turned_on.status == 200 and staff.server_of(-1) == two, turned_on.text[:1000]
    recovery_codes = re.findall(r"<li><code>(\w+)</code></li>", turned_on.text)
    assert len(recovery_codes) == 10 and "data-recovery-codes" in turned_on.text
    clinic = [staff.get("/clinic/") for _ in range(2)]
    assert [r.status for r in clinic] == [200, 200] and {staff.server_of(-2), staff.server_of(-1)} == {one, two}

    # 3. Signed out, /clinic/ is closed again.
    assert staff.post_form("/accounts/logout/", {}).status == 302
    assert staff.get("/clinic/").headers["Location"].startswith("/accounts/login/")

    def sign_in_with_password() -> None:
        signed_in = staff.sign_in(username, passphrase)
        assert signed_in.status == 302 and signed_in.headers["Location"] == "/clinic/", signed_in.text[:500]
        # A password alone opens no clinic page, account page or the admin,
        # on either server, and cannot connect another app.
        for path in ("/clinic/", "/me/", "/clinic/", "/admin/"):
            answer = staff.get(path)
            assert answer.status == 302 and answer.headers["Location"] == two_factor_path(path), (path, answer.status)
        assert {staff.server_of(i) for i in range(-4, 0)} == {one, two}
        assert staff.get("/accounts/two-factor/setup/").headers["Location"].startswith("/accounts/two-factor/?")

    def second_step(code: str, server: str):
        staff.next_to(server)
        answer = staff.post_form("/accounts/two-factor/", {"code": code, "next": "/clinic/"})
        assert staff.server_of(-1) == server
        return answer

    def refused(answer) -> bool:
        return answer.status == 200 and "That code did not work" in answer.text

    # 4. Password, then a recovery code on one server: in.
    sign_in_with_password()
    answer = second_step(recovery_codes[0], one)
    assert answer.status == 302 and answer.headers["Location"] == "/clinic/", answer.text[:1000]
    assert staff.get("/clinic/").status == 200
    me = staff.get("/me/")
    assert me.status == 200 and "You have 9 recovery codes left." in me.text

    # 5. The same recovery code again, on the other server: refused.
    assert staff.post_form("/accounts/logout/", {}).status == 302
    sign_in_with_password()
    assert refused(second_step(recovery_codes[0], two))
    assert staff.get("/clinic/").headers["Location"] == two_factor_path()

    # 6. Still at the second step, the app's code: the one after the time
    # step used to connect the app (a code works once), from a phone whose
    # clock runs a little ahead (the server accepts one step either side).
    code = totp_at(key, enrolled_at + 1)
    answer = second_step(code, one)
    assert answer.status == 302 and answer.headers["Location"] == "/clinic/", answer.text[:1000]
    clinic = [staff.get("/clinic/") for _ in range(2)]
    assert [r.status for r in clinic] == [200, 200] and {staff.server_of(-2), staff.server_of(-1)} == {one, two}
    assert all(f"Proxy Clinic {suffix}" in page.text for page in clinic)

    # 7. That app code again, on the other server: refused.
    assert staff.post_form("/accounts/logout/", {}).status == 302
    sign_in_with_password()
    assert refused(second_step(code, two))
    assert staff.get("/clinic/").headers["Location"] == two_factor_path()


def test_sync_batch_is_stored_once_whichever_server_answers(stack):
    client = browser(stack)
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
