"""Public pages are rendered once per version and answered from the cache:
correctness only (what is served, to whom, and when it changes), never
timing — `make bench` measures speed."""

import gzip
import re
import shutil
from email.utils import formatdate

import pytest
from django.contrib.messages.storage.fallback import FallbackStorage
from django.core.cache import cache
from django.db import connection
from django.http import HttpResponse
from django.template.backends.django import Template
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from clinics.models import Clinic
from lessons.models import Lesson
from lessons.services import lessons_load
from offline import page_cache, precache
from offline.i18n import page_language
from offline.services import content_version_bump
from tests.factories import PASSWORD, make_lesson, make_patient, make_staff

pytestmark = pytest.mark.django_db

PAGES = ["/", "/lessons/", "/craving/", "/help/", "/offline/", "/serviceworker.js", "/manifest.json"]


def public_urls() -> list[str]:
    """Every language's pages (what the service worker precaches), the worker
    script and the manifests."""
    precached = [url for urls in precache.precache_pages().values() for url in urls]
    return sorted({*PAGES, *precached, "/es/manifest.json"})


def kept_entry(url: str) -> dict | None:
    """What the shared cache keeps for an anonymous GET of `url`."""
    request = RequestFactory().get(url)
    return cache.get(page_cache.page_key(request, page_language(url), "testserver"))


@pytest.fixture
def no_render(monkeypatch):
    """Make any template render fail the test: a cached answer renders nothing."""

    def refuse(self, *args, **kwargs):
        raise AssertionError(f"{self.origin.name} was rendered")

    def arm():
        monkeypatch.setattr(Template, "render", refuse)

    return arm


def test_a_second_request_is_answered_from_the_cache_with_one_read_and_no_render(
    client, django_assert_num_queries, no_render
):
    """One read of the shared cache (the database's cache table here) gets
    the content version and the page together."""
    urls = public_urls()
    first = {url: client.get(url) for url in urls}
    assert all(response.status_code == 200 for response in first.values())
    no_render()
    for url in urls:
        with django_assert_num_queries(1):
            again = client.get(url)
        assert again.status_code == 200, url
        assert again.content == first[url].content, url
        assert again["ETag"] == first[url]["ETag"] and again["Last-Modified"] == first[url]["Last-Modified"], url
        assert again["Content-Type"] == first[url]["Content-Type"], url
        assert again["Content-Security-Policy"] == first[url]["Content-Security-Policy"], url


def test_public_pages_are_revalidated_by_browsers_shared_briefly_and_kept_whatever_the_cookies(client):
    for url in public_urls():
        response = client.get(url)
        assert response["Cache-Control"] == page_cache.PUBLIC_CACHE_CONTROL, url
        # An unprefixed page also varies by Accept-Language and the language
        # cookie (LanguageRedirectMiddleware, around the cache, sends a
        # navigation to its twin), but what is kept never by the session.
        assert "Accept-Encoding" in response["Vary"], url
        assert "Cookie" not in dict(kept_entry(url)["headers"]).get("Vary", ""), url
        assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"]), url


def test_if_none_match_and_if_modified_since_give_304_and_a_stale_tag_gives_the_page(client):
    first = client.get("/craving/")
    assert client.get("/craving/", HTTP_IF_NONE_MATCH=first["ETag"]).status_code == 304
    assert client.get("/craving/", HTTP_IF_NONE_MATCH=f"W/{first['ETag']}").status_code == 304
    assert client.get("/craving/", HTTP_IF_MODIFIED_SINCE=first["Last-Modified"]).status_code == 304
    assert client.get("/craving/", HTTP_IF_NONE_MATCH='"0123"').status_code == 200
    long_ago = formatdate(0, usegmt=True)
    assert client.get("/craving/", HTTP_IF_MODIFIED_SINCE=long_ago).status_code == 200
    # The first request of a new version is a render; it answers 304 too.
    not_modified = client.get("/help/", HTTP_IF_NONE_MATCH=client.get("/help/")["ETag"])
    assert not_modified.status_code == 304 and not_modified.content == b""
    assert not_modified["ETag"] and not_modified["Cache-Control"] == page_cache.PUBLIC_CACHE_CONTROL


def test_gzip_is_compressed_once_and_tagged_weak(client):
    plain = client.get("/lessons/")
    gzipped = client.get("/lessons/", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    assert gzipped["Content-Encoding"] == "gzip" and "Content-Encoding" not in plain
    assert gzipped["ETag"] == f"W/{plain['ETag']}"
    assert int(gzipped["Content-Length"]) == len(gzipped.content) < len(plain.content)
    assert gzip.decompress(gzipped.content) == plain.content
    assert client.get("/lessons/", HTTP_ACCEPT_ENCODING="gzip").content == gzipped.content


def test_a_lesson_edit_gives_a_new_page_and_a_new_etag(client):
    lesson = Lesson.objects.course().first()
    before = client.get(lesson.get_absolute_url())
    listing = client.get("/lessons/")
    worker = client.get("/serviceworker.js")
    lesson.title = "A brand new title"
    lesson.save()
    after = client.get(lesson.get_absolute_url())
    assert after["ETag"] != before["ETag"]
    assert "A brand new title" in after.content.decode()
    assert client.get("/lessons/")["ETag"] != listing["ETag"]
    assert client.get("/serviceworker.js")["ETag"] != worker["ETag"]


def test_a_lesson_unpublished_by_the_loader_leaves_the_cached_list_at_once(client, settings, tmp_path):
    """The loader unpublishes with a queryset update, which sends no
    post_save signal: it resets the version itself."""
    lesson = Lesson.objects.exclude(source_file="").course().last()
    assert f'data-lesson="{lesson.slug}"' in client.get("/lessons/").content.decode()
    content = tmp_path / "content"
    shutil.copytree(settings.LESSONS_CONTENT_DIR, content)
    for twin in content.rglob(lesson.source_file):  # the English file and its translations
        twin.unlink()
    assert lessons_load(directory=content).unpublished == [lesson.slug]
    assert f'data-lesson="{lesson.slug}"' not in client.get("/lessons/").content.decode()
    assert client.get(lesson.get_absolute_url()).status_code == 404


def test_a_new_lesson_and_a_deleted_one_change_the_cached_pages(client):
    listing = client.get("/lessons/")
    lesson = make_lesson(slug="brand-new", title="Brand new lesson")
    assert "Brand new lesson" in client.get("/lessons/").content.decode()
    lesson.delete()
    assert client.get("/lessons/").content == listing.content


def test_a_deploy_gives_new_pages_and_the_same_version_keeps_the_old_render(client, monkeypatch):
    """A deploy is a new process: it computes a new deploy fingerprint from
    its templates, static files and code. Without one, a change the version
    does not see stays invisible (that is the cache at work)."""
    from craving import views as craving_views

    before = client.get("/craving/")
    monkeypatch.setattr(craving_views, "DISTRACTION_IDEAS", [*craving_views.DISTRACTION_IDEAS, "Water the plants"])
    assert client.get("/craving/").content == before.content
    monkeypatch.setattr(precache, "deploy_fingerprint", lambda: "the-next-deploy")
    after = client.get("/craving/")
    assert "Water the plants" in after.content.decode()
    assert after["ETag"] != before["ETag"]


def test_the_deploy_fingerprint_follows_templates_code_and_static_files(settings, tmp_path):
    settings.DEBUG = True  # development reads templates and static files fresh
    (tmp_path / "app" / "templates").mkdir(parents=True)
    (tmp_path / "static" / "css").mkdir(parents=True)
    template = tmp_path / "app" / "templates" / "page.html"
    style = tmp_path / "static" / "css" / "a.css"
    template.write_text("one")
    style.write_text("a {}")
    settings.BASE_DIR = tmp_path
    plain = {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"}
    settings.STORAGES = {**settings.STORAGES, "staticfiles": plain}
    first = precache.deploy_fingerprint()
    assert precache.deploy_fingerprint() == first
    template.write_text("two")
    second = precache.deploy_fingerprint()
    style.write_text("a { color: red }")
    assert len({first, second, precache.deploy_fingerprint()}) == 3


def test_no_cookie_and_nothing_personal_in_a_cached_page_even_when_a_signed_in_user_rendered_it(client):
    patient = make_patient(label="LABEL-SECRET")
    client.force_login(patient.user)
    signed_in = {url: client.get(url) for url in public_urls()}
    anonymous = Client()
    for url, response in signed_in.items():
        fresh = anonymous.get(url)
        assert fresh.content == response.content, url
        assert not fresh.cookies and not response.cookies, url
        assert not any(name.lower() == "set-cookie" for name, _ in kept_entry(url)["headers"]), url
        body = fresh.content.decode()
        for private in (patient.user.username, "LABEL-SECRET", patient.clinic.name, "csrfmiddlewaretoken", "sessionid"):
            assert private not in body, (url, private)


def test_an_anonymous_render_is_what_a_signed_in_clinician_gets(client):
    anonymous = {url: client.get(url).content for url in public_urls()}
    staff = Client()
    staff.force_login(make_staff())
    for url, body in anonymous.items():
        response = staff.get(url)
        assert response.content == body, url
        assert not response.cookies, url


def test_a_clinic_lesson_is_never_kept_so_no_one_else_gets_it(client):
    patient = make_patient()
    own = make_lesson(slug="our-groups", title="Our clinic's groups", clinic=patient.clinic)
    client.force_login(patient.user)
    response = client.get(own.get_absolute_url())
    assert response.status_code == 200 and "no-store" in response["Cache-Control"]
    assert client.get(own.get_absolute_url()).status_code == 200
    assert Client().get(own.get_absolute_url()).status_code == 404
    other = Client()
    other.force_login(make_patient(clinic=Clinic.objects.create(name="Other", slug="other")).user)
    assert other.get(own.get_absolute_url()).status_code == 404


def test_public_pages_post_no_form_and_csrf_still_guards_posts_after_they_are_cached():
    """No public page has a POST form (the toolkit's forms are handled in JS
    on the device), so a cached page cannot carry a stale or shared CSRF
    token; the pages that do post still get their own token and cookie."""
    patient = make_patient()
    client = Client(enforce_csrf_checks=True)
    for url in public_urls():
        body = client.get(url).content.decode()
        assert not re.search(r"<form[^>]*method=[\"']?post", body, re.IGNORECASE), url
        assert "csrfmiddlewaretoken" not in body, url
    assert "csrftoken" not in client.cookies
    credentials = {"username": patient.user.username, "password": PASSWORD}
    assert client.post(reverse("accounts:login"), credentials).status_code == 403
    login_page = client.get(reverse("accounts:login"))
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', login_page.content.decode()).group(1)
    assert "csrftoken" in client.cookies
    signed_in = client.post(reverse("accounts:login"), {**credentials, "csrfmiddlewaretoken": token})
    assert signed_in.status_code == 302 and "sessionid" in client.cookies


def test_a_response_with_anything_per_person_is_not_kept():
    factory = RequestFactory()

    def keepable(response, request=None):
        return page_cache.is_keepable(request or factory.get("/"), response, "en")

    assert keepable(HttpResponse("same for all"))
    with_cookie = HttpResponse()
    with_cookie.set_cookie("csrftoken", "x")
    session_read = HttpResponse()
    session_read["Vary"] = "Accept-Encoding, Cookie"
    private = HttpResponse()
    private["Cache-Control"] = "private"
    not_found = HttpResponse(status=404)
    nonce_request = factory.get("/")
    nonce_request._csp_nonce = "abc"
    for response in (with_cookie, session_read, private, not_found):
        assert not keepable(response)
    assert not keepable(HttpResponse(), nonce_request)
    assert not page_cache.is_keepable(factory.get("/"), HttpResponse(), "es")


def test_a_message_waiting_for_the_next_page_is_not_kept_in_a_public_page(rf):
    request = rf.get("/")
    request.session = {}
    request._messages = FallbackStorage(request)
    request._messages.add(20, "Signed out")
    response = HttpResponse()
    request._messages.update(response)
    assert response.cookies and not page_cache.is_keepable(request, response, "en")


def test_each_language_is_kept_apart_and_the_address_decides_it(client, django_assert_num_queries):
    english = client.get("/help/", HTTP_ACCEPT_LANGUAGE="es")  # not a navigation: no redirect to /es/
    spanish = client.get("/es/help/")
    assert english["Content-Language"] == "en" and spanish["Content-Language"] == "es"
    assert english.content != spanish.content
    with django_assert_num_queries(2):
        assert client.get("/help/", HTTP_ACCEPT_LANGUAGE="es").content == english.content
        assert client.get("/es/help/", HTTP_ACCEPT_LANGUAGE="en").content == spanish.content
    request = RequestFactory().get("/es/help/")
    assert page_cache.page_key(request, "es", "testserver") != page_cache.page_key(request, "en", "testserver")


def test_a_navigation_that_wants_spanish_is_sent_to_the_twin_not_given_the_kept_english_page(client):
    client.get("/help/")  # English kept
    response = client.get("/help/", HTTP_ACCEPT_LANGUAGE="es", HTTP_SEC_FETCH_MODE="navigate")
    assert response.status_code == 302 and response["Location"].startswith("/es/help/")


def test_without_the_shared_cache_pages_are_rendered_as_before(client, monkeypatch):
    def down(*args, **kwargs):
        raise ConnectionError("cache down")

    for method in ("get", "get_many", "set", "add"):
        monkeypatch.setattr(cache, method, down)
    for _ in range(2):
        response = client.get("/help/")
        assert response.status_code == 200 and b'class="help-link"' in response.content


def test_only_get_and_head_without_a_query_string_are_answered_from_the_cache(client, django_assert_num_queries):
    client.get("/lessons/")
    with django_assert_num_queries(1):
        assert client.head("/lessons/").status_code == 200
    with CaptureQueriesContext(connection) as rendered:
        assert client.get("/lessons/?utm=x").status_code == 200
    assert len(rendered.captured_queries) > 0
    assert client.post("/lessons/").status_code == 405


def test_an_unknown_host_is_still_refused_before_the_cache(client, settings):
    client.get("/")
    settings.ALLOWED_HOSTS = ["crest.example"]
    assert client.get("/", HTTP_HOST="evil.example").status_code == 400


def test_a_save_in_another_process_shows_at_once(client):
    """Another process's save runs its receiver there, not here (a queryset
    update, which sends no signal, and the bump it makes stand in for it):
    the very next request here sees the new version in the shared cache."""
    lesson = Lesson.objects.course().first()
    before = client.get(lesson.get_absolute_url())
    Lesson.objects.filter(pk=lesson.pk).update(title="Changed elsewhere", updated_at=timezone.now())
    assert client.get(lesson.get_absolute_url()).content == before.content
    content_version_bump()  # what the other process's receiver does
    assert "Changed elsewhere" in client.get(lesson.get_absolute_url()).content.decode()

