import json
import re

import pytest
from django.urls import reverse

from lessons.models import Lesson

pytestmark = pytest.mark.django_db


def test_manifest_is_neutral_installable_and_has_shortcuts(client):
    manifest = json.loads(client.get("/manifest.json").content)
    assert manifest["name"] == manifest["short_name"] == "Crest"
    assert manifest["display"] == "standalone"
    assert manifest["start_url"] == "/" and manifest["scope"] == "/"
    sizes = {(icon["sizes"], icon.get("purpose", "any")) for icon in manifest["icons"]}
    assert {("192x192", "any"), ("512x512", "any"), ("512x512", "maskable")} <= sizes
    assert {s["url"] for s in manifest["shortcuts"]} == {"/craving/", "/help/"}
    words = json.dumps(manifest).lower()
    for word in ("heroin", "opioid", "drug", "addict", "recovery", "craving"):
        assert word not in words.replace('"/craving/"', ""), word


def test_spanish_manifest_is_the_same_app_in_neutral_spanish(client):
    english = json.loads(client.get("/manifest.json").content)
    spanish = json.loads(client.get("/es/manifest.json").content)
    assert spanish["lang"] == "es" and english["lang"] == "en"
    # One app: same id, start_url and scope; the start page follows the saved language.
    for key in ("id", "start_url", "scope", "icons", "display"):
        assert spanish[key] == english[key], key
    assert spanish["name"] == spanish["short_name"] == "Crest"
    assert spanish["description"] != english["description"]
    assert [s["url"] for s in spanish["shortcuts"]] == [s["url"] for s in english["shortcuts"]]
    assert {s["name"] for s in spanish["shortcuts"]} == {"Herramientas", "Ayuda"}
    words = json.dumps(spanish, ensure_ascii=False).lower().replace('"/craving/"', "")
    for word in ("heroína", "opioide", "droga", "adic", "recuperación", "ansia"):
        assert word not in words, word


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
    assert "no-cache" in response["Cache-Control"]
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
    assert any("/js/app" in url for url in sw["PRECACHE_STATIC"])


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
    assert r"PRIVATE_AREAS.map((area) => new RegExp(`^\\/${LANGUAGE_PREFIX}${area}\\/`))" in body


def test_healthz_answers_when_the_database_does(client):
    response = client.get(reverse("healthz"))
    assert response.status_code == 200 and response.json() == {"status": "ok"}


def test_healthz_says_503_when_the_database_is_down(client, monkeypatch):
    from django.db.backends.utils import CursorWrapper

    def broken(*args, **kwargs):
        raise RuntimeError("database down")

    monkeypatch.setattr(CursorWrapper, "execute", broken)
    response = client.get(reverse("healthz"))
    assert response.status_code == 503


def test_pages_send_a_strict_content_security_policy(client):
    csp = client.get("/")["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp


def test_healthz_answers_a_load_balancer_probe_over_http_by_ip(client, settings):
    settings.ALLOWED_HOSTS = ["crest.example"]
    settings.SECURE_SSL_REDIRECT = True
    response = client.get("/healthz", HTTP_HOST="10.1.2.3:8000")
    assert response.status_code == 200 and response.json() == {"status": "ok"}
    assert client.head("/healthz", HTTP_HOST="10.1.2.3:8000").status_code == 200
    # Anything else still gets the host check and the HTTPS redirect.
    assert client.get("/", HTTP_HOST="10.1.2.3:8000").status_code == 400
    assert client.get("/", HTTP_HOST="crest.example").status_code == 301


def test_pages_answer_head_requests(client):
    for url in ["/", "/lessons/", "/craving/", "/help/", "/offline/"]:
        assert client.head(url).status_code == 200, url


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
