"""Against a real server, as production runs it (gunicorn with
ops/gunicorn.conf.py, two workers, DJANGO_DEBUG=0): what it writes to its
logs, and whose address a sign-in counts under."""

import re
import secrets
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar

import pytest

from devtools.server import running_server

pytestmark = pytest.mark.deploy

# The server trusts a proxy network these requests do not come from: a
# request straight to gunicorn must be counted under its real address.
PROXIES = "10.0.0.0/8"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("realserver")
    with running_server(tmp, extra_env={"DJANGO_TRUSTED_PROXIES": PROXIES}) as running:
        yield running


class Browser:
    """urllib with cookies, never following redirects (so each status is seen)."""

    def __init__(self, base: str) -> None:
        self.base = base
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()), NoRedirects())

    def request(self, path: str, data: dict | None = None, headers: dict | None = None) -> tuple[int, str]:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base + path, data=body, headers=headers or {})
        try:
            with self.opener.open(request, timeout=20) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def sign_in(self, username: str, password: str, headers: dict | None = None) -> int:
        _, page = self.request("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = {"csrfmiddlewaretoken": token, "username": username, "password": password}
        return self.request("/accounts/login/", data, headers)[0]


class NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None


def test_no_log_line_holds_an_invite_code_a_token_a_query_string_or_a_referer(server):
    invite_code = server.manage(
        "shell", "-v", "0", "-c",
        "from datetime import timedelta; from django.utils import timezone; from clinics.models import Clinic, Invite; "
        "c, _ = Clinic.objects.get_or_create(slug='logs', defaults={'name': 'Logs Clinic'}); "
        "print(Invite.objects.create(clinic=c, label='LOG-1', expires_at=timezone.now() - timedelta(days=1)).code)",
    ).strip()
    browser = Browser(server.url)
    referer = {"Referer": "https://elsewhere.example/SECRET-REFERER-PAGE"}
    requests = [
        (f"/join/{invite_code}/", 410),  # expired: Django logs "Gone: /join/…"
        ("/join/SECRET-UNKNOWN-CODE/", 404),  # Django logs "Not Found: /join/…"
        ("/accounts/set-password/MQ/SECRET-RESET-TOKEN/", 200),
        ("/clinic/?q=SECRET-PATIENT-LABEL&show=all", 302),
        ("/no-such-page/?q=SECRET-SEARCH", 404),
        ("/accounts/login/?next=/join/SECRET-NEXT-CODE/", 200),
    ]
    for path, status in requests:
        assert browser.request(path, headers=referer)[0] == status, path

    log = server.log_path.read_text()
    for secret in (invite_code, "SECRET", "elsewhere.example"):
        assert secret not in log, [line for line in log.splitlines() if secret in line]
    # The requests are all there, with the secret parts replaced.
    assert re.search(r'"GET /join/\[redacted\]/ HTTP/1\.1" 410', log)
    assert re.search(r'"GET /accounts/set-password/\[redacted\]/ HTTP/1\.1" 200', log)
    assert re.search(r'"GET /clinic/\?\[redacted\] HTTP/1\.1" 302', log)
    assert "Gone: /join/[redacted]/" in log and "Not Found: /join/[redacted]/" in log


def test_secret_links_in_every_language_and_spelling_stay_out_of_the_log(server):
    """Spanish links (/es/join/…, /es/accounts/set-password/…), a path
    percent-encoded so that it reads as /join/… only once decoded, and a
    phone set to Spanish opening an English link (answered there, in
    Spanish, with no redirect that would log the code twice)."""
    code = server.manage(
        "shell", "-v", "0", "-c",
        "from clinics.models import Clinic, Invite; "
        "c, _ = Clinic.objects.get_or_create(slug='logs-es', defaults={'name': 'Logs ES'}); "
        "print(Invite.objects.create(clinic=c, label='LOG-ES').code)",
    ).strip()
    browser = Browser(server.url)
    spanish = {"Accept-Language": "es-US,es;q=0.9", "Sec-Fetch-Mode": "navigate", "Accept": "text/html"}
    status, page = browser.request(f"/join/{code}/", headers=spanish)
    assert status == 200 and '<html lang="es"' in page
    requests = [
        (f"/es/join/{code}/", 200),
        ("/es/join/SECRET-ES-UNKNOWN/", 404),
        (f"/%6Aoin/{code}/", 200),
        ("/%6Aoin/SECRET-ENCODED-UNKNOWN/", 404),
        ("/es/accounts/set-password/MQ/SECRET-ES-TOKEN/", 200),
        ("/accounts/set-%70assword/MQ/SECRET-ENCODED-TOKEN/", 200),
        ("/JOIN/SECRET-UPPER-CASE/", 404),
    ]
    for path, expected in requests:
        assert browser.request(path)[0] == expected, path

    log = server.log_path.read_text()
    for secret in (code, "SECRET"):
        assert secret not in log, [line for line in log.splitlines() if secret in line]
    assert re.search(r'"GET /es/join/\[redacted\]/ HTTP/1\.1" 200', log)
    assert re.search(r'"GET /join/\[redacted\]/ HTTP/1\.1" 200', log)


def test_a_forged_x_forwarded_for_straight_to_gunicorn_counts_under_the_real_address(server):
    username, password = f"fwd-{secrets.token_hex(3)}", f"fwd-pass-{secrets.token_hex(8)}"
    server.manage(
        "shell", "-c",
        f"from accounts.models import User; User.objects.create_user({username!r}, password={password!r})",
    )
    # Each try claims to come from somewhere else; all come from 127.0.0.1.
    for n in range(1, 6):
        status = Browser(server.url).sign_in(username, "wrong-password", {"X-Forwarded-For": f"203.0.113.{n}"})
        assert status == (429 if n == 5 else 200)
    forged = Browser(server.url).sign_in(username, password, {"X-Forwarded-For": "198.51.100.77"})
    assert forged == 429
