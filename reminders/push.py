"""The Web Push side of reminders: which endpoints the server will POST to,
the VAPID key, and one send through pywebpush.

A push endpoint is a URL a client gives us and the server later POSTs to, so
it is checked twice: when it is stored (https, a host in CREST_PUSH_HOSTS,
no address literal unless listed) and again before each send, when the host
is resolved and every address it resolves to must be public, or be an
address CREST_PUSH_HOSTS names itself (the tests list 127.0.0.1). Redirects
are never followed. TLS roots come from the system, or REQUESTS_CA_BUNDLE.

Endpoints are capability URLs: logs and errors only ever show
endpoint_redacted().
"""

import base64
import ipaddress
import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import requests
from cryptography.hazmat.primitives import serialization
from django.conf import settings
from py_vapid import Vapid02
from pywebpush import WebPushException, webpush

# Connect and read timeouts for one send, in seconds (pywebpush's own
# default would wait for ever: it passes None to requests).
SEND_TIMEOUT = (5, 10)


class EndpointRefused(ValueError):
    """An endpoint the server will not send to; the message says why."""


def endpoint_redacted(endpoint: str) -> str:
    """The push service's host, never the path that names the phone."""
    try:
        host = urlsplit(endpoint).hostname or "?"
    except ValueError:
        host = "?"
    return f"https://{host}/[redacted]"


def _host_allowed(host: str, patterns: list[str]) -> bool:
    for pattern in patterns:
        pattern = pattern.strip().lower()
        if pattern.startswith("*."):
            if host.endswith(pattern[1:]):
                return True
        elif host == pattern:
            return True
    return False


def _address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def endpoint_check(endpoint: object) -> str:
    """The endpoint if the server may store it; EndpointRefused otherwise.
    No network: only the URL is looked at (see endpoint_resolve_check)."""
    if not isinstance(endpoint, str) or not endpoint:
        raise EndpointRefused("The endpoint must be a URL.")
    if len(endpoint) > 1024:
        raise EndpointRefused("The endpoint is too long.")
    try:
        parts = urlsplit(endpoint)
        host = (parts.hostname or "").lower()
        parts.port  # noqa: B018 - raises ValueError on a bad port
    except ValueError:
        raise EndpointRefused("The endpoint is not a valid URL.") from None
    if parts.scheme != "https":
        raise EndpointRefused("Only https endpoints are accepted.")
    if parts.username or parts.password or not host:
        raise EndpointRefused("The endpoint is not a push service URL.")
    if not _host_allowed(host, settings.PUSH_HOSTS):
        raise EndpointRefused("The endpoint is not on a known push service.")
    address = _address(host)
    if address is not None and not address.is_global and host not in settings.PUSH_HOSTS:
        raise EndpointRefused("The endpoint is not on a known push service.")
    return endpoint


def endpoint_resolve_check(endpoint: str) -> None:
    """Before a send: the endpoint is still allowed, and its host resolves
    only to public addresses (or to an address CREST_PUSH_HOSTS lists). A
    push service's name that resolves somewhere private (a poisoned or a
    split-horizon DNS) is refused rather than reached."""
    endpoint_check(endpoint)
    parts = urlsplit(endpoint)
    host = parts.hostname or ""
    try:
        infos = socket.getaddrinfo(host, parts.port or 443, proto=socket.IPPROTO_TCP)
    except OSError:
        raise EndpointRefused("The push service's name does not resolve.") from None
    listed = {pattern.strip().lower() for pattern in settings.PUSH_HOSTS}
    for info in infos:
        address = ipaddress.ip_address(info[4][0].split("%")[0])
        if not address.is_global and str(address) not in listed:
            raise EndpointRefused("The push service resolves to an address that is not public.")


# --- VAPID ---------------------------------------------------------------------


def vapid_key(value: str | None = None) -> Vapid02:
    """CREST_VAPID_PRIVATE_KEY as a key: the base64url raw private key that
    web-push tools print (and `manage.py vapid_keys`), or a PEM (an
    environment variable may carry its line breaks as \\n)."""
    value = (settings.VAPID_PRIVATE_KEY if value is None else value).strip()
    if not value:
        raise ValueError("CREST_VAPID_PRIVATE_KEY is not set.")
    if "-----BEGIN" in value:
        return Vapid02.from_pem(value.replace("\\n", "\n").encode())
    return Vapid02.from_string(value)


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def vapid_public_key(key: Vapid02 | None = None) -> str:
    """The applicationServerKey a phone subscribes with: the public key as
    an uncompressed P-256 point, base64url."""
    key = key or vapid_key()
    point = key.public_key.public_bytes(serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    return b64url(point)


def vapid_private_raw(key: Vapid02) -> str:
    return b64url(key.private_key.private_numbers().private_value.to_bytes(32, "big"))


def vapid_configured() -> bool:
    return bool(settings.VAPID_PRIVATE_KEY)


# --- Sending ---------------------------------------------------------------------


def system_ca_bundle() -> str | bool:
    """The system's TLS roots (requests would otherwise use certifi's copy);
    REQUESTS_CA_BUNDLE still wins (requests reads it on each request)."""
    paths = ssl.get_default_verify_paths()
    for candidate in (paths.cafile, paths.openssl_cafile, "/etc/ssl/certs/ca-certificates.crt"):
        if candidate and Path(candidate).is_file():
            return candidate
    if paths.capath and Path(paths.capath).is_dir():
        return paths.capath
    return True


class NoRedirectSession(requests.Session):
    """A push service answers; it never sends us somewhere else."""

    def __init__(self) -> None:
        super().__init__()
        self.verify = system_ca_bundle()

    def request(self, *args, **kwargs):
        kwargs["allow_redirects"] = False
        return super().request(*args, **kwargs)


@dataclass
class PushResult:
    status: int | None  # the push service's HTTP status; None when it was not reached
    retry_after: int | None = None

    @property
    def delivered(self) -> bool:
        return self.status is not None and 200 <= self.status < 300

    @property
    def gone(self) -> bool:
        """The push service says this subscription is no more."""
        return self.status in (404, 410)

    @property
    def transient(self) -> bool:
        return self.status is None or self.status == 429 or self.status >= 500


def push_send(
    *, endpoint: str, p256dh: str, auth: str, payload: bytes, ttl: int, urgency: str, topic: str,
    key: Vapid02, session: requests.Session,
) -> PushResult:
    """One aes128gcm push message with VAPID, a TTL, Urgency and Topic."""
    if ttl <= 0:
        raise ValueError("A reminder needs a TTL above 0, or an offline phone never gets it.")
    aud = "{0.scheme}://{0.netloc}".format(urlsplit(endpoint))
    # A fresh dict for every send: pywebpush writes "aud" and "exp" into the
    # dict it is given, and a reused one would carry the first push
    # service's audience to the next.
    claims = {"sub": settings.VAPID_SUBJECT, "aud": aud, "exp": int(time.time()) + 12 * 60 * 60}
    try:
        response = webpush(
            subscription_info={"endpoint": endpoint, "keys": {"p256dh": p256dh, "auth": auth}},
            data=payload,
            vapid_private_key=key,
            vapid_claims=claims,
            content_encoding="aes128gcm",
            ttl=ttl,
            timeout=SEND_TIMEOUT,
            headers={"Urgency": urgency, "Topic": topic},
            requests_session=session,
        )
    except WebPushException as error:
        # Only the status: the message and response may hold the endpoint.
        response = error.response
        if response is None:
            return PushResult(status=None)
    except requests.RequestException:
        return PushResult(status=None)
    retry_after = response.headers.get("Retry-After", "")
    return PushResult(status=response.status_code, retry_after=int(retry_after) if retry_after.isdigit() else None)
