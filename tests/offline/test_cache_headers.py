"""What every URL tells caches, for nginx's cache (deploy/nginx.conf) and any
CDN in front of it: the pages the public page cache keeps say `public` with
a short `s-maxage` and `max-age=0` (browsers revalidate); everything else is
`private`/`no-store`, or says nothing a shared cache could keep (no max-age,
no s-maxage, no Expires: nginx keeps nothing without them, as no
proxy_cache_valid is set). The walk covers every URL name in the URLconf, in
both languages, anonymous and signed in, so a new URL is checked too."""

import re

import pytest
from django.test import Client
from django.urls import NoReverseMatch, URLPattern, URLResolver, get_resolver, reverse
from django.utils import translation

from offline import page_cache
from tests.factories import course_lesson, make_clinic, make_lesson, make_patient, make_staff

pytestmark = pytest.mark.django_db

# Sample arguments for URL parameters, by name (a nonexistent row is a 404,
# which must not be public either).
SAMPLE_KWARGS = {
    "pk": 1,
    "code": "nope-nope",
    "uidb64": "MQ",
    "token": "set-abc123",
    "object_id": "1",
    "app_label": "auth",
    "content_type_id": "1",
    "id": 1,
}


def url_names(resolver=None, namespace: str = ""):
    for pattern in (resolver or get_resolver()).url_patterns:
        if isinstance(pattern, URLResolver):
            inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
            yield from url_names(pattern, inner)
        elif isinstance(pattern, URLPattern) and pattern.name:
            yield f"{namespace}{pattern.name}", list(pattern.pattern.converters) or _regex_groups(pattern)


def _regex_groups(pattern: URLPattern) -> list[str]:
    return list(re.compile(str(pattern.pattern)).groupindex)


def url_for(name: str, params: list[str], language: str) -> str | None:
    kwargs = {p: (course_lesson(0).slug if p == "slug" else SAMPLE_KWARGS[p]) for p in params}
    with translation.override(language):
        try:
            return reverse(name, kwargs=kwargs)
        except NoReverseMatch:
            return None  # a route that exists in one language only


def kind(response) -> str:
    control = response.get("Cache-Control", "")
    directives = {d.strip().split("=")[0]: d.strip() for d in control.split(",") if d.strip()}
    if "public" in directives:
        return "public"
    if "private" in directives or "no-store" in directives:
        return "private"
    assert "s-maxage" not in directives and not response.has_header("Expires"), response
    if "max-age" in directives:
        assert directives["max-age"] == "max-age=0", control
    return "not cacheable"


@pytest.fixture
def signed_in(request, client):
    def sign_in(who: str):
        clinic = make_clinic(name="Clinic Tulip")
        user = make_patient(clinic=clinic, label="LABEL-7").user if who == "patient" else make_staff(clinic=clinic)
        client.force_login(user)
        return client

    return sign_in


@pytest.mark.parametrize("who", ["anonymous", "patient", "staff"])
def test_every_url_says_public_only_for_the_kept_pages(client, signed_in, who):
    if who != "anonymous":
        client = signed_in(who)
    names = list(url_names())
    assert len(names) > 40 and {name for name, _ in names} >= page_cache.PUBLIC_PAGES
    seen_public = set()
    for name, params in names:
        for language in ("en", "es"):
            url = url_for(name, params, language)
            if url is None:
                continue
            response = client.get(url)
            found = kind(response)
            if name in page_cache.PUBLIC_PAGES and response.status_code == 200 and not response.has_header(
                "Set-Cookie"
            ):
                # A kept page is public for everyone: it holds nothing about
                # the person. nginx still never answers a session from its
                # cache (deploy/nginx.conf), and never stores a Set-Cookie.
                assert found == "public", (who, url, response.get("Cache-Control"))
                assert response["Cache-Control"] == page_cache.PUBLIC_CACHE_CONTROL
                assert response["ETag"] and response["Last-Modified"], url
                seen_public.add(name)
            else:
                assert found != "public", (who, url, response.status_code, response.get("Cache-Control"))
                assert "s-maxage" not in response.get("Cache-Control", ""), url
    assert seen_public == page_cache.PUBLIC_PAGES, who


def test_a_clinic_lesson_on_the_lesson_url_stays_private(client):
    clinic = make_clinic()
    lesson = make_lesson(clinic=clinic)
    patient = make_patient(clinic=clinic)
    client.force_login(patient.user)
    response = client.get(reverse("lessons:lesson_detail", kwargs={"slug": lesson.slug}))
    assert response.status_code == 200 and kind(response) == "private"


def test_the_language_redirect_of_a_plain_url_is_never_shared():
    response = Client().get("/craving/", HTTP_ACCEPT_LANGUAGE="es", HTTP_SEC_FETCH_MODE="navigate")
    assert response.status_code == 302 and response["Location"] == "/es/craving/"
    assert kind(response) == "private"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
    # The English page at the same URL tells caches what it varies on.
    english = Client().get("/craving/", HTTP_ACCEPT_LANGUAGE="en", HTTP_SEC_FETCH_MODE="navigate")
    assert english.status_code == 200 and kind(english) == "public"
    assert {"Accept-Language", "Cookie"} <= {v.strip() for v in english["Vary"].split(",")}
    # A prefixed page is in its language whatever the request says.
    spanish = Client().get("/es/craving/", HTTP_ACCEPT_LANGUAGE="en")
    assert kind(spanish) == "public" and "Accept-Language" not in spanish["Vary"]
