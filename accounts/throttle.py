"""Login throttling: counts of failed sign-ins in fixed windows, kept in
Django's cache so every app process and server shares them. The one
mechanism: nothing else counts or locks (security events for staff go to
the clinic's audit trail through accounts.signals.security_event).

Counts, each in the same fixed window (settings.LOGIN_WINDOW_SECONDS, on
the clock: 15 minutes means :00, :15, :30, :45):

- one username from one address (a person's typos on a shared Wi-Fi lock
  out only that person, there);
- one address, counting distinct usernames that match no account (trying
  one password on many made-up or guessed names from one place is
  stopped; staff mistyping their passwords on a clinic's Wi-Fi never
  blocks everyone behind it);
- one username, whatever the addresses, with a higher limit (rotating
  addresses is slowed, and since the count starts afresh with each window,
  nobody is locked out for longer than one);
- one device cookie (below), for the username it names.

An IPv6 address is counted by its /64: one home or one phone holds a whole
/64 and can pick any address in it.

A device that signed in to an account before carries a signed device
cookie naming that account (OWASP's "device cookies"). Its correct password
is never refused for the other counts: an attacker rotating addresses
against a clinician's username cannot lock the clinician's own computer
out. Only its own failures (DEVICE limit) take the pass away for the
window; then it is counted like any other device.

When a count reaches its limit, sign-in for it is refused until the window
ends. Refused attempts are not counted and nothing extends a window.

The check runs in an authentication backend (first in
AUTHENTICATION_BACKENDS), so every way of signing in with a password is
throttled: the login page, the Django admin, and the old-password check of
the password change form (accounts.forms). Keys are HMACs of the username
and address: the cache holds no usernames or addresses.
"""

import ipaddress
import math
import secrets

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .models import User
from .services import client_ip, is_staff_account, security_event_send
from .signals import SecurityEvent

DEVICE_COOKIE = "crest_device"
DEVICE_COOKIE_AGE = 60 * 60 * 24 * 365
DEVICE_SALT = "accounts.throttle.device"
# A shared phone may hold a few people's accounts; the newest few are kept.
DEVICE_ACCOUNTS = 5


def _window() -> tuple[int, float]:
    """The current window's number and the seconds left in it."""
    length = settings.LOGIN_WINDOW_SECONDS
    now = timezone.now().timestamp()
    index = int(now // length)
    return index, (index + 1) * length - now


def _digest(value: str) -> str:
    return salted_hmac("accounts.throttle", value).hexdigest()[:32]


def _who(username: str) -> str:
    return _digest((username or "").strip().lower())


def counted_address(address: str) -> str:
    """The address as counted: an IPv6 address by its /64."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if parsed.version == 6:
        return str(ipaddress.ip_network(f"{parsed}/64", strict=False))
    return address


def _keys(*, username: str, address: str, window: int, device: str | None = None) -> dict[str, str]:
    """Cache key per count, for this window."""
    who, where = _who(username), _digest(counted_address(address))
    keys = {
        "username_and_address": f"{who}:{where}",
        "address": where,
        "username": who,
    }
    if device:
        keys["device"] = f"{who}:{_digest(device)}"
    return {kind: f"login-failures:{kind}:{value}:{window}" for kind, value in keys.items()}


# --- Device cookies --------------------------------------------------------


def _device_entries(request: HttpRequest) -> list[tuple[str, str]]:
    """(account, nonce) pairs of a valid device cookie; none if it is
    missing, altered or too old."""
    value = request.get_signed_cookie(DEVICE_COOKIE, default=None, salt=DEVICE_SALT, max_age=DEVICE_COOKIE_AGE)
    entries = []
    for entry in (value or "").split(","):
        who, _, nonce = entry.partition(":")
        if who and nonce:
            entries.append((who, nonce))
    return entries


def device_for(request: HttpRequest, username: str) -> str | None:
    """This device's nonce for `username`, if it signed in to it before."""
    who = _who(username)
    return next((nonce for account, nonce in _device_entries(request) if account == who), None)


def device_cookie_remember(request: HttpRequest, username: str) -> None:
    """After a successful sign-in: a new nonce for this account on this
    device (set on the response by DeviceCookieMiddleware)."""
    who = _who(username)
    entries = [(who, secrets.token_urlsafe(12))]
    entries += [(account, nonce) for account, nonce in _device_entries(request) if account != who]
    request.device_cookie = ",".join(f"{account}:{nonce}" for account, nonce in entries[:DEVICE_ACCOUNTS])


def device_cookie_set(request: HttpRequest, response: HttpResponse) -> None:
    value = getattr(request, "device_cookie", None)
    if value:
        response.set_signed_cookie(
            DEVICE_COOKIE, value, salt=DEVICE_SALT, max_age=DEVICE_COOKIE_AGE,
            secure=settings.SESSION_COOKIE_SECURE, httponly=True, samesite="Lax",
        )


# --- Counting --------------------------------------------------------------


def login_retry_after(*, username: str, address: str, device: str | None = None) -> int | None:
    """Seconds until this username may try to sign in from this address
    (and device) again, or None if it may now."""
    window, left = _window()
    keys = _keys(username=username, address=address, window=window, device=device)
    counts = cache.get_many(list(keys.values()))
    limits = settings.LOGIN_FAILURE_LIMITS
    if device and counts.get(keys["device"], 0) < limits["device"]:
        return None  # a device that signed in before, and is not guessing
    for kind in ("username_and_address", "address", "username"):
        if counts.get(keys[kind], 0) >= limits[kind]:
            return max(1, math.ceil(left))
    return None


def _increment(key: str, timeout: int) -> None:
    if cache.add(key, 1, timeout=timeout):
        return
    try:
        cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.add(key, 1, timeout=timeout)
    else:
        # Some backends' incr() resets the expiry to the default; keep ours.
        cache.touch(key, timeout)


def login_failure_record(*, username: str, address: str, device: str | None = None) -> User | None:
    """Count a wrong password; returns the account the username names, if any."""
    window, left = _window()
    # Kept a little past the window's end; a later window has other keys.
    timeout = math.ceil(left) + 60
    keys = _keys(username=username, address=address, window=window, device=device)
    if device:
        # A known device's failures count against its pass, and (once it has
        # lost it) like anyone's.
        _increment(keys["device"], timeout)
    _increment(keys["username_and_address"], timeout)
    _increment(keys["username"], timeout)
    account = User.objects.filter(username__iexact=(username or "").strip()).first()
    # Each unknown username once per address and window.
    if account is None and cache.add(f"{keys['address']}:{_who(username)}", 1, timeout=timeout):
        _increment(keys["address"], timeout)
    return account


def login_success_record(*, username: str, address: str, device: str | None = None) -> None:
    """A person who got it right is forgiven their typos here. The
    address's and the username's counts stay: signing in to one's own
    account must not reset what an attacker's tries added up to."""
    window, _ = _window()
    keys = _keys(username=username, address=address, window=window, device=device)
    cache.delete_many([keys[kind] for kind in ("username_and_address", "device") if kind in keys])


# --- Wiring: the backend and the sign-in signals ---------------------------


def password_check_allowed(request: HttpRequest, username: str) -> bool:
    """May a password for `username` be checked now? If not, sets
    request.login_retry_after for the page that says so."""
    retry_after = login_retry_after(
        username=username, address=client_ip(request), device=device_for(request, username)
    )
    if retry_after is not None:
        request.login_retry_after = retry_after
        return False
    return True


class LoginThrottleBackend:
    """Refuses (before any password is checked) while a count is over its
    limit; authenticates nobody itself. No get_user(): sessions belong to the
    backend that did authenticate (and the test client's force_login skips
    this one)."""

    def authenticate(self, request, username=None, **credentials):
        if request is None or username is None:
            return None
        if not password_check_allowed(request, username):
            raise PermissionDenied
        return None


def on_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    if request is None or getattr(request, "login_retry_after", None) is not None:
        return  # refused, not a guess: it does not count
    username = credentials.get("username")
    if username:
        address, device = client_ip(request), device_for(request, username)
        account = login_failure_record(username=username, address=address, device=device)
        if account is not None:
            security_event_send(user=account, event=SecurityEvent.SIGN_IN_FAILED, detail=f"from {address}")
        # The failure that reaches a limit already answers "too many tries".
        request.login_retry_after = login_retry_after(username=username, address=address, device=device)


def on_logged_in(sender, request, user, **kwargs) -> None:
    if request is not None:
        username = user.get_username()
        login_success_record(username=username, address=client_ip(request), device=device_for(request, username))
        device_cookie_remember(request, username)


def staff_on_this_device(request: HttpRequest) -> User | None:
    """A staff member signed in on this browser, or one whose device cookie
    it carries (they signed in here before): who is at this computer."""
    user = getattr(request, "user", None)
    if user is not None and user.is_authenticated and is_staff_account(user):
        return user
    accounts = {account for account, _ in _device_entries(request)}
    if not accounts:
        return None
    staff = User.objects.filter(Q(is_staff=True) | Q(is_superuser=True) | Q(membership__isnull=False))
    return next((member for member in staff.only("username") if _who(member.username) in accounts), None)
