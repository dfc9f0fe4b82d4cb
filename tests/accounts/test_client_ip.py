from django.test import RequestFactory

from accounts.services import client_ip


def request_from(remote: str, forwarded: str | None = None):
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/accounts/login/", **extra)


def test_without_a_trusted_proxy_a_forged_header_is_ignored(settings):
    settings.TRUSTED_PROXIES = 0
    assert client_ip(request_from("203.0.113.9", "1.2.3.4")) == "203.0.113.9"


def test_behind_one_proxy_the_address_it_saw_counts_not_what_the_client_wrote(settings):
    settings.TRUSTED_PROXIES = 1
    # The client forged "1.2.3.4"; the proxy appended the real address.
    assert client_ip(request_from("10.0.0.2", "1.2.3.4, 198.51.100.7")) == "198.51.100.7"


def test_behind_a_proxy_with_no_header_the_socket_address_is_used(settings):
    settings.TRUSTED_PROXIES = 1
    assert client_ip(request_from("10.0.0.2")) == "10.0.0.2"
