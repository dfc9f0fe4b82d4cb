"""Login throttling: counts of failed sign-ins in fixed windows, kept in
Django's cache so every app process and server shares them.

Three counts, each in the same fixed window (settings.LOGIN_WINDOW_SECONDS,
on the clock: 15 minutes means :00, :15, :30, :45):

- one username from one address (a person's typos on a shared Wi-Fi lock
  out only that person, there);
- one address, whatever the usernames (trying one password on many
  usernames from one place is stopped);
- one username, whatever the addresses, with a higher limit (rotating
  addresses is slowed, and since the count starts afresh with each window,
  nobody can keep a clinician locked out for longer than one).

When a count reaches its limit, sign-in for it is refused until the window
ends. Refused attempts are not counted and nothing extends a window: a
failure during a lockout does not restart it.

The check runs in an authentication backend (first in
AUTHENTICATION_BACKENDS), so every way of signing in with a password is
throttled: the login page and the Django admin alike. Keys are HMACs of the
username and address: the cache holds no usernames or addresses.
"""

import math

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.crypto import salted_hmac

from .services import client_ip


def _window() -> tuple[int, float]:
    """The current window's number and the seconds left in it."""
    length = settings.LOGIN_WINDOW_SECONDS
    now = timezone.now().timestamp()
    index = int(now // length)
    return index, (index + 1) * length - now


def _keys(*, username: str, address: str, window: int) -> dict[str, str]:
    """Cache key per count, for this window."""
    username = (username or "").strip().lower()
    values = {"username_and_address": f"{username}\n{address}", "address": address, "username": username}
    return {
        kind: "login-failures:{}:{}:{}".format(
            kind, salted_hmac("accounts.throttle", value).hexdigest()[:32], window
        )
        for kind, value in values.items()
    }


def login_retry_after(*, username: str, address: str) -> int | None:
    """Seconds until this username may try to sign in from this address
    again, or None if it may now."""
    window, left = _window()
    keys = _keys(username=username, address=address, window=window)
    counts = cache.get_many(list(keys.values()))
    for kind, limit in settings.LOGIN_FAILURE_LIMITS.items():
        if counts.get(keys[kind], 0) >= limit:
            return max(1, math.ceil(left))
    return None


def login_failure_record(*, username: str, address: str) -> None:
    window, left = _window()
    # Kept a little past the window's end; a later window has other keys.
    timeout = math.ceil(left) + 60
    for key in _keys(username=username, address=address, window=window).values():
        if cache.add(key, 1, timeout=timeout):
            continue
        try:
            cache.incr(key)
        except ValueError:  # expired between add() and incr()
            cache.add(key, 1, timeout=timeout)
        else:
            # Some backends' incr() resets the expiry to the default; keep ours.
            cache.touch(key, timeout)


def login_success_record(*, username: str, address: str) -> None:
    """A person who got it right is forgiven their typos here. The
    address's and the username's counts stay: signing in to one's own
    account must not reset what an attacker's tries added up to."""
    window, _ = _window()
    cache.delete(_keys(username=username, address=address, window=window)["username_and_address"])


class LoginThrottleBackend:
    """Refuses (before any password is checked) while a count is over its
    limit; authenticates nobody itself. No get_user(): sessions belong to the
    backend that did authenticate (and the test client's force_login skips
    this one)."""

    def authenticate(self, request, username=None, **credentials):
        if request is None or username is None:
            return None
        retry_after = login_retry_after(username=username, address=client_ip(request))
        if retry_after is not None:
            request.login_retry_after = retry_after  # the login page shows when to try again
            raise PermissionDenied
        return None


def on_login_failed(sender, credentials: dict, request=None, **kwargs) -> None:
    if request is None or getattr(request, "login_retry_after", None) is not None:
        return  # refused, not a guess: it does not count
    username = credentials.get("username")
    if username:
        address = client_ip(request)
        login_failure_record(username=username, address=address)
        # The failure that reaches a limit already answers "too many tries".
        request.login_retry_after = login_retry_after(username=username, address=address)


def on_logged_in(sender, request, user, **kwargs) -> None:
    if request is not None:
        login_success_record(username=user.get_username(), address=client_ip(request))
