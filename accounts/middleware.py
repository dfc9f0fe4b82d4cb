from collections.abc import Callable
from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.translation import get_language_from_path

from .mfa import second_factor_required

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
