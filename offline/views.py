import json

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.templatetags.static import static
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from . import i18n, precache


@require_safe
def offline_page(request: HttpRequest) -> HttpResponse:
    """What the worker shows for a page it has not kept, with no connection."""
    return render(request, "offline/offline.html")


@require_safe
def service_worker(request: HttpRequest) -> HttpResponse:
    """Our service worker, an ES module (static/js/app.js registers it with
    type "module"; the template says why). Kept by offline.page_cache like
    the pages it precaches. `no-cache`, not `no-store`: the browser's update
    check revalidates it (a 304 when the deploy and the lessons are
    unchanged) instead of downloading it."""
    response = render(
        request,
        "offline/serviceworker.js",
        {
            "version": precache.worker_version(),
            "pages": json.dumps(precache.precache_pages()),
            "static_urls": json.dumps(precache.precache_static()),
            "static_hashed": precache.static_urls_are_hashed(),
            "offline_urls": json.dumps(precache.offline_urls()),
            "languages": json.dumps(i18n.worker_config()),
            # Hashed in production (the imports inside are rewritten to
            # hashed names too: project/storage.py).
            "outbox_url": static("js/outbox-send.js"),
        },
        content_type="application/javascript; charset=utf-8",
    )
    patch_cache_control(response, no_cache=True)
    return response
