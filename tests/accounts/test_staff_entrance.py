"""Staff find their way in from any public page (a footer link that names
no clinic), and after signing out land on a page that says so."""

import re

import pytest
from django.urls import reverse

from tests.factories import make_admin, make_patient, make_staff

pytestmark = pytest.mark.django_db

PUBLIC_PAGES = ["/", "/lessons/", "/craving/", "/help/", "/offline/", "/es/", "/es/help/"]


def footer(html: str) -> str:
    return re.search(r"<footer[^>]*>.*?</footer>", html, re.S)[0]


@pytest.mark.parametrize("path", PUBLIC_PAGES)
def test_every_public_page_has_a_staff_sign_in_link_that_names_no_clinic(client, path):
    foot = footer(client.get(path).content.decode())
    language = "/es" if path.startswith("/es/") else ""
    link = re.search(rf'<a href="{language}/accounts/login/">([^<]+)</a>', foot)
    assert link and link[1] == ("Acceso del personal" if language else "Staff sign-in")
    assert "clinic" not in link[1].lower() and "clínica" not in link[1].lower()


@pytest.mark.parametrize("make", [make_staff, make_admin])
def test_staff_who_sign_out_land_on_the_sign_in_page_told_they_are_signed_out(client, make):
    client.force_login(make())
    response = client.post(reverse("accounts:logout"), follow=True)
    assert response.redirect_chain[-1][0] == reverse("accounts:login")
    page = response.content.decode()
    assert "You are signed out of Crest’s staff pages." in page and "<h1>Sign in</h1>" in page
    assert not response.wsgi_request.user.is_authenticated


def test_in_spanish_staff_are_told_in_spanish(client):
    client.force_login(make_staff())
    response = client.post("/es" + reverse("accounts:logout"), follow=True)
    assert response.redirect_chain[-1][0] == "/es/accounts/login/"
    assert "Cerró sesión en las páginas del personal de Crest." in response.content.decode()


def test_patients_who_sign_out_still_land_on_the_home_screen(client):
    client.force_login(make_patient().user)
    response = client.post(reverse("accounts:logout"))
    assert response.status_code == 302 and response["Location"] == reverse("home")


def test_a_next_address_still_wins_for_staff(client):
    client.force_login(make_staff())
    response = client.post(reverse("accounts:logout"), {"next": "/join/some-code/"})
    assert response["Location"] == "/join/some-code/"


def test_clinic_pages_have_their_own_frame_without_the_patient_menu_or_footer(client):
    staff = make_admin()
    client.force_login(staff)
    for name in ("clinics:dashboard", "clinics:assign", "clinics:invite_list", "clinics:staff", "clinics:audit_log"):
        html = client.get(reverse(name)).content.decode()
        assert 'class="top-nav"' not in html and "<footer" not in html, name
        assert "Add Crest to your home screen" not in html, name
        assert 'class="help-link" href="/help/"' in html and 'class="lang-switch"' in html, name
        assert f"{staff.username}</a>" in html and "data-sign-out" in html, name
