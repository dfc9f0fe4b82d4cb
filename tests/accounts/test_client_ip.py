"""The address login throttling counts against: X-Forwarded-For is read only
when the request comes from a trusted proxy, and then only up to the first
address that is not one (what the client wrote further left is ignored)."""

import subprocess
import sys

import pytest
from django.test import RequestFactory

from accounts.services import client_ip
from tests.project.test_settings import ROOT, clean_env


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/accounts/login/", **extra)


def test_without_a_trusted_proxy_a_forged_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = []
    assert client_ip(request_from("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_a_header_from_an_address_that_is_not_a_trusted_proxy_is_ignored(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_behind_a_trusted_proxy_the_address_it_saw_counts_not_what_the_client_wrote(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    # The client forged "1.2.3.4"; the proxy appended the real address.
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_a_chain_of_trusted_proxies_is_walked_from_the_right(settings):
    settings.TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    request = request_from("127.0.0.1", "6.6.6.6, 198.51.100.7, 10.1.2.3")
    assert client_ip(request) == "198.51.100.7"


def test_behind_a_trusted_proxy_with_no_header_the_socket_address_is_used(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.2"]
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"


def test_something_that_is_not_an_address_in_the_header_is_not_used(settings):
    settings.TRUSTED_PROXIES = ["10.0.0.0/8"]
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, not-an-address")) == "10.0.0.2"


def test_ipv6_proxies_and_clients(settings):
    settings.TRUSTED_PROXIES = ["fd00::/8"]
    assert client_ip(request_from("fd00::1", "2001:db8::7")) == "2001:db8::7"


def print_trusted_proxies(value: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0",
         "-c", "from django.conf import settings; print(settings.TRUSTED_PROXIES)"],
        cwd=ROOT, env=clean_env(DJANGO_DEBUG="1", DJANGO_TRUSTED_PROXIES=value),
        capture_output=True, text=True, timeout=60,
    )


def test_the_setting_lists_the_proxies_addresses_or_networks():
    result = print_trusted_proxies("127.0.0.1, 10.0.0.0/8,fd00::/8")
    assert result.stdout.strip() == "['127.0.0.1/32', '10.0.0.0/8', 'fd00::/8']", result.stderr


@pytest.mark.parametrize("value", ["1", "10.0.0.300", "proxy.internal"])
def test_a_count_or_anything_else_that_is_not_an_address_refuses_to_start_with_one_line(value):
    result = print_trusted_proxies(value)
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert len([line for line in result.stderr.splitlines() if "DJANGO_TRUSTED_PROXIES" in line]) == 1
