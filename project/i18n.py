"""Which language a page is in, and its twins in the other languages.

English lives at the plain URLs (/, /lessons/…); every other language under
its prefix (/es/, /es/lessons/…), by `i18n_patterns` in project/urls.py. So a
page's language is in its path, and the service worker can keep each
language's pages apart. The saved choice is the `django_language` cookie;
with none, the browser's Accept-Language decides where `/` leads.
"""

from urllib.parse import urlsplit

from django.conf import settings
from django.http import HttpRequest
from django.urls import Resolver404, resolve, translate_url
from django.utils import translation


def language_codes() -> list[str]:
    return [code for code, _ in settings.LANGUAGES]


def language_name(code: str) -> str:
    return dict(settings.LANGUAGES)[code]


def path_language(path: str) -> str:
    """The language a path is in: its prefix, or the default language."""
    return translation.get_language_from_path(path) or settings.LANGUAGE_CODE


def twin_url(url: str, code: str) -> str:
    """The same page in language `code` (a path, with its query string).
    A URL that is not one of our translated pages comes back unchanged."""
    with translation.override(path_language(urlsplit(url).path)):
        return translate_url(url, code)


def has_twins(path: str) -> bool:
    """Is this path one of the pages that exist in every language?"""
    language = translation.get_language_from_path(path)
    if language:
        return _page_in(path, language)
    other = next((code for code in language_codes() if code != settings.LANGUAGE_CODE), None)
    return other is not None and _page_in(f"/{other}{path}", other)


# The name of the route that refuses a language prefix on the API (project/urls.py).
NO_PREFIX_ROUTE = "api_without_language"


def _page_in(path: str, code: str) -> bool:
    with translation.override(code):
        try:
            match = resolve(path)
        except Resolver404:
            return False
    return match.url_name != NO_PREFIX_ROUTE


def wanted_language(request: HttpRequest) -> str:
    """The saved choice (cookie), else the browser's languages, else English."""
    return translation.get_language_from_request(request, check_path=False)
