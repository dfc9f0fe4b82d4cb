import math
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers, patch_vary_headers
from django.utils.crypto import salted_hmac

from accounts.services import client_ip
from accounts.throttle import counted_address
from offline import i18n

from . import views


class HealthCheckMiddleware:
    """Answer /healthz before host validation and the HTTPS redirect.

    A load balancer probes each backend over plain HTTP by its address, with
    whatever Host header it likes; the app's answer must say whether the app
    and its database work, not whether the probe looked like a browser.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path == "/healthz" and request.method in ("GET", "HEAD"):
            return views.healthz(request)
        return self.get_response(request)


class ApiRateLimitMiddleware:
    """At most API_REQUESTS_PER_MINUTE requests to /api/ from one address
    (an IPv6 /64 counts as one) in each minute on the clock, counted in the
    shared cache: the app's own limit where no proxy limits the rate
    (deploy/nginx.conf does, per address, before the app). Over it: 429 with
    Retry-After; the phone's outbox waits and sends again."""

    WINDOW = 60

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def _count(self, request: HttpRequest, window: int) -> int:
        """This request's number in its address's count for the window."""
        address = salted_hmac("project.api", counted_address(client_ip(request))).hexdigest()[:32]
        key = f"api-requests:{address}:{window}"
        if cache.add(key, 1, timeout=self.WINDOW + 5):
            return 1
        try:
            return cache.incr(key)
        except ValueError:  # expired in between
            cache.add(key, 1, timeout=self.WINDOW + 5)
            return 1

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path.startswith("/api/") and settings.API_REQUESTS_PER_MINUTE is not None:
            now = timezone.now().timestamp()
            window = int(now // self.WINDOW)
            try:
                count = self._count(request, window)
            except Exception:  # noqa: BLE001 - the cache out of reach: count nothing, let the view answer
                count = 0
            if count > settings.API_REQUESTS_PER_MINUTE:
                response = JsonResponse({"error": "Too many requests. Please try again in a minute."}, status=429)
                response["Retry-After"] = str(max(1, math.ceil((window + 1) * self.WINDOW - now)))
                return response
        return self.get_response(request)


def is_navigation(request: HttpRequest) -> bool:
    """A person opening a page, not a script or the service worker fetching
    one (its precache asks for `/` in English whatever the browser prefers)."""
    mode = request.headers.get("Sec-Fetch-Mode")
    if mode:
        return mode == "navigate"
    return "text/html" in request.headers.get("Accept", "")


class LanguageRedirectMiddleware:
    """A page opened without a language prefix goes to its twin in the
    language the person wants: the saved choice (the `django_language`
    cookie), else the browser's Accept-Language. So a phone set to Spanish
    gets Spanish at Crest's address, and an installed app (start_url `/`)
    opens in the language last chosen. The service worker does the same
    offline (offline/templates/offline/serviceworker.js).

    Placed before the public page cache: a cached English page must never
    answer someone who wants Spanish.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        unprefixed_page = (
            request.method in ("GET", "HEAD")
            and i18n.page_language(request.path_info) == settings.LANGUAGE_CODE
            and i18n.has_twins(request.path_info)
        )
        if unprefixed_page and is_navigation(request):
            language = i18n.wanted_language(request)
            if language != settings.LANGUAGE_CODE:
                response = HttpResponseRedirect(i18n.twin_url(request.get_full_path(), language))
                patch_vary_headers(response, ("Accept-Language", "Cookie"))
                add_never_cache_headers(response)
                return response
        response = self.get_response(request)
        if unprefixed_page:
            # Someone else asking for this URL may be sent elsewhere.
            patch_vary_headers(response, ("Accept-Language", "Cookie"))
        return response
