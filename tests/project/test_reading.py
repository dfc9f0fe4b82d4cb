"""Reading comfort, as the server sends it: the phone's own text size is
never fixed or blocked (no pixel font sizes, a viewport that lets a person
zoom), the chosen text size is applied by a tiny classic script before the
styles, read aloud is offered on the pages that have it, and the install
sheet's screenshots are declared, exist at their sizes and stay out of the
offline precache. The browser side is tests/browser/test_reading.py."""

import json
import re
import struct
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

pytestmark = pytest.mark.django_db

STATIC = Path(settings.BASE_DIR) / "static"
# A font size in CSS pixels: `font-size: 13px`, or a `font:` shorthand with one.
PIXEL_FONT = re.compile(r"\bfont(?:-size)?\s*:[^;}]*?\d(?:\.\d+)?px", re.I)
PAGES = [
    "/", "/lessons/", "/lessons/pain-relief/", "/craving/", "/help/", "/offline/", "/me/", "/accounts/login/", "/es/",
]


def test_no_css_file_sets_a_font_size_in_pixels():
    """Android Chrome's text scaling and iOS Dynamic Type reach text sized
    in rem or em (through the root); a pixel size ignores both."""
    sheets = sorted(STATIC.rglob("*.css"))
    assert len(sheets) >= 4
    found = [
        f"{sheet.relative_to(STATIC)}: {match.group(0)}"
        for sheet in sheets
        for match in PIXEL_FONT.finditer(re.sub(r"/\*.*?\*/", "", sheet.read_text(), flags=re.S))
    ]
    assert found == []


def test_the_pixel_font_check_catches_both_spellings():
    assert PIXEL_FONT.search(".a { font-size: 13px; }")
    assert PIXEL_FONT.search(".a { font: 700 12.5px/1.2 system-ui; }")
    assert not PIXEL_FONT.search(".a { font-size: 0.85em; min-height: 44px; }")


class _Head(HTMLParser):
    def __init__(self):
        super().__init__()
        self.viewports: list[str] = []
        self.order: list[tuple[str, dict]] = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "meta" and attrs.get("name") == "viewport":
            self.viewports.append(attrs.get("content", ""))
        if tag in ("script", "link"):
            self.order.append((tag, attrs))


def parse(html: str) -> _Head:
    head = _Head()
    head.feed(html)
    return head


def assert_zoomable(content: str, where: object = "") -> None:
    parts = {k.strip().lower(): v.strip().lower() for k, _, v in (p.partition("=") for p in content.split(","))}
    assert parts.get("width") == "device-width", (where, content)
    assert parts.get("user-scalable", "yes") not in ("no", "0"), (where, content)
    assert "maximum-scale" not in parts and "minimum-scale" not in parts, (where, content)


@pytest.mark.parametrize("path", PAGES)
def test_every_page_lets_a_person_zoom_and_scale_text(client, path):
    head = parse(client.get(path, follow=True).content.decode())
    assert len(head.viewports) == 1
    assert_zoomable(head.viewports[0])


def test_no_template_blocks_zoom():
    templates = [p for p in Path(settings.BASE_DIR).glob("*/templates/**/*.html") if ".venv" not in p.parts]
    viewports = [
        (template, match.group(1))
        for template in templates
        for match in re.finditer(r'<meta name="viewport" content="([^"]*)"', template.read_text())
    ]
    assert viewports
    for template, content in viewports:
        assert_zoomable(content, template)


@pytest.mark.parametrize("path", PAGES)
def test_the_text_size_is_set_by_a_classic_script_before_the_first_stylesheet(client, path):
    """Render-blocking on purpose: the page's first paint is at the chosen
    size. A module, `defer` or `async` script would run after that paint."""
    head = parse(client.get(path, follow=True).content.decode())
    scripts = [attrs for tag, attrs in head.order if tag == "script"]
    sheets = [attrs["href"] for tag, attrs in head.order if tag == "link" and attrs.get("rel") == "stylesheet"]
    [early] = [attrs for attrs in scripts if "text-size-early" in attrs.get("src", "")]
    assert head.order.index(("script", early)) < head.order.index(("link", {"rel": "stylesheet", "href": sheets[0]}))
    assert "defer" not in early and "async" not in early and early.get("type") in (None, "text/javascript")
    assert any("css/reading" in href for href in sheets)


def precached_static(client) -> list[str]:
    body = client.get("/serviceworker.js").content.decode()
    return json.loads(re.search(r"const PRECACHE_STATIC = (\[.*?\]);\n", body)[1])


def test_the_early_script_is_tiny_and_precached(client):
    script = STATIC / "js" / "text-size-early.js"
    assert script.stat().st_size < 600
    assert "import" not in script.read_text() and "export" not in script.read_text()
    precache = precached_static(client)
    assert any("text-size-early" in url for url in precache)
    assert any("css/reading" in url for url in precache)
    assert any("js/read-aloud" in url for url in precache)


@pytest.mark.parametrize(
    ("path", "targets"),
    [
        ("/lessons/pain-relief/", [".lesson-head h1, .lesson-body"]),
        ("/help/", ["main"]),
        ("/es/help/", ["main"]),
        ("/craving/", ["#wave", "#breathing", "#grounding", "#think", "#distractions"]),
    ],
)
def test_read_aloud_is_offered_hidden_until_a_voice_is_found(client, path, targets):
    html = client.get(path).content.decode()
    controls = re.findall(r'<read-aloud class="read-aloud" data-for="([^"]*)" hidden>', html)
    assert controls == targets
    assert html.count("data-read-play") == len(targets)


def test_no_other_page_has_read_aloud(client):
    for path in ("/", "/lessons/", "/offline/", "/me/"):
        assert "<read-aloud" not in client.get(path).content.decode(), path


def png_size(path: Path) -> str:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", path
    width, height = struct.unpack(">II", data[16:24])
    return f"{width}x{height}"


@pytest.mark.parametrize("prefix", ["", "/es"])
def test_the_manifest_has_narrow_and_wide_screenshots_in_its_language(client, prefix):
    manifest = json.loads(client.get(f"{prefix}/manifest.json").content)
    language = manifest["lang"]
    shots = manifest["screenshots"]
    assert {shot["form_factor"] for shot in shots} == {"narrow", "wide"}
    for shot in shots:
        assert shot["src"].startswith(f"/static/screenshots/{language}/"), shot
        assert shot["type"] == "image/png" and shot["label"], shot
        file = STATIC / shot["src"].removeprefix("/static/")
        assert file.is_file(), shot
        assert png_size(file) == shot["sizes"], shot
        width, height = map(int, shot["sizes"].split("x"))
        assert (width < height) == (shot["form_factor"] == "narrow"), shot
        # Small enough for a slow connection at install time.
        assert file.stat().st_size <= 150 * 1024, shot


def test_spanish_screenshots_have_spanish_labels(client):
    english = json.loads(client.get("/manifest.json").content)["screenshots"]
    spanish = json.loads(client.get("/es/manifest.json").content)["screenshots"]
    assert len(english) == len(spanish)
    for en, es in zip(english, spanish, strict=True):
        assert en["label"] != es["label"]
        assert en["sizes"] == es["sizes"] and en["form_factor"] == es["form_factor"]


def test_screenshots_are_not_precached(client):
    """Every phone would download them for nothing: only the install sheet
    shows them."""
    precache = precached_static(client)
    assert precache
    assert not [url for url in precache if "screenshot" in url]
    assert any("/icons/" in url for url in precache)
