"""What the service worker precaches, and the version that names its cache.

The version is a hash of everything the precache holds: the hashed static
URLs, each lesson's (and each lesson translation's) slug and last change, and
the page templates (with the diagrams, the shared steps and the translation
catalogs that pages render from files). Any deploy
that changes one of them gives a new service worker, which installs a fresh
cache; an unchanged deploy keeps the installed one.
"""

import hashlib
import json
import re
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation

from lessons.models import Lesson, LessonTranslation
from lessons.services import shared_files

from .i18n import language_codes

# Static folders the app shell needs offline; admin's files are left out.
PRECACHE_STATIC_DIRS = ("css", "js", "icons")


def precache_pages() -> dict[str, list[str]]:
    """Each language's pages, in the same order: the worker keeps the pages
    of the languages a person uses (one, until they switch)."""
    lessons = list(Lesson.objects.published())
    pages = {}
    for code in language_codes():
        with translation.override(code):
            catalog = [] if code == settings.LANGUAGE_CODE else [reverse("js_catalog")]
            pages[code] = [
                reverse("home"),
                reverse("lessons:lesson_list"),
                *[lesson.get_absolute_url() for lesson in lessons],
                reverse("craving:toolkit"),
                reverse("craving:help"),
                reverse("offline"),
                *catalog,
            ]
    return pages


def offline_urls() -> dict[str, str]:
    urls = {}
    for code in language_codes():
        with translation.override(code):
            urls[code] = reverse("offline")
    return urls


def _static_files() -> list[tuple[str, Path]]:
    root = Path(settings.BASE_DIR) / "static"
    files = []
    for folder in PRECACHE_STATIC_DIRS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files.append((path.relative_to(root).as_posix(), path))
    return files


@lru_cache(maxsize=1)
def _precache_static_cached() -> tuple[str, ...]:
    return tuple(static(name) for name, _ in _static_files())


def precache_static() -> list[str]:
    # The worker script is fetched on every navigation (update check); in
    # production the static files change only with a deploy, so walk the
    # folder once per process, as for the templates below.
    if settings.DEBUG:
        return [static(name) for name, _ in _static_files()]
    return list(_precache_static_cached())


def _static_contents_fingerprint() -> str:
    """In development static URLs carry no hash, so an edited file would keep
    its old URL and the worker would serve the old copy from its cache: the
    version must follow the files' contents instead."""
    digest = hashlib.sha256()
    for name, path in _static_files():
        digest.update(name.encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _template_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    templates = sorted(p for p in base.glob("*/templates/**/*") if p.is_file() and ".venv" not in p.parts)
    # Pages also render files that are not templates: the diagrams inside
    # lessons and the shared steps that /help/ shows (lessons/content/_shared).
    diagrams = sorted(Path(settings.LESSONS_DIAGRAMS_DIR).rglob("*.svg"))
    # And the translations: a changed catalog changes the pages' text.
    catalogs = sorted(p for folder in settings.LOCALE_PATHS for p in Path(folder).rglob("*.po"))
    return templates + diagrams + shared_files() + catalogs


@lru_cache(maxsize=1)
def _templates_fingerprint_cached() -> str:
    return _templates_fingerprint()


def _templates_fingerprint() -> str:
    digest = hashlib.sha256()
    for path in _template_files():
        digest.update(path.as_posix().encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def templates_fingerprint() -> str:
    # Templates change only with a deploy (a process restart) in production;
    # in development they change under a running server, so read them fresh.
    return _templates_fingerprint() if settings.DEBUG else _templates_fingerprint_cached()


# Python files whose change alters a rendered page (view constants, settings)
# though no template or static file changed.
SOURCE_DIRS = ("project", "lessons", "craving", "clinics", "accounts")


@lru_cache(maxsize=1)
def _sources_fingerprint() -> str:
    # Once per process even in development: runserver restarts on a Python
    # change, and a new process computes it afresh.
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    for path in sorted(p for folder in SOURCE_DIRS for p in (base / folder).rglob("*.py")):
        digest.update(path.relative_to(base).as_posix().encode())
        digest.update(path.read_bytes())
    requirements = base / "requirements.txt"
    if requirements.is_file():
        digest.update(requirements.read_bytes())
    return digest.hexdigest()


def deploy_fingerprint() -> str:
    """What one deploy renders with, besides the lessons in the database:
    templates, hashed static URLs, our Python code and the pinned packages.
    No query, and in production computed once per process, so it is cheap
    enough to ask on every request; development reads templates and static
    files fresh."""
    return _deploy_fingerprint() if settings.DEBUG else _deploy_fingerprint_cached()


@lru_cache(maxsize=1)
def _deploy_fingerprint_cached() -> str:
    return _deploy_fingerprint()


def _deploy_fingerprint() -> str:
    parts = [
        templates_fingerprint(),
        _sources_fingerprint(),
        *precache_static(),
        _static_contents_fingerprint() if settings.DEBUG else "",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def cache_version(pages: dict[str, list[str]], static_urls: list[str]) -> str:
    lessons = list(Lesson.objects.published().values_list("slug", "updated_at"))
    translations = list(
        LessonTranslation.objects.filter(lesson__in=Lesson.objects.published())
        .order_by("lesson__slug", "language")
        .values_list("lesson__slug", "language", "updated_at")
    )
    payload = json.dumps(
        {
            "pages": pages,
            "static": static_urls,
            "lessons": [[slug, updated.isoformat()] for slug, updated in lessons],
            "translations": [[slug, code, updated.isoformat()] for slug, code, updated in translations],
            "templates": templates_fingerprint(),
            # Production URLs are content-hashed already (ManifestStaticFilesStorage).
            "static_contents": _static_contents_fingerprint() if settings.DEBUG else "",
        },
        sort_keys=True,
    )
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


# The service worker sends the outbox for Background Sync with the pages' own
# code: these ES modules, in this order, turned into one classic script (a
# module service worker is too new to rely on). Each may name only the ones
# before it, on single-line `import {...} from "./x.js";` lines.
WORKER_MODULES = ("js/db.js", "js/outbox.js")
_IMPORT_LINE = re.compile(r'^import \{[^}]*\} from "\./[\w-]+\.js";\n', re.M)
_EXPORT = re.compile(r"^export (?=(?:async )?function|const|let|class)", re.M)


def _worker_code() -> str:
    parts = []
    for name in WORKER_MODULES:
        source = Path(finders.find(name)).read_text()
        parts.append(f"// --- {name}\n" + _EXPORT.sub("", _IMPORT_LINE.sub("", source)))
    body = "\n".join(parts)
    if re.search(r"^(import|export)\b", body, re.M):
        raise ValueError("a worker module has an import or export this conversion does not handle")
    return "const CrestOutbox = (() => {\n" + body + "\nreturn { flush, SYNC_TAG };\n})();"


@lru_cache(maxsize=1)
def _worker_code_cached() -> str:
    return _worker_code()


def worker_code() -> str:
    """db.js and outbox.js as classic code for the service worker, exposing
    CrestOutbox.flush and CrestOutbox.SYNC_TAG. Read once per process in
    production (static files change only with a deploy)."""
    return _worker_code() if settings.DEBUG else _worker_code_cached()
