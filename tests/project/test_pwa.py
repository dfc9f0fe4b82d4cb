import json

import pytest
from django.urls import reverse

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
