"""The Spanish catalogs (locale/es/LC_MESSAGES): every string translated,
none fuzzy, the same placeholders, and the same words rules as the Spanish
lessons (docs/glossary-es.md): person-first, "usted"."""

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import polib
import pytest
from django.conf import settings

from tests.lessons.test_spanish_content import STIGMA_ES, TU_FORMS, fold

CATALOGS = sorted((Path(settings.BASE_DIR) / "locale").glob("*/LC_MESSAGES/*.po"))
PLACEHOLDER = re.compile(r"%\((\w+)\)s|%s|%d")
TAG = re.compile(r"<[^>]+>")


def entries():
    for path in CATALOGS:
        for entry in polib.pofile(str(path)):
            yield path, entry


def translations(entry) -> list[str]:
    return list(entry.msgstr_plural.values()) if entry.msgid_plural else [entry.msgstr]


def test_there_is_a_spanish_catalog_for_templates_and_for_scripts():
    names = {(path.parts[-3], path.name) for path in CATALOGS}
    assert {("es", "django.po"), ("es", "djangojs.po")} <= names


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_every_string_has_a_translation_and_none_is_fuzzy(path):
    catalog = polib.pofile(str(path))
    assert not catalog.metadata_is_fuzzy, path
    assert len(catalog) > 50, "the catalog looks empty: run makemessages"
    untranslated = [e.msgid for e in catalog if not all(t.strip() for t in translations(e))]
    fuzzy = [e.msgid for e in catalog if "fuzzy" in e.flags]
    assert untranslated == [], untranslated
    assert fuzzy == [], fuzzy


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_the_catalog_is_up_to_date_with_the_code(path, tmp_path):
    """A string added to a template or a script but not to the catalog would
    show in English on a Spanish page: makemessages must find nothing new."""
    known = {(e.msgctxt, e.msgid) for e in polib.pofile(str(path))}
    fresh = polib.pofile(str(extract(path.stem, tmp_path)))
    assert len(fresh) > 50, "makemessages found nothing: the check itself is broken"
    new = sorted(msgid for _, msgid in {(e.msgctxt, e.msgid) for e in fresh} - known)
    assert new == [], f"not in {path.name}: run makemessages and translate {new}"


def extract(domain: str, tmp_path: Path) -> Path:
    """What makemessages finds in the code now, run on a copy so locale/ is
    left alone."""
    work = tmp_path / "project"
    shutil.copytree(
        settings.BASE_DIR,
        work,
        ignore=shutil.ignore_patterns(".venv", ".git", "staticfiles", "tests", "node_modules", "*.sqlite3*", "locale"),
    )
    (work / "locale").mkdir()
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "--locale", "es", "--domain", domain, "--no-location",
         "--ignore", "bench", "--ignore", "scripts"],
        cwd=work, check=True, capture_output=True, env={**os.environ, "DJANGO_DEBUG": "1"},
    )
    return work / "locale" / "es" / "LC_MESSAGES" / f"{domain}.po"


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_translations_keep_every_placeholder_and_link(path):
    for entry in polib.pofile(str(path)):
        source = entry.msgid_plural or entry.msgid
        for text in translations(entry):
            assert set(PLACEHOLDER.findall(text)) == set(PLACEHOLDER.findall(source)), entry.msgid
            assert sorted(TAG.findall(text)) == sorted(TAG.findall(source)), entry.msgid


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_spanish_strings_use_person_first_words(path):
    for entry in polib.pofile(str(path)):
        for text in translations(entry):
            # An agency's name is written as its acronym; a proper noun is no label.
            match = STIGMA_ES.search(fold(TAG.sub(" ", text)))
            assert match is None, (entry.msgid, match and match.group(0))


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_spanish_strings_speak_to_the_reader_as_usted(path):
    for entry in polib.pofile(str(path)):
        for text in translations(entry):
            match = TU_FORMS.search(TAG.sub(" ", text))
            assert match is None, (entry.msgid, match and match.group(0))


SPANISH_PAGES = ["/es/", "/es/lessons/", "/es/craving/", "/es/help/", "/es/offline/", "/es/me/", "/es/accounts/login/"]


def spanish_page_texts(client) -> list[tuple[str, str]]:
    from lessons.models import Lesson
    from tests.content.test_safety import text_of

    urls = SPANISH_PAGES + [f"/es{lesson.get_absolute_url()}" for lesson in Lesson.objects.published()]
    pages = []
    for url in urls:
        html = client.get(url).content.decode()
        # Link targets are not text; an English name (lang="en") is no Spanish word.
        html = re.sub(r'href="[^"]*"', "", html)
        html = re.sub(r'<(\w+)[^>]*\blang="en"[^>]*>.*?</\1>', " ", html, flags=re.S)
        pages.append((url, text_of(html)))
    return pages


@pytest.mark.django_db
def test_every_spanish_page_uses_person_first_words_and_usted(client):
    for url, text in spanish_page_texts(client):
        stigma = STIGMA_ES.search(fold(text))
        assert stigma is None, (url, stigma and stigma.group(0))
        tu = TU_FORMS.search(text)
        assert tu is None, (url, tu and tu.group(0))


# Spanish that read like a machine (issue 21): each was in a catalog once.
MACHINE_LIKE = {
    "Lea un minuto": "“Read for a minute” as an order to read for one minute",
    "Unos 1": "a plural article before the number one",
    "unos %(minutes)s minuto ": "a plural article in the singular form",
    "Noche temprana": "not how anyone names 6 p.m. to midnight",
    "En la calle": "“on the street”, for “out and about”",
    "quédese con las ganas": "reads as “tough luck”",
    "se quedó con las ganas": "reads as “you missed out”",
    "“benzos”": "name the medicines people know",
}


@pytest.mark.parametrize("path", CATALOGS, ids=lambda p: f"{p.parts[-3]}/{p.name}")
def test_no_machine_like_spanish(path):
    for entry in polib.pofile(str(path)):
        for text in translations(entry):
            for phrase, why in MACHINE_LIKE.items():
                assert phrase.lower() not in text.lower(), (entry.msgid, phrase, why)


def test_csv_column_names_keep_their_accents():
    catalog = polib.pofile(str(Path(settings.BASE_DIR) / "locale" / "es" / "LC_MESSAGES" / "djangojs.po"))
    columns = {e.msgid: e.msgstr for e in catalog if e.msgctxt == "CSV column"}
    assert columns["after"] == "después" and "á" in columns["halt"]
    assert not {"empezo", "termino", "despues", "revision_rapida"} & set(columns.values())


@pytest.mark.django_db
def test_one_minute_reads_as_one_minute_in_spanish():
    from django.template import Context, Template
    from django.utils import translation

    template = Template(
        "{% load i18n %}{% blocktranslate count minutes=n trimmed %}About {{ minutes }} minute to read"
        "{% plural %}About {{ minutes }} minutes to read{% endblocktranslate %}"
    )
    with translation.override("es"):
        assert template.render(Context({"n": 1})) == "Aproximadamente 1 minuto de lectura"
        assert template.render(Context({"n": 4})) == "Unos 4 minutos de lectura"
