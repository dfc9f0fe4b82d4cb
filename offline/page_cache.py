"""Public pages: rendered once per version, answered from the cache.

Home, the lessons, the toolkit, help, the offline page, the service worker
script and the manifest are the same for everyone: the service worker keeps
them on phones, shared ones included, so they carry nothing about the person
(no CSRF token, no messages, no name; signed-in extras are filled in by JS
from the API). So each is rendered once per version of what it is made of —
the content version (offline/services.py), the deploy
(`offline.precache.deploy_fingerprint`) and the language — and kept in
Django's default cache (the database's cache table, or Redis with
REDIS_URL), shared by every process and server, so one render serves all.
Nothing is kept in a process's memory: a kept page costs one round trip to
the cache, which reads the content version and the page together.

`PublicPageCacheMiddleware` sits before the session, CSRF, auth, messages
and CSP middleware, so a kept page is answered without any of that
work. It sends an ETag (a hash of the body) and Last-Modified (when it was
rendered) with `PUBLIC_CACHE_CONTROL`: a browser keeps nothing fresh
(max-age=0), so a revisit revalidates and gets a 304 when nothing changed;
a shared cache (nginx, deploy/nginx.conf; or a CDN) may answer for
`s-maxage` seconds, so a changed page is seen everywhere within that
without a purge (docs/speed.md). A miss runs the whole stack; the final response
is kept only if nothing per-person got into it: no cookie set, no
`Vary: Cookie` (the session was read), no CSP nonce, not marked private, in
the language the key names. Otherwise it is passed on untouched and the next
request renders again.
"""
import gzip
import hashlib
import logging
import re
import time
from functools import lru_cache

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import get_conditional_response, has_vary_header, patch_vary_headers
from django.utils.http import http_date
from django.utils.text import compress_string

from . import precache
from .i18n import page_language
from .services import CONTENT_VERSION_KEY, content_version_start

logger = logging.getLogger(__name__)

# URL names of the pages that are the same for everyone. A clinic's own
# lesson shares the lesson URL but is sent `private, no-store`, so it is
# never kept.
PUBLIC_PAGES = frozenset(
    {
        "home",
        "offline",
        "serviceworker",
        "manifest",
        "js_catalog",
        "lessons:lesson_list",
        "lessons:lesson_detail",
        "craving:toolkit",
        "craving:safety_plan",
        "craving:help",
        "reminders:checkin",
    }
)
# A key names the deploy; an entry names the content version it was rendered
# under and is served only while that is the current one, so an old page is
# never served after a change. The lifetime only lets a cache drop pages
# nobody asks for any more.
PAGE_SECONDS = 60 * 60 * 24
# What a kept page says to caches: a shared cache (the proxy) may keep it a
# minute; a browser revalidates every time (an ETag makes that a 304). No
# stale-while-revalidate here: browsers honour it too, and a phone would get
# last deploy's page or worker (tests/browser/test_pwa.py). The proxy serves
# stale copies by its own configuration (deploy/nginx.conf:
# proxy_cache_use_stale, proxy_cache_background_update).
SHARED_SECONDS = 60
PUBLIC_CACHE_CONTROL = f"public, max-age=0, s-maxage={SHARED_SECONDS}"
KEY_PREFIX = "crest:page:"
# Headers the middleware sets itself on every answer from the cache.
OWN_HEADERS = {"content-length", "content-encoding", "etag", "last-modified", "date", "set-cookie"}
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
MIN_GZIP_BYTES = 200  # as Django's GZipMiddleware


def page_key(request: HttpRequest, language: str, host: str) -> str:
    parts = (precache.deploy_fingerprint(), language, request.scheme, host, request.path)
    return KEY_PREFIX + hashlib.sha256("|".join(parts).encode()).hexdigest()


def is_public_page(request: HttpRequest, language: str) -> bool:
    if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING"):
        return False
    urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
    return _view_name(urlconf, language, request.path_info) in PUBLIC_PAGES


@lru_cache(maxsize=1024)
def _view_name(urlconf: str, language: str, path: str) -> str | None:
    # Resolving is the dearest step of a cached answer. Kept in this
    # process's memory, and that is safe: which view a path goes to is
    # decided by the code alone (the URLconf), the same in every process.
    # Resolved in the page's language, as LocaleMiddleware will:
    # i18n_patterns match only the active language's prefix (/es/).
    try:
        with translation.override(language):
            return resolve(path, urlconf).view_name
    except Resolver404:
        return None


def is_keepable(request: HttpRequest, response: HttpResponseBase, language: str) -> bool:
    """Nothing about this person, or this request alone, is in the response."""
    cache_control = response.get("Cache-Control", "")
    return (
        response.status_code == 200
        and not response.streaming
        and not response.cookies
        and not has_vary_header(response, "Cookie")
        and "private" not in cache_control
        and "no-store" not in cache_control
        and not response.has_header("Content-Encoding")
        and not isinstance(getattr(request, "_csp_nonce", None), str)
        and translation.get_language() == language
    )


def entry_from(response: HttpResponse, version: int) -> dict:
    body = response.content
    patch_vary_headers(response, ("Accept-Encoding",))
    headers = [(name, value) for name, value in response.items() if name.lower() not in OWN_HEADERS]
    last_modified = int(time.time())
    headers.append(("Last-Modified", http_date(last_modified)))
    # These pages hold no secret (no CSRF token, nothing personal), so the
    # BREACH padding Django's GZipMiddleware adds is not needed: one
    # compression per version, shared by every request. Only the compressed
    # body is kept (every browser asks for gzip): each answer reads the entry
    # from the shared cache, and a third of the bytes is a third of the read.
    compressed = compress_string(body) if len(body) >= MIN_GZIP_BYTES else None
    return {
        "content_version": version,
        "body": body if compressed is None else None,
        "gzip": compressed,
        "headers": headers,
        "etag": hashlib.sha256(body).hexdigest()[:32],
        "last_modified": last_modified,
    }


CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")


def answer(request: HttpRequest, entry: dict) -> HttpResponse:
    gzipped = entry["gzip"] is not None and ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    if gzipped:
        body = entry["gzip"]
    else:
        body = entry["body"] if entry["gzip"] is None else gzip.decompress(entry["gzip"])
    response = HttpResponse(body)
    for name, value in entry["headers"]:
        response.headers[name] = value
    # A compressed body is other bytes: its tag is weak, as Django's
    # GZipMiddleware makes it; If-None-Match compares tags weakly.
    etag = f'W/"{entry["etag"]}"' if gzipped else f'"{entry["etag"]}"'
    response.headers["ETag"] = etag
    if gzipped:
        response.headers["Content-Encoding"] = "gzip"
    response.headers["Content-Length"] = str(len(body))
    if any(header in request.META for header in CONDITIONAL_HEADERS):
        return get_conditional_response(request, etag=etag, last_modified=entry["last_modified"], response=response)
    return response


def entry_get(key: str) -> tuple[int, dict | None]:
    """The content version now, and the page kept under `key` if it was
    rendered under that version: one round trip to the cache."""
    found = cache.get_many([CONTENT_VERSION_KEY, key])
    version = found.get(CONTENT_VERSION_KEY)
    if version is None:
        version = content_version_start()
    entry = found.get(key)
    return version, entry if entry is not None and entry["content_version"] == version else None


class PublicPageCacheMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        language = page_language(request.path_info)
        if not is_public_page(request, language):
            return self.get_response(request)
        # Validates the Host header against ALLOWED_HOSTS (a 400 otherwise),
        # as CommonMiddleware would have done before a render.
        host = request.get_host()
        key = version = entry = None
        try:
            key = page_key(request, language, host)
            version, entry = entry_get(key)
        except Exception as error:  # noqa: BLE001 - cache or database down: render as if uncached
            logger.warning("public page cache unavailable: %s", error)
        if entry is not None:
            return answer(request, entry)

        # Rendered after the version was read: a change committed meanwhile
        # is in the page already, and the next request sees a newer version.
        response = self.get_response(request)
        if version is None or not is_keepable(request, response, language):
            return response
        response["Cache-Control"] = PUBLIC_CACHE_CONTROL
        entry = entry_from(response, version)
        try:
            cache.set(key, entry, PAGE_SECONDS)
        except Exception as error:  # noqa: BLE001
            logger.warning("public page cache unavailable: %s", error)
        return answer(request, entry)
