"""What nginx and the app servers behind it write down: no invite code and
no set-password token, in either language, however the path is spelled,
and nothing of a request in nginx's error log (which writes the request
line, Referer and Host of every upstream error it reports)."""

import time

import pytest

from bench.client import Browser, tls_context

pytestmark = pytest.mark.deploy

SPANISH = {"Accept-Language": "es-US,es;q=0.9", "Sec-Fetch-Mode": "navigate", "Accept": "text/html"}
REFERER = {"Referer": "https://elsewhere.example/SECRET-REFERER/"}


def every_log(stack) -> dict[str, str]:
    """nginx's logs (access, error, its own start-up log) and each app server's."""
    files = [*sorted((stack.folder / "logs").glob("*.log")), *(server.log_path for server in stack.servers)]
    return {path.name: path.read_text(errors="replace") for path in files if path.exists()}


def test_no_log_holds_a_secret_link_in_either_language_or_spelling(stack):
    code = stack.manage(
        "shell", "-v", "0", "-c",
        "from clinics.models import Clinic, Invite; "
        "c, _ = Clinic.objects.get_or_create(slug='proxy-logs', defaults={'name': 'Proxy Logs'}); "
        "print(Invite.objects.create(clinic=c, label='PL-1').code)",
    ).strip().splitlines()[-1]
    phone = Browser(stack.url, ssl_context=tls_context(str(stack.ca_file)))

    # A phone set to Spanish opens the English link: answered there, in Spanish.
    page = phone.request("GET", f"/join/{code}/", headers={**SPANISH, **REFERER})
    assert page.status == 200 and '<html lang="es">' in page.text
    for path, status in [
        (f"/es/join/{code}/", 200),
        (f"/%6Aoin/{code}/", 200),
        (f"/es/%6Aoin/{code}/", 200),
        ("/es/accounts/set-password/MQ/SECRET-ES-TOKEN/", 200),
        ("/accounts/set-password/MQ/SECRET-EN-TOKEN/", 200),
        ("/ES/JOIN/SECRET-UPPER/", 404),
    ]:
        assert phone.request("GET", path, headers=REFERER).status == status, path

    # An upstream error: one app server is down; nginx reports the failed
    # connection (at "error" level, with the request line) and tries the other.
    down = stack.servers[0]
    down.stop(hard=True)
    try:
        for path in (f"/es/join/{code}/", f"/join/{code}/", "/es/accounts/set-password/MQ/SECRET-DOWN-TOKEN/"):
            for _ in range(2):
                assert phone.request("GET", path, headers=REFERER).status == 200, path
            time.sleep(5.5)  # past fail_timeout: the next request tries the stopped server again
    finally:
        down.start()

    logs = every_log(stack)
    assert any("/es/join/[code]/" in text for text in logs.values()), "the requests were logged"
    for name, text in logs.items():
        for secret in (code, "SECRET"):
            assert secret not in text, (name, [line for line in text.splitlines() if secret in line][:3])
    error_log = logs.get("crest-error.log", "")
    assert "request:" not in error_log and "referrer:" not in error_log, error_log[-2000:]


def test_nginx_limits_the_api_rate_per_address_before_the_app(stack):
    """A burst past deploy/nginx.conf's limit_req: nginx answers 429 itself
    (no upstream in its access log), and pages are not limited."""
    phone = Browser(stack.url, ssl_context=tls_context(str(stack.ca_file)), source_ip="127.0.0.77")
    log_start = len(stack.access_log_lines())
    statuses = [phone.get("/api/v1/me/assignments/").status for _ in range(160)]
    assert statuses.count(429) > 0 and statuses.count(200) >= 100, statuses
    lines = stack.access_log_lines()[log_start:]
    refused = [line for line in lines if '"GET /api/v1/me/assignments/" 429' in line]
    assert refused and all("upstream=- " in line for line in refused), refused[:3]
    other = Browser(stack.url, ssl_context=tls_context(str(stack.ca_file)), source_ip="127.0.0.78")
    assert other.get("/api/v1/me/assignments/").status == 200  # another address
    assert phone.get("/help/").status == 200  # pages are not the API
