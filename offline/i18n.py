"""Which language a page is in, and its twins in the other languages.

English lives at the plain URLs (/, /lessons/…); every other language under
its prefix (/es/, /es/lessons/…), by `i18n_patterns` in project/urls.py. So a
page's language is in its path, and the service worker can keep each
language's pages apart. The saved choice is the `django_language` cookie;
with none, the browser's Accept-Language decides where `/` leads.

`page_language` is the one rule for a page's language: the public page
cache keys on it, the language redirect and the switch use it, and the
service worker is rendered with `worker_config()`, the same rule as data
(offline/templates/offline/serviceworker.js reads nothing else).

Here, not in project/, because the offline app renders the worker from it
and imports flow one way (offline <- project; tests/test_architecture.py).
"""

from functools import lru_cache
from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, get_urlconf, resolve, translate_url
from django.utils import translation


def language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def language_name(code: str) -> str:
    return dict(settings.LANGUAGES)[code]


def language_prefixes() -> dict[str, str]:
    """Each language but the default, and the prefix of its pages."""
    return {code: f"/{code}/" for code in language_codes() if code != settings.LANGUAGE_CODE}


def page_language(path: str) -> str:
    """The language of the page at `path`: the language whose prefix it
    starts with, else the default. (LocaleMiddleware decides the same for
    our URLs: i18n_patterns without a prefix for the default language.)"""
    for code, prefix in language_prefixes().items():
        if path.startswith(prefix):
            return code
    return settings.LANGUAGE_CODE


def twin_url(url: str, code: str) -> str:
    """The same page in language `code` (a path, with its query string).
    A URL that is not one of our translated pages comes back unchanged; a
    secret link comes back without its language prefix (one address in
    every language, see SECRET_LINK_ROUTES)."""
    path = urlsplit(url).path
    if is_secret_link(path):
        language = translation.get_language_from_path(path)
        return url[len(language) + 1 :] if language else url
    with translation.override(page_language(path)):
        return translate_url(url, code)


# Links that carry a secret (an invite code, a set-password token): never
# redirected to another language, so a proxy or a log never sees the secret
# at a second address, and read in the wanted language at the address given
# (accounts.language).
SECRET_LINK_ROUTES = frozenset({"clinics:join", "accounts:set_password"})


def has_twins(path: str) -> bool:
    """Is this path one of the pages that exist in every language, each at
    its own address?"""
    urlconf = get_urlconf() or settings.ROOT_URLCONF
    return _has_twins(path, urlconf) and not _is_secret_link(path, urlconf)


def is_secret_link(path: str) -> bool:
    """An invite or set-password link, in whatever language."""
    return _is_secret_link(path, get_urlconf() or settings.ROOT_URLCONF)


# Both asked on every request (the language redirect, the page cache), so
# kept in this process's memory, and that is safe: the URLconf alone decides
# them, the same in every process. Bounded: paths come from anyone.
@lru_cache(maxsize=1024)
def _is_secret_link(path: str, urlconf: str) -> bool:
    language = translation.get_language_from_path(path)
    if not language:
        language = next(iter(language_prefixes()), None)
        if language is None:
            return False
        path = f"/{language}{path}"
    with translation.override(language):
        try:
            match = resolve(path, urlconf)
        except Resolver404:
            return False
    return match.view_name in SECRET_LINK_ROUTES


@lru_cache(maxsize=1024)
def _has_twins(path: str, urlconf: str) -> bool:
    language = page_language(path)
    if language != settings.LANGUAGE_CODE:
        return _page_in(path, language, urlconf)
    other = next(iter(language_prefixes().items()), None)
    return other is not None and _page_in(f"{other[1]}{path.lstrip('/')}", other[0], urlconf)


def _page_in(path: str, code: str, urlconf: str) -> bool:
    with translation.override(code):
        try:
            resolve(path, urlconf)
        except Resolver404:
            return False
    return True


def wanted_language(request: HttpRequest) -> str:
    """The saved choice (cookie), else the browser's languages, else English."""
    return translation.get_language_from_request(request, check_path=False)


# Paths with one address whatever the language, for the worker (which cannot
# ask has_twins): the routes outside i18n_patterns in project/urls.py and the
# API. tests/offline/test_i18n.py checks the list against the URLconf.
ONE_ADDRESS = ("/api/", "/admin/", "/language/", "/healthz", "/serviceworker.js")


def one_address_prefixes() -> list[str]:
    return [*ONE_ADDRESS, settings.STATIC_URL]


def worker_config() -> dict:
    """What the service worker needs to decide a page's language as the
    server does (page_language, LanguageRedirectMiddleware), as data."""
    return {
        "default": settings.LANGUAGE_CODE,
        "prefixes": language_prefixes(),
        "oneAddress": one_address_prefixes(),
    }
