"""Small things found trying the clinic flow as a new user would."""

import re

import pytest
from django.urls import reverse

from tests.factories import make_invite, make_staff

pytestmark = pytest.mark.django_db


def test_the_assigned_block_has_its_heading_above_nothing_assigned(client):
    html = client.get(reverse("home")).content.decode()
    block = re.search(r"<section[^>]*data-assigned.*?</section>", html, re.S)[0]
    assert block.index("<h2") < block.index("Nothing assigned right now")
    assert re.search(r"<h2[^>]*>Assigned by your clinic</h2>", block)


def test_staff_can_sign_out_from_every_clinic_page(client):
    staff = make_staff()
    client.force_login(staff)
    for name in ("clinics:dashboard", "clinics:assign", "clinics:invite_list"):
        html = client.get(reverse(name)).content.decode()
        form = re.search(r'<form method="post" action="([^"]+)"[^>]*data-sign-out>.*?</form>', html, re.S)
        assert form and form[1] == reverse("accounts:logout") and "Sign out" in form[0], name


def test_the_join_links_name_is_words_not_the_code(client):
    staff = make_staff()
    invite = make_invite(clinic=staff.membership.clinic, label="JD-7")
    client.force_login(staff)
    html = client.get(invite.get_absolute_url()).content.decode()
    link = re.search(r"<a [^>]*data-join-link[^>]*>(.*?)</a>", html, re.S)
    assert link[1] == "Join link for JD-7" and invite.code not in link[1]
    # Still there to read and copy, whole (text that wraps, not a one-line field), with a copy button.
    shown = re.search(r'<p class="join-link" id="join-url">([^<]+)</p>', html)
    assert shown and shown[1] == f"http://testserver/join/{invite.code}/"
    assert 'data-copy="join-url"' in html
