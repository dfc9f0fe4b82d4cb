"""What the service worker precaches, and the version that names its cache.

The version is made of two parts:
- the content version (offline/services.py), a counter in the shared cache
  that moves whenever a lesson or a translation is saved or deleted;
- the deploy fingerprint, a hash of what one deploy renders with: the page
  templates (with the diagrams, the shared steps and the translation
  catalogs that pages render from files), the hashed static URLs, our
  Python code and the pinned packages.
The public page cache keys its pages on the same two parts, so a page kept
on the server and the copy a phone keeps change together. Any change to one
of them gives a new service worker, which installs a fresh cache; an
unchanged deploy keeps the installed one.
"""

import hashlib
from functools import lru_cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles.storage import ManifestFilesMixin, staticfiles_storage
from django.templatetags.static import static
from django.urls import reverse
from django.utils import translation

from lessons.models import Lesson
from lessons.services import shared_files

from .i18n import language_codes
from .services import content_version

# Static folders the app shell needs offline; admin's files are left out.
PRECACHE_STATIC_DIRS = ("css", "js", "icons")
# Files only the pages that are never kept offline use (staff pages, /me/,
# /reminders/, the join and set-password pages): a new phone does not
# download them to install Crest. A page that loads one fetches it online.
PRECACHE_STATIC_LEFT_OUT = frozenset({
    "css/clinic.css",
    "js/pages/copy.js",
    "js/pages/local-dates.js",
    "js/pages/phone-lock.js",
    "js/pages/reminders.js",
    "js/pages/wipe.js",
})
# Python files whose change alters a rendered page (view constants, settings)
# though no template or static file changed.
SOURCE_DIRS = ("project", "offline", "lessons", "craving", "clinics", "accounts", "reminders")


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
                reverse("craving:safety_plan"),
                reverse("craving:help"),
                reverse("reminders:checkin"),  # where a check-in reminder leads, offline too
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


def worker_version() -> str:
    """The service worker's version: the content and the deploy."""
    return hashlib.sha256(f"{content_version()}.{deploy_fingerprint()}".encode()).hexdigest()[:12]


# --- The deploy fingerprint --------------------------------------------------
# Kept in this process's memory in production, and that is safe: it is read
# from files that change only with a deploy (a new process), and is made of
# paths relative to their folders, so the same code gives the same answer in
# every process and on every server. Development reads the files afresh.


def deploy_fingerprint() -> str:
    """What one deploy renders with, besides the lessons in the database. No
    query, and in production computed once per process, so it is cheap
    enough to ask on every request."""
    return _deploy_fingerprint() if settings.DEBUG else _deploy_fingerprint_kept()


@lru_cache(maxsize=1)
def _deploy_fingerprint_kept() -> str:
    return _deploy_fingerprint()


def _deploy_fingerprint() -> str:
    parts = [
        _files_fingerprint(_template_files()),
        _sources_fingerprint(),
        *precache_static(),
        # Development static URLs carry no hash: an edited file would keep
        # its old URL and the worker would serve the old copy from its cache,
        # so the version follows the files' contents instead. (Production
        # URLs are content-hashed already, by ManifestStaticFilesStorage.)
        _files_fingerprint(path for _, path in _static_files()) if settings.DEBUG else "",
    ]
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()[:16]


def static_urls_are_hashed() -> bool:
    """Production's storage puts a hash of each file in its URL: the worker
    may then keep an earlier version's copy of a URL with no request."""
    return isinstance(staticfiles_storage, ManifestFilesMixin)


def precache_static() -> list[str]:
    if settings.DEBUG:
        return [static(name) for name, _ in _static_files() if name not in PRECACHE_STATIC_LEFT_OUT]
    return list(_precache_static_kept())


@lru_cache(maxsize=1)
def _precache_static_kept() -> tuple[str, ...]:
    # The worker script renders this list; in production the static files
    # change only with a deploy, so walk the folders once per process.
    return tuple(static(name) for name, _ in _static_files() if name not in PRECACHE_STATIC_LEFT_OUT)


def _static_files() -> list[tuple[str, Path]]:
    root = Path(settings.BASE_DIR) / "static"
    files = []
    for folder in PRECACHE_STATIC_DIRS:
        for path in sorted((root / folder).rglob("*")):
            if path.is_file() and not path.name.startswith("."):
                files.append((path.relative_to(root).as_posix(), path))
    return files


def _template_files() -> list[Path]:
    base = Path(settings.BASE_DIR)
    templates = sorted(p for p in base.glob("*/templates/**/*") if p.is_file() and ".venv" not in p.parts)
    # Pages also render files that are not templates: the diagrams inside
    # lessons and the shared steps that /help/ shows (lessons/content/_shared).
    diagrams = sorted(Path(settings.LESSONS_DIAGRAMS_DIR).rglob("*.svg"))
    # And the translations: a changed catalog changes the pages' text.
    catalogs = sorted(p for folder in settings.LOCALE_PATHS for p in Path(folder).rglob("*.po"))
    return templates + diagrams + shared_files() + catalogs


def _files_fingerprint(paths) -> str:
    """Each file's name within its folder and its bytes: where the code is
    checked out (or the lessons copied) does not count."""
    roots = [Path(settings.LESSONS_CONTENT_DIR), Path(settings.BASE_DIR), *map(Path, settings.LOCALE_PATHS)]
    digest = hashlib.sha256()
    for path in paths:
        digest.update(_relative(path, roots).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()


def _relative(path: Path, roots: list[Path]) -> str:
    for root in roots:
        if path.is_relative_to(root):
            return path.relative_to(root).as_posix()
    return path.name


@lru_cache(maxsize=1)
def _sources_fingerprint() -> str:
    # Once per process even in development: runserver restarts on a Python
    # change, and a new process computes it afresh.
    base = Path(settings.BASE_DIR)
    paths = sorted(p for folder in SOURCE_DIRS for p in (base / folder).rglob("*.py"))
    requirements = base / "requirements.txt"
    return _files_fingerprint([*paths, requirements] if requirements.is_file() else paths)
