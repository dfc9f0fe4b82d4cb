"""Public pages: rendered once per version, answered from the cache.

Home, the lessons, the toolkit, help, the offline page, the service worker
script and the manifest are the same for everyone: the service worker keeps
them on phones, shared ones included, so they carry nothing about the person
(no CSRF token, no messages, no name; signed-in extras are filled in by JS
from the API). So each is rendered once per version of what it is made of —
the lessons (`lessons.services.lessons_version`), the deploy
(`project.pwa.deploy_fingerprint`) and the language — and kept twice:
- in Django's default cache (the database's cache table, or Redis with
  REDIS_URL), shared by every process and server, so one render serves all;
- in this process's memory, bounded, so a kept page costs no query and no
  round trip. A key names its version, so a copy can never be out of date;
  only the lessons' version, read at most once a second, picks the key.

`PublicPageCacheMiddleware` sits before the session, CSRF, auth, messages,
CSP and axes middleware, so a kept page is answered without any of that
work. It sends an ETag (a hash of the body) and Last-Modified (when it was
rendered) with `Cache-Control: no-cache`, so a revisit revalidates and gets
a 304 when nothing changed. A miss runs the whole stack; the final response
is kept only if nothing per-person got into it: no cookie set, no
`Vary: Cookie` (the session was read), no CSP nonce, not marked private, in
the language the key names. Otherwise it is passed on untouched and the next
request renders again.
"""
import hashlib
import logging
import re
import time
from functools import lru_cache

from django.conf import settings
from django.conf.urls.i18n import is_language_prefix_patterns_used
from django.core.cache import cache
from django.core.cache.backends.locmem import LocMemCache
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.urls import Resolver404, resolve
from django.utils import translation
from django.utils.cache import get_conditional_response, has_vary_header, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.text import compress_string

from lessons.services import lessons_version

from . import pwa

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
        "craving:help",
    }
)
# Keys carry their version, so an old page is never served after a change;
# the lifetime only lets a cache drop pages nobody asks for any more.
PAGE_SECONDS = 60 * 60 * 24
KEY_PREFIX = "crest:page:"
# This process's copies (see the module docstring): about 20 pages per
# language and host, each some tens of kilobytes.
this_process = LocMemCache("crest-public-pages", {"TIMEOUT": PAGE_SECONDS, "OPTIONS": {"MAX_ENTRIES": 200}})
# Headers the middleware sets itself on every answer from the cache.
OWN_HEADERS = {"content-length", "content-encoding", "etag", "last-modified", "date", "set-cookie"}
ACCEPTS_GZIP = re.compile(r"\bgzip\b")
MIN_GZIP_BYTES = 200  # as Django's GZipMiddleware


def request_language(request: HttpRequest) -> str:
    """The language this request's page will be rendered in, decided as
    LocaleMiddleware will decide it: the URL's prefix (/es/), else, with
    i18n_patterns and no prefix for the default language, LANGUAGE_CODE;
    without LocaleMiddleware, always LANGUAGE_CODE."""
    if "django.middleware.locale.LocaleMiddleware" not in settings.MIDDLEWARE:
        return settings.LANGUAGE_CODE
    from_path = translation.get_language_from_path(request.path_info)
    if from_path:
        return from_path
    urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
    patterns_used, prefixed_default = is_language_prefix_patterns_used(urlconf)
    if patterns_used and not prefixed_default:
        return settings.LANGUAGE_CODE
    return translation.get_language_from_request(request, check_path=patterns_used)


def page_version() -> str:
    """Changes with any lesson change and with any deploy."""
    return f"{lessons_version()}.{pwa.deploy_fingerprint()}"


def page_key(request: HttpRequest, language: str, host: str) -> str:
    parts = (page_version(), language, request.scheme, host, request.path)
    return KEY_PREFIX + hashlib.sha256("|".join(parts).encode()).hexdigest()


def is_public_page(request: HttpRequest, language: str) -> bool:
    if request.method not in ("GET", "HEAD") or request.META.get("QUERY_STRING"):
        return False
    urlconf = getattr(request, "urlconf", None) or settings.ROOT_URLCONF
    return _view_name(urlconf, language, request.path_info) in PUBLIC_PAGES


@lru_cache(maxsize=1024)
def _view_name(urlconf: str, language: str, path: str) -> str | None:
    # Resolving is the dearest step of a cached answer; a path's view does
    # not change within a process. Resolved in the page's language, as
    # LocaleMiddleware will: i18n_patterns match only the active language's
    # prefix (/es/).
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


def entry_from(response: HttpResponse) -> dict:
    body = response.content
    patch_vary_headers(response, ("Accept-Encoding",))
    headers = [(name, value) for name, value in response.items() if name.lower() not in OWN_HEADERS]
    last_modified = int(time.time())
    headers.append(("Last-Modified", http_date(last_modified)))
    return {
        "body": body,
        # These pages hold no secret (no CSRF token, nothing personal), so
        # the BREACH padding Django's GZipMiddleware adds is not needed: one
        # compression per version, shared by every request.
        "gzip": compress_string(body) if len(body) >= MIN_GZIP_BYTES else None,
        "headers": headers,
        "etag": hashlib.sha256(body).hexdigest()[:32],
        "last_modified": last_modified,
    }


CONDITIONAL_HEADERS = ("HTTP_IF_NONE_MATCH", "HTTP_IF_MODIFIED_SINCE", "HTTP_IF_MATCH", "HTTP_IF_UNMODIFIED_SINCE")


def answer(request: HttpRequest, entry: dict) -> HttpResponse:
    gzipped = entry["gzip"] is not None and ACCEPTS_GZIP.search(request.META.get("HTTP_ACCEPT_ENCODING", ""))
    body = entry["gzip"] if gzipped else entry["body"]
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


def entry_get(key: str) -> dict | None:
    entry = this_process.get(key)
    if entry is None:
        entry = cache.get(key)
        if entry is not None:
            this_process.set(key, entry)
    return entry


def entry_set(key: str, entry: dict) -> None:
    this_process.set(key, entry)
    cache.set(key, entry, PAGE_SECONDS)


class PublicPageCacheMiddleware:
    def __init__(self, get_response) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.method not in ("GET", "HEAD"):
            return self.get_response(request)
        language = request_language(request)
        if not is_public_page(request, language):
            return self.get_response(request)
        # Validates the Host header against ALLOWED_HOSTS (a 400 otherwise),
        # as CommonMiddleware would have done before a render.
        host = request.get_host()
        key = entry = None
        try:
            key = page_key(request, language, host)
            entry = entry_get(key)
        except Exception as error:  # noqa: BLE001 - cache or database down: render as if uncached
            logger.warning("public page cache unavailable: %s", error)
        if entry is not None:
            return answer(request, entry)

        response = self.get_response(request)
        if key is None or not is_keepable(request, response, language):
            return response
        patch_cache_control(response, no_cache=True)
        entry = entry_from(response)
        try:
            entry_set(key, entry)
        except Exception as error:  # noqa: BLE001
            logger.warning("public page cache unavailable: %s", error)
        return answer(request, entry)
