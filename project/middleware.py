from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

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
