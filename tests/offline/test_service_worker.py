"""The service worker script: what it precaches, its version, and the rules
it is rendered with."""

import json
import re

import pytest

from lessons.models import Lesson, LessonTranslation
from offline import i18n

pytestmark = pytest.mark.django_db


def service_worker(client) -> tuple[str, dict]:
    response = client.get("/serviceworker.js")
    body = response.content.decode()
    constants = {
        name: json.loads(re.search(rf"const {name} = ([\[{{].*?[\]}}]);\n", body).group(1))
        for name in ("PRECACHE_PAGES", "PRECACHE_STATIC", "OFFLINE_URLS")
    }
    constants["VERSION"] = re.search(r'const VERSION = "(\w+)";', body).group(1)
    return response, constants


def test_service_worker_is_ours_served_fresh_and_precaches_every_lesson(client):
    response, sw = service_worker(client)
    assert response["Content-Type"].startswith("application/javascript")
    # Browsers revalidate it (max-age=0); the proxy shares it for a minute.
    assert "max-age=0" in response["Cache-Control"] and "s-maxage=60" in response["Cache-Control"]
    pages = sw["PRECACHE_PAGES"]
    assert set(pages) == {"en", "es"}
    for url in ["/", "/lessons/", "/craving/", "/help/", "/offline/"]:
        assert url in pages["en"]
        assert f"/es{url}" in pages["es"]
    assert "/es/jsi18n.js" in pages["es"]
    for lesson in Lesson.objects.published():
        assert lesson.get_absolute_url() in pages["en"]
        assert f"/es{lesson.get_absolute_url()}" in pages["es"]
    assert sw["OFFLINE_URLS"] == {"en": "/offline/", "es": "/es/offline/"}
    assert any(url.endswith(".css") for url in sw["PRECACHE_STATIC"])
    assert any("/js/pages/app" in url for url in sw["PRECACHE_STATIC"])


def test_service_worker_version_changes_when_a_lesson_changes_and_only_then(client):
    _, first = service_worker(client)
    _, again = service_worker(client)
    assert first["VERSION"] == again["VERSION"]
    lesson = Lesson.objects.first()
    lesson.body += "\nOne more sentence."
    lesson.save()
    _, changed = service_worker(client)
    assert changed["VERSION"] != first["VERSION"]


def test_service_worker_never_caches_the_api_signed_in_areas_or_non_get(client):
    body = client.get("/serviceworker.js").content.decode()
    assert 'request.method !== "GET"' in body
    areas = json.loads(re.search(r"const PRIVATE_AREAS = (\[.*?\]);", body).group(1))
    assert {"api", "clinic", "accounts", "admin", "me", "join", "language"} <= set(areas)
    # In every language: /es/clinic/ is as private as /clinic/.
    assert "const bare = withoutPrefix(pathname);" in body
    assert "PRIVATE_AREAS.some((area) => bare.startsWith(`/${area}/`))" in body
    # What really guards it: tests/browser/test_private_pages.py.


def test_the_worker_decides_a_pages_language_by_the_servers_rule(client):
    body = client.get("/serviceworker.js").content.decode()
    rule = json.loads(re.search(r"const LANGUAGE_RULE = (\{.*?\});\n", body).group(1))
    assert rule == i18n.worker_config()
    assert rule == {
        "default": "en",
        "prefixes": {"es": "/es/"},
        "oneAddress": ["/api/", "/admin/", "/language/", "/healthz", "/serviceworker.js", "/static/"],
    }


def test_a_translation_saved_or_deleted_gives_a_new_worker(client):
    _, first = service_worker(client)
    translation = LessonTranslation.objects.first()
    translation.title += "."
    translation.save()
    _, saved = service_worker(client)
    translation.delete()
    _, deleted = service_worker(client)
    assert len({first["VERSION"], saved["VERSION"], deleted["VERSION"]}) == 3


def test_in_development_editing_a_static_file_changes_the_service_worker_version(client, settings, tmp_path):
    """Debug static URLs have no content hash; without this the worker would
    keep serving the old file from its cache."""
    settings.DEBUG = True
    (tmp_path / "static" / "js").mkdir(parents=True)
    script = tmp_path / "static" / "js" / "x.js"
    script.write_text("console.log(1);")
    settings.BASE_DIR = tmp_path
    settings.STORAGES = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    _, first = service_worker(client)
    script.write_text("console.log(2);")
    _, second = service_worker(client)
    assert "/static/js/x.js" in second["PRECACHE_STATIC"]
    assert first["VERSION"] != second["VERSION"]
