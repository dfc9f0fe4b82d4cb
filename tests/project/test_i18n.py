"""English at the plain URLs, Spanish under /es/; a phone set to Spanish is
sent there; the choice is a cookie set by a link on every page."""

import re

import pytest
from django.test import Client as DjangoClient
from django.utils import translation

from accounts.services import set_password_path
from clinics.models import Membership, Patient
from tests.factories import make_invite, make_patient, make_staff

pytestmark = pytest.mark.django_db

NAVIGATE = {"HTTP_SEC_FETCH_MODE": "navigate", "HTTP_ACCEPT": "text/html"}
SPANISH_PHONE = {**NAVIGATE, "HTTP_ACCEPT_LANGUAGE": "es-US,es;q=0.9,en;q=0.5"}
PUBLIC = ["/", "/lessons/", "/lessons/two-forces/", "/craving/", "/help/", "/offline/"]


class TestLanguageRedirect:
    @pytest.mark.parametrize("path", PUBLIC + ["/me/", "/accounts/login/"])
    def test_a_phone_set_to_spanish_gets_the_spanish_twin(self, client, path):
        response = client.get(path, **SPANISH_PHONE)
        assert response.status_code == 302 and response["Location"] == f"/es{path}"
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}
        assert "no-cache" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]

    def test_the_query_string_goes_along(self, client):
        response = client.get("/lessons/?from=home", **SPANISH_PHONE)
        assert response["Location"] == "/es/lessons/?from=home"

    def test_an_english_phone_stays_and_the_answer_says_it_varies(self, client):
        response = client.get("/", **NAVIGATE, HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9")
        assert response.status_code == 200
        assert {"Accept-Language", "Cookie"} <= {v.strip() for v in response["Vary"].split(",")}

    def test_the_saved_choice_wins_over_the_browser(self, client):
        client.cookies["django_language"] = "en"
        assert client.get("/", **SPANISH_PHONE).status_code == 200
        client.cookies["django_language"] = "es"
        response = client.get("/help/", **NAVIGATE, HTTP_ACCEPT_LANGUAGE="en")
        assert response["Location"] == "/es/help/"

    def test_only_navigations_are_sent_elsewhere(self, client):
        """The service worker's precache asks for / in English whatever the
        phone's language; scripts and the manifest fetch are not pages."""
        headers = {"HTTP_ACCEPT_LANGUAGE": "es", "HTTP_SEC_FETCH_MODE": "same-origin"}
        assert client.get("/", **headers).status_code == 200
        assert client.get("/manifest.json", HTTP_ACCEPT_LANGUAGE="es").status_code == 200

    @pytest.mark.parametrize("path", ["/api/v1/me/assignments/", "/serviceworker.js", "/healthz", "/admin/login/"])
    def test_paths_with_one_address_are_never_redirected(self, client, path):
        response = client.get(path, **SPANISH_PHONE)
        assert not (response.status_code == 302 and response["Location"].startswith("/es/"))

    def test_a_spanish_page_is_never_sent_back(self, client):
        client.cookies["django_language"] = "en"
        assert client.get("/es/help/", **NAVIGATE).status_code == 200

    def test_posts_are_left_alone(self, client):
        response = client.post("/accounts/login/", {"username": "x", "password": "y"}, **SPANISH_PHONE)
        assert response.status_code != 302 or not response["Location"].startswith("/es/")


class TestLanguageSwitch:
    def test_the_switch_saves_the_choice_and_goes_to_the_twin(self, client):
        response = client.get("/language/es/?next=/lessons/two-forces/")
        assert response.status_code == 302 and response["Location"] == "/es/lessons/two-forces/"
        cookie = response.cookies["django_language"]
        assert cookie.value == "es" and cookie["path"] == "/" and int(cookie["max-age"]) >= 60 * 60 * 24 * 300
        assert cookie["samesite"] == "Lax" and not cookie["httponly"]
        assert "no-store" in response["Cache-Control"]
        back = client.get("/language/en/?next=/es/lessons/two-forces/")
        assert back["Location"] == "/lessons/two-forces/" and back.cookies["django_language"].value == "en"

    @pytest.mark.parametrize("next_url", ["https://evil.example/", "//evil.example/x", ""])
    def test_a_next_elsewhere_goes_home_instead(self, client, next_url):
        response = client.get("/language/es/", {"next": next_url})
        assert response["Location"] == "/es/"

    def test_an_unknown_language_is_a_404(self, client):
        assert client.get("/language/fr/?next=/").status_code == 404

    @pytest.mark.parametrize("path", PUBLIC)
    def test_every_page_has_the_switch_named_in_its_own_language(self, client, path):
        english = client.get(path).content.decode()
        spanish = client.get(f"/es{path}").content.decode()
        link = re.search(r'<a href="([^"]+)" lang="es" hreflang="es" data-language-switch="es">Español</a>', english)
        assert link and link.group(1).startswith("/language/es/?next=")
        english_link = (
            r'<a href="/language/en/\?next=[^"]+" lang="en" hreflang="en" data-language-switch="en">English</a>'
        )
        assert re.search(english_link, spanish)

    def test_signed_in_pages_have_the_switch_too(self, client):
        patient = make_patient()
        client.force_login(patient.user)
        assert 'data-language-switch="es">Español</a>' in client.get("/me/").content.decode()
        assert 'data-language-switch="en">English</a>' in client.get("/es/me/").content.decode()


class TestPagesInEachLanguage:
    @pytest.mark.parametrize("path", PUBLIC)
    def test_lang_attribute_and_hreflang_alternates(self, client, path):
        for prefix, code in (("", "en"), ("/es", "es")):
            html = client.get(f"{prefix}{path}").content.decode()
            assert f'<html lang="{code}">' in html
            alternates = dict(re.findall(r'<link rel="alternate" hreflang="([\w-]+)" href="([^"]+)">', html))
            assert alternates == {
                "en": f"http://testserver{path}",
                "es": f"http://testserver/es{path}",
                "x-default": f"http://testserver{path}",
            }

    def test_spanish_pages_load_the_script_strings_and_english_pages_do_not(self, client):
        assert '<script defer src="/es/jsi18n.js"></script>' in client.get("/es/").content.decode()
        assert "jsi18n" not in client.get("/").content.decode()
        catalog = client.get("/es/jsi18n.js")
        assert catalog["Content-Type"].startswith("text/javascript")
        body = catalog.content.decode()
        assert body.startswith('"use strict";') and "globalThis.crestCatalog" in body
        assert '"Breathe in": "Tome aire"' in body
        # Only Crest's own strings, not the admin's.
        assert "Choose a Date" not in body

    def test_the_api_has_one_address(self, client):
        assert client.get("/api/v1/me/assignments/").status_code == 200
        assert client.get("/es/api/v1/me/assignments/").status_code == 404

    def test_the_spanish_manifest_is_linked_from_spanish_pages(self, client):
        assert '<link rel="manifest" href="/es/manifest.json">' in client.get("/es/help/").content.decode()
        assert '<link rel="manifest" href="/manifest.json">' in client.get("/help/").content.decode()

    def test_a_login_required_page_sends_a_spanish_reader_to_the_spanish_sign_in(self):
        response = DjangoClient().get("/es/me/export.json")
        assert response.status_code == 302 and response["Location"].startswith("/es/accounts/login/?next=/es/me/")


def test_the_second_factor_guards_clinic_pages_in_every_language():
    staff = make_staff()
    client = DjangoClient()
    client.force_login(staff)  # password only: no second factor yet
    for path in ("/clinic/", "/es/clinic/", "/es/me/"):
        response = client.get(path)
        assert response.status_code == 302 and "two-factor" in response["Location"], path


class TestPatientLanguage:
    def test_joining_in_spanish_keeps_the_language_while_sharing_and_the_clinic_sees_it(self, client):
        invite = make_invite()
        page = client.get(f"/es/join/{invite.code}/")
        assert page.status_code == 200
        client.post(f"/es/join/{invite.code}/", {"username": "rio-azul-7", "passphrase": "a-long-test-passphrase-42"})
        patient = Patient.objects.get(user__username="rio-azul-7")
        with translation.override("en"):
            assert patient.language == "es" and patient.language_name == "Spanish"
        staff = make_staff(clinic=patient.clinic)
        clinician = type(client)()
        clinician.force_login(staff)
        page_url = f"/clinic/patients/{patient.pk}/"
        assert "Reads Crest in: Spanish" in clinician.get(page_url).content.decode()
        # A Spanish-reading clinician reads the name in Spanish, as every word around it.
        assert "Lee Crest en: español" in clinician.get(f"/es{page_url}").content.decode()

        client.post("/me/sharing/", {"category": "lessons", "share": "off"})
        patient.refresh_from_db()
        assert patient.language == "" and patient.language_name == ""
        assert "Reads Crest in" not in clinician.get(page_url).content.decode()

        client.post("/es/me/sharing/", {"category": "lessons", "share": "on"})
        patient.refresh_from_db()
        assert patient.language == "es"


class TestSecretLinks:
    """Invite and set-password links have one address in every language: a
    redirect to /es/… would write the secret into a second log line (and
    into Spanish paths that proxies may not redact). The page is in the
    language the phone wants, at the address the link gave."""

    def test_an_invite_link_is_answered_in_spanish_where_it_is(self, client):
        invite = make_invite()
        response = client.get(invite.get_join_url(), **SPANISH_PHONE)
        assert response.status_code == 200
        assert '<html lang="es">' in response.content.decode()
        joining = {"username": "rio-azul-8", "passphrase": "a-long-test-passphrase-42"}
        client.post(invite.get_join_url(), joining, HTTP_ACCEPT_LANGUAGE="es-US,es;q=0.9")
        assert Patient.objects.get(user__username="rio-azul-8").language == "es"

    def test_a_set_password_link_is_answered_in_spanish_where_it_is(self, client):
        patient = make_patient()
        response = client.get(set_password_path(user=patient.user), **SPANISH_PHONE)
        assert response.status_code == 302 and not response["Location"].startswith("/es/")
        form = client.get(response["Location"], **SPANISH_PHONE)
        assert form.status_code == 200 and '<html lang="es">' in form.content.decode()

    def test_links_made_on_spanish_pages_have_no_language_prefix(self, client):
        admin = make_staff(role=Membership.Role.ADMIN)
        client.force_login(admin)
        newcomer = client.post("/es/clinic/staff/", {"username": "dr-nuevo", "role": "clinician"})
        assert newcomer.status_code == 302
        staff_page = client.get("/es/clinic/staff/").content.decode()
        assert re.search(r"http://testserver/accounts/set-password/", staff_page)
        assert "/es/accounts/set-password/" not in staff_page
        invite = client.post("/es/clinic/invites/", {"label": "AB-1"})
        detail = client.get(invite["Location"]).content.decode()
        assert re.search(r"http://testserver/join/[\w-]+/", detail) and "/es/join/" not in detail
        patient = make_patient(clinic=admin.membership.clinic)
        link_page = client.post(f"/es/clinic/patients/{patient.pk}/passphrase-link/").content.decode()
        assert "http://testserver/accounts/set-password/" in link_page
        assert "/es/accounts/set-password/" not in link_page

    def test_the_switch_on_a_secret_page_keeps_its_address(self, client):
        invite = make_invite()
        page = client.get(invite.get_join_url()).content.decode()
        switch = re.search(r'href="(/language/es/\?next=[^"]+)"', page).group(1).replace("&amp;", "&")
        response = client.get(switch)
        assert response.status_code == 302 and response["Location"] == invite.get_join_url()
        assert '<html lang="es">' in client.get(response["Location"]).content.decode()
