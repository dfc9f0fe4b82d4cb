"""The screens that tell a patient to write their passphrase down (joining,
and the new-passphrase link from their clinic), on a phone in English and
Spanish: the suggestion is shown whole, and copies with one tap, or says
plainly when the browser will not copy."""

import re
import secrets
from urllib.parse import urlparse

import pytest
from playwright.sync_api import expect

from devtools.browser import PHONE

from .conftest import new_page

pytestmark = pytest.mark.browser

SETUP = """
from accounts.models import User
from accounts.services import set_password_path
from clinics import services
from clinics.models import Clinic, Membership, Patient
clinic, _ = Clinic.objects.get_or_create(slug='words', defaults={'name': 'Words Clinic'})
admin, _ = User.objects.get_or_create(username='words-admin')
Membership.objects.get_or_create(user=admin, defaults={'clinic': clinic, 'role': 'admin'})
invite = services.invite_create(clinic=clinic, created_by=admin, label='WD-__S__')
user = User.objects.create_user('words-patient-__S__', password='old-passphrase-__S__')
Patient.objects.create(user=user, clinic=clinic, label='WD-__S__-old')
print(invite.get_join_url(), set_password_path(user=user))
"""

LANGUAGES = [
    ("en-US", "", {"copy": "Copy passphrase", "copied": "Copied.", "refused": "This browser would not copy it",
                   "saved": "Your new passphrase is saved"}),
    ("es-US", "/es", {"copy": "Copiar la frase de contraseña", "copied": "Copiado.", "refused": "no lo copió",
                      "saved": "Su frase de contraseña nueva está guardada"}),
]

WHOLE = """(box) => {
  const r = box.getBoundingClientRect();
  return {
    fits: box.scrollHeight <= box.clientHeight + 1 && box.scrollWidth <= box.clientWidth + 1,
    inside: r.left >= 0 && r.right <= document.documentElement.clientWidth,
    lines: Math.round(box.clientHeight / parseFloat(getComputedStyle(box).lineHeight)),
  };
}"""


def links(server) -> tuple[str, str]:
    out = server.manage("shell", "-c", SETUP.replace("__S__", secrets.token_hex(3)))
    return tuple(out.strip().splitlines()[-1].split())


def check_shown_whole_and_copied(page, box, words) -> str:
    passphrase = box.input_value()
    assert len(passphrase.split("-")) == 4
    shown = box.evaluate(WHOLE)
    assert shown["fits"] and shown["inside"], shown
    copy = page.get_by_role("button", name=words["copy"])
    copy.click()
    expect(page.locator("[data-copy-status]")).to_have_text(words["copied"])
    assert page.evaluate("navigator.clipboard.readText()") == passphrase
    return passphrase


@pytest.mark.parametrize("locale, prefix, words", LANGUAGES)
def test_joining_shows_the_whole_passphrase_and_copies_it(browser, server, locale, prefix, words):
    join, _ = links(server)
    context = browser.new_context(base_url=server.url, locale=locale, **PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        page = new_page(context)
        page.goto(prefix + join)
        box = page.locator("textarea[name=passphrase]")
        # The longest passphrase we could suggest still shows whole, over more lines.
        box.fill("unrobed-riddance-uncertain-contentment")
        assert box.evaluate(WHOLE)["fits"]
        box.fill("croon-unmatched-decoy-helium")
        check_shown_whole_and_copied(page, box, words)
        assert page.js_errors == []
    finally:
        context.close()


@pytest.mark.parametrize("locale, prefix, words", LANGUAGES)
def test_when_the_browser_refuses_to_copy_it_says_so_and_selects_the_passphrase(browser, server, locale, prefix, words):
    join, _ = links(server)
    context = browser.new_context(base_url=server.url, locale=locale, **PHONE)
    context.add_init_script("navigator.clipboard.writeText = () => Promise.reject(new Error('not allowed'));")
    try:
        page = new_page(context)
        page.goto(prefix + join)
        page.get_by_role("button", name=words["copy"]).click()
        expect(page.locator("[data-copy-status]")).to_contain_text(words["refused"])
        selected = page.evaluate(
            "(() => { const b = document.activeElement; return b.value.slice(b.selectionStart, b.selectionEnd); })()"
        )
        assert selected == page.locator("textarea[name=passphrase]").input_value()
    finally:
        context.close()


@pytest.mark.parametrize("locale, prefix, words", LANGUAGES)
def test_a_new_passphrase_link_suggests_one_shown_whole_and_leads_home(browser, server, locale, prefix, words):
    _, link = links(server)
    context = browser.new_context(base_url=server.url, locale=locale, **PHONE)
    context.grant_permissions(["clipboard-read", "clipboard-write"])
    try:
        page = new_page(context)
        page.goto(prefix + link)
        box = page.locator("textarea[name=new_password1]")
        passphrase = check_shown_whole_and_copied(page, box, words)
        page.locator("main button[type=submit]").click()
        expect(page.locator("h1")).to_have_text(words["saved"])
        start = page.locator("main a.button")
        assert urlparse(start.get_attribute("href")).path == f"{prefix}/"
        assert re.fullmatch(r"[a-z]+(-[a-z]+){3}", passphrase)
    finally:
        context.close()
