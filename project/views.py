import json
import sys

from django.db import InterfaceError, OperationalError, connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.utils.cache import patch_cache_control
from django.views import defaults
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from lessons.models import Lesson

from . import pwa


@require_safe
def home(request: HttpRequest) -> HttpResponse:
    course_slugs = list(Lesson.objects.course().values_list("slug", flat=True))
    return render(request, "home.html", {"course_slugs": course_slugs, "course_total": len(course_slugs)})


@require_safe
def offline(request: HttpRequest) -> HttpResponse:
    return render(request, "offline.html")


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


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """Kept by project.page_cache like the pages it precaches. `no-cache`, not
    `no-store`: the browser's update check revalidates it (a 304 when the
    deploy and the lessons are unchanged) instead of downloading it."""
    pages = pwa.precache_pages()
    static_urls = pwa.precache_static()
    response = render(
        request,
        "serviceworker.js",
        {
            "version": pwa.cache_version(pages, static_urls),
            "pages": json.dumps(pages),
            "static_urls": json.dumps(static_urls),
            "outbox_code": pwa.worker_code(),
        },
        content_type="application/javascript; charset=utf-8",
    )
    patch_cache_control(response, no_cache=True)
    return response


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
