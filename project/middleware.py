from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.utils import translation
from django.utils.cache import add_never_cache_headers, patch_vary_headers

from . import i18n, views


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
    offline (project/templates/serviceworker.js).

    Placed before the public page cache: a cached English page must never
    answer someone who wants Spanish.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        unprefixed_page = (
            request.method in ("GET", "HEAD")
            and not translation.get_language_from_path(request.path_info)
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
