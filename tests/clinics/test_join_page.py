"""The join link is passed on by text message or chat: whatever shows in a
link preview or a browser tab must not say which clinic (or that it is one)."""

import re

import pytest

from tests.factories import make_clinic, make_invite

pytestmark = pytest.mark.django_db


def test_join_page_title_and_link_preview_do_not_name_the_clinic(client):
    invite = make_invite(clinic=make_clinic(name="Harbour Methadone Service"))
    html = client.get(invite.get_join_url()).content.decode()
    head = html.split("</head>", 1)[0]
    assert "Harbour" not in head and "Methadone" not in head
    assert re.search(r"<title>[^<]*</title>", head)
    # Previews read these first; they say only what the home screen says.
    assert '<meta property="og:title" content="Crest">' in head
    assert '<meta property="og:description" content="Short lessons and calm tools, on your phone.">' in head
    # The person joining still sees who invited them, on the page itself.
    assert "Harbour Methadone Service" in html.split("</head>", 1)[1]
