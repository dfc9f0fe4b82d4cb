import json
import sys

from django.conf import settings
from django.db import InterfaceError, OperationalError, connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.template import loader
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import defaults
from django.views import i18n as i18n_views
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from lessons.models import Lesson
from offline import i18n


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    course_slugs = list(Lesson.objects.course().values_list("slug", flat=True))
    return render(request, "home.html", {"course_slugs": course_slugs, "course_total": len(course_slugs)})


@never_cache
@require_safe
def healthz(request: HttpRequest) -> HttpResponse:
    """200 when the app and its database answer; 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception:  # noqa: BLE001 - any database failure means "not healthy"
        return JsonResponse({"status": "error", "database": "unavailable"}, status=503)
    return JsonResponse({"status": "ok"})


@never_cache
@require_safe
def language_set(request: HttpRequest, code: str) -> HttpResponse:
    """Save the language choice (a cookie) and go to the page's twin in it.

    A GET, so the switch is a link every cached page can carry (no CSRF
    token in a page kept on a shared phone); all it can change is the
    language Crest speaks. The service worker notes the choice too, for
    offline use (offline/templates/offline/serviceworker.js).
    """
    if code not in i18n.language_codes():
        raise Http404
    next_url = request.GET.get("next", "")
    if not url_has_allowed_host_and_scheme(
        next_url, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        next_url = "/"
    response = redirect(i18n.twin_url(next_url, code))
    response.set_cookie(
        settings.LANGUAGE_COOKIE_NAME,
        code,
        max_age=settings.LANGUAGE_COOKIE_AGE,
        path=settings.LANGUAGE_COOKIE_PATH,
        domain=settings.LANGUAGE_COOKIE_DOMAIN,
        secure=settings.LANGUAGE_COOKIE_SECURE,
        httponly=settings.LANGUAGE_COOKIE_HTTPONLY,
        samesite=settings.LANGUAGE_COOKIE_SAMESITE,
    )
    return response


class JavaScriptCatalog(i18n_views.JavaScriptCatalog):
    """The strings of static/js in the page's language, as a small classic
    script that sets `globalThis.crestCatalog` for static/js/i18n.js.

    Only Crest's own catalog (locale/<code>/LC_MESSAGES/djangojs.po): without
    a path of its own Django would add the admin's strings too, and Django's
    own script also carries every date and number format, which we do not
    use. The plural rule is written into the file as code (no eval: the CSP
    forbids it)."""

    domain = "djangojs"
    packages = ["project"]  # any: get_paths below decides

    def get_paths(self, packages: list[str]) -> list[str]:
        return [str(path) for path in settings.LOCALE_PATHS]

    def render_to_response(self, context: dict, **response_kwargs) -> HttpResponse:
        strings = json.dumps(context["catalog"], ensure_ascii=False, sort_keys=True, indent=0)
        plural = context["plural"] or "n != 1"
        script = (
            '"use strict";\n'
            "// Crest's strings for static/js in one language, read by static/js/i18n.js.\n"
            "globalThis.crestCatalog = {\n"
            f"  strings: {strings},\n"
            f"  plural(n) {{ const v = {plural}; return typeof v === \"boolean\" ? (v ? 1 : 0) : v; }},\n"
            "};\n"
        )
        return HttpResponse(script, content_type="text/javascript; charset=utf-8")


js_catalog = require_safe(JavaScriptCatalog.as_view())


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500. A database that is restarting, failing over or briefly out
    of reach is not a bug in the request: answer 503 with Retry-After, so the
    phone's outbox and load balancers try again, instead of a 500. Rendered
    without the request's context, which may need the database too."""
    if isinstance(sys.exc_info()[1], OperationalError | InterfaceError):
        if request.path.startswith("/api/"):
            response = JsonResponse({"error": "The server cannot reach its database just now; try again shortly."})
        else:
            response = HttpResponse(loader.get_template("503.html").render())
        response.status_code = 503
        response["Retry-After"] = "5"
        return response
    return defaults.server_error(request)
