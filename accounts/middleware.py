from collections.abc import Callable
from urllib.parse import urlencode

from django.conf import settings
from django.contrib.auth import logout
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import get_language_from_path

from .mfa import second_factor_required
from .services import STAFF_SEEN_SESSION, STAFF_UNTIL_SESSION, account_public_id
from .throttle import device_cookie_set

# A staff session's idle time is pushed back at most this often: a session
# save per request would be a database write per request.
IDLE_REFRESH_SECONDS = 60

# Everything that shows or changes other people's data, or the staff
# member's own account: nothing here opens on a password alone. In every
# language: /es/clinic/ is /clinic/ (see without_language below).
PROTECTED_PREFIXES = ("/clinic/", "/admin/", "/me/", "/accounts/password/")


def without_language(path: str) -> str:
    """The path with its language prefix taken off: /es/clinic/ → /clinic/."""
    code = get_language_from_path(path)
    return path[len(code) + 1 :] if code else path


class StaffSecondFactorMiddleware:
    """Staff who signed in with their password but not yet with a code are
    sent to the second step before any clinic page, the Django admin or
    their account opens. One place for the rule, whatever the view. Needs
    django-otp's OTPMiddleware before it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if without_language(request.path_info).startswith(PROTECTED_PREFIXES) and second_factor_required(request.user):
            query = urlencode({"next": request.get_full_path()})
            return HttpResponseRedirect(f"{reverse('accounts:two_factor')}?{query}")
        return self.get_response(request)


class DeviceCookieMiddleware:
    """Sets the device cookie of a device that has just signed in
    (accounts.throttle.device_cookie_remember), whichever page signed it in."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        device_cookie_set(request, response)
        return response


class StaffSessionMiddleware:
    """A staff session (accounts.services.session_length_on_sign_in) ends at
    the end of its working day, however busy, and after STAFF_IDLE_SECONDS
    without a request to a page that shows people's data: the session's own
    expiry, pushed back here at most once a minute. Only on those pages
    (PROTECTED_PREFIXES): reading the session elsewhere would make every
    public page vary by cookie, and keep it out of the page cache. Needs
    AuthenticationMiddleware before it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if settings.SESSION_COOKIE_NAME not in request.COOKIES or not without_language(
            request.path_info
        ).startswith(PROTECTED_PREFIXES):
            # Kept only on the pages that show people's data; reading the
            # session elsewhere would mark a public page `Vary: Cookie`.
            return self.get_response(request)
        until = request.session.get(STAFF_UNTIL_SESSION)
        if until is not None and request.user.is_authenticated:
            now = int(timezone.now().timestamp())
            if now >= until:
                logout(request)
            elif now - request.session.get(STAFF_SEEN_SESSION, 0) >= IDLE_REFRESH_SECONDS:
                # A change saves the session, and a save moves its expiry
                # STAFF_IDLE_SECONDS (set_expiry at sign-in) past now.
                request.session[STAFF_SEEN_SESSION] = now
        return self.get_response(request)


# The phone's scripts read this cookie to know whose data to show (see
# docs/shared-phone.md): the pages are cached and the same for everyone, so
# they cannot say who is signed in, and a person who signs out must drop to
# the anonymous space at once, even offline a moment later.
PHONE_ACCOUNT_COOKIE = "crest_account"


class PhoneAccountCookieMiddleware:
    """Keeps the `crest_account` cookie true to the session: the account's
    opaque id (the one /api/v1/me/assignments/ gives) while someone is signed
    in, gone once nobody is. Set at sign-in and join, removed by the sign-out
    answer itself, and by the next answer after a session ended elsewhere
    (every page asks the API who is signed in). Only on answers for one
    person (`private` or `no-store`: sign-in, sign-out, join, /me/, the API),
    never on a page kept for everyone. Readable by JavaScript on purpose: it
    names no one, and it is all the pages need. Lives as long as the
    session. Needs AuthenticationMiddleware before it."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        cache_control = response.get("Cache-Control", "")
        if "private" not in cache_control and "no-store" not in cache_control:
            return response
        had = request.COOKIES.get(PHONE_ACCOUNT_COOKIE)
        # A visitor with neither cookie: the session is not read, so a public
        # page stays the same for everyone (project/page_cache.py keeps it).
        if had is None and settings.SESSION_COOKIE_NAME not in request.COOKIES and not _signed_in_now(request):
            return response
        user = getattr(request, "user", None)
        account = account_public_id(user) if user is not None and user.is_authenticated else None
        if account is not None and (had != account or request.session.modified):
            # Renewed with the session's own cookie, so both end together.
            response.set_cookie(
                PHONE_ACCOUNT_COOKIE,
                account,
                max_age=request.session.get_expiry_age(),
                secure=settings.SESSION_COOKIE_SECURE,
                httponly=False,
                samesite="Lax",
            )
        elif account is None and had is not None:
            response.delete_cookie(PHONE_ACCOUNT_COOKIE, samesite="Lax")
        return response


def _signed_in_now(request: HttpRequest) -> bool:
    """This very request signed someone in (the login or join answer): the
    session cookie is not in the request yet."""
    user = getattr(request, "user", None)
    session = getattr(request, "session", None)
    return bool(session is not None and session.modified and user is not None and user.is_authenticated)
