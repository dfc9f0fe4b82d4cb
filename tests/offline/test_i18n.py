"""A page's language is decided by one rule, offline.i18n.page_language; the
service worker is rendered with the same rule as data (worker_config)."""

import pytest
from django.urls import get_resolver
from django.urls.resolvers import LocalePrefixPattern, RegexPattern

from offline import i18n


@pytest.mark.parametrize(
    ("path", "language"),
    [
        ("/", "en"),
        ("/help/", "en"),
        ("/es/", "es"),
        ("/es/lessons/two-forces/", "es"),
        ("/serviceworker.js", "en"),
        ("/api/v1/me/assignments/", "en"),
        ("/es", "en"),  # not a Spanish page: /es/ is
        ("/estate/", "en"),
    ],
)
def test_the_path_decides_the_language(path, language):
    assert i18n.page_language(path) == language


def test_the_worker_gets_the_default_and_each_prefix():
    config = i18n.worker_config()
    assert config["default"] == "en" and config["prefixes"] == {"es": "/es/"}


def test_every_route_outside_the_language_prefixes_is_one_address_for_the_worker():
    """A route added outside i18n_patterns must be named in ONE_ADDRESS, or
    the worker would send it to a Spanish twin that does not exist."""
    one_address = tuple(i18n.one_address_prefixes())
    for entry in get_resolver().url_patterns:
        if isinstance(entry.pattern, LocalePrefixPattern | RegexPattern):
            continue  # the pages (every language), and the refusal of /es/api/
        start = "/" + str(entry.pattern).split("<", 1)[0]
        assert start.startswith(one_address), start


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/api/v1/me/assignments/", "/admin/", "/language/es/", "/healthz", "/serviceworker.js"]
)
def test_the_servers_one_address_paths_have_no_twins(path):
    assert path.startswith(tuple(i18n.one_address_prefixes()))
    assert not i18n.has_twins(path)


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/", "/help/", "/lessons/two-forces/", "/clinic/", "/me/", "/es/help/"])
def test_pages_have_twins_and_are_not_one_address(path):
    assert i18n.has_twins(path)
    assert not path.startswith(tuple(i18n.one_address_prefixes()))
