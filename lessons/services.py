"""Loading lessons from their Markdown files, and turning a lesson body into
safe HTML.

English files live in the content folder itself; each other language has a
folder of its own (`es/`) with files of the same slugs, its own `_shared/`
steps, and its own diagrams (`lessons/diagrams/es/`). A text or diagram not
written yet in a language falls back to English, marked lang="en"."""

import re
from dataclasses import dataclass, field
from pathlib import Path

import markdown
import nh3
import yaml
from django.conf import settings
from django.db import transaction
from django.utils import translation
from django.utils.html import format_html
from django.utils.safestring import SafeString, mark_safe
from django.utils.text import slugify

from .models import Lesson, LessonTranslation
from .quiz import QuizError, scored_count, validate_quiz

FRONT_MATTER = re.compile(r"\A---[ \t]*\r?\n(.*?)\r?\n---[ \t]*\r?\n?(.*)\Z", re.DOTALL)
DIAGRAM_LINE = re.compile(r"<p>\[\[diagram:([a-z0-9-]+)\]\]</p>")
# A line of its own, `[[steps:NAME]]`, stands for `_shared/NAME-steps.md` in
# the content folder: one text used by several lessons and by /help/, so the
# copies cannot drift apart.
STEPS_LINE = re.compile(r"^\[\[steps:([a-z0-9-]+)\]\][ \t]*$", re.MULTILINE)
SHARED_FOLDER = "_shared"
SVG_TITLE = re.compile(r"<title[^>]*>(.*?)</title>", re.DOTALL)

# What a lesson body may contain once rendered. Staff edit lessons in the
# admin, so the HTML is sanitised whatever its origin.
ALLOWED_TAGS = {
    "p", "h2", "h3", "h4", "ul", "ol", "li", "strong", "em", "a", "blockquote",
    "code", "pre", "hr", "br", "table", "thead", "tbody", "tr", "th", "td",
    # "For the curious" boxes: harder terms, folded away from the main text.
    "details", "summary",
}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "th": {"scope"}}
ALLOWED_URL_SCHEMES = {"https", "http", "mailto", "tel"}


class LessonFileError(ValueError):
    """A lesson file that cannot be loaded; the message names the file."""

    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        self.problem = problem
        super().__init__(f"{path}: {problem}")


@dataclass
class LoadResult:
    created: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    unpublished: list[str] = field(default_factory=list)
    # "slug (es)" for each translation.
    translations_created: list[str] = field(default_factory=list)
    translations_updated: list[str] = field(default_factory=list)
    translations_unchanged: list[str] = field(default_factory=list)
    translations_removed: list[str] = field(default_factory=list)


def other_languages() -> list[str]:
    return [code for code, _ in settings.LANGUAGES if code != settings.LANGUAGE_CODE]


def content_dir_for(language: str, content_dir: Path | None = None) -> Path:
    """Where a language's lesson files are: the content folder for English,
    its `<language>/` folder for the others."""
    base = Path(content_dir or settings.LESSONS_CONTENT_DIR)
    return base if language == settings.LANGUAGE_CODE else base / language


def shared_dir(content_dir: Path | None = None) -> Path:
    return Path(content_dir or settings.LESSONS_CONTENT_DIR) / SHARED_FOLDER


def shared_files(content_dir: Path | None = None) -> list[Path]:
    """Every shared text in every language, for the service worker's version."""
    base = Path(content_dir or settings.LESSONS_CONTENT_DIR)
    return sorted(base.glob(f"{SHARED_FOLDER}/*.md")) + sorted(base.glob(f"*/{SHARED_FOLDER}/*.md"))


def steps_markdown(name: str, *, content_dir: Path | None = None) -> str:
    """The Markdown of one shared list of steps; FileNotFoundError if there is none."""
    return (shared_dir(content_dir) / f"{name}-steps.md").read_text(encoding="utf-8").strip()


def steps_expand(body: str, *, content_dir: Path | None = None, strict: bool = True) -> str:
    """Replace each `[[steps:NAME]]` line with the shared steps it names.

    The loader expands them (strictly: an unknown name is an error), so a
    lesson's stored text, its reading time and its `updated_at` follow the
    shared file. Rendering expands again, leniently, for lessons written in
    the admin.
    """

    def replace(match: re.Match) -> str:
        try:
            return steps_markdown(match.group(1), content_dir=content_dir)
        except FileNotFoundError:
            if strict:
                raise
            return ""

    return STEPS_LINE.sub(replace, body)


def steps_html(name: str, *, language: str | None = None) -> SafeString:
    """One shared list of steps as HTML, for pages (like /help/) that show it
    outside a lesson: the very same rendering a lesson gives it, in the
    active language, or in English (marked lang="en") if that language has
    no such file yet."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    try:
        return lesson_body_html(steps_markdown(name, content_dir=content_dir_for(language)), language=language)
    except FileNotFoundError:
        if language == settings.LANGUAGE_CODE:
            raise
    english = lesson_body_html(steps_markdown(name), language=settings.LANGUAGE_CODE)
    return format_html('<div lang="{}">{}</div>', settings.LANGUAGE_CODE, english)


def lesson_file_parse(path: Path) -> dict:
    """Read one lesson file into the fields of a Lesson, or raise
    LessonFileError naming the file and what is wrong with it. (A
    translation's file is read the same way; only its text is used.)"""
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise LessonFileError(path, f"cannot be read ({error})") from error
    match = FRONT_MATTER.match(text)
    if not match:
        raise LessonFileError(path, "must start with front matter between two '---' lines")
    front, body = match.groups()
    try:
        meta = yaml.safe_load(front)
    except yaml.YAMLError as error:
        raise LessonFileError(path, f"front matter is not valid YAML ({error})") from error
    if not isinstance(meta, dict):
        raise LessonFileError(path, "front matter must be a mapping of keys to values")
    for key in ("slug", "title"):
        if not str(meta.get(key) or "").strip():
            raise LessonFileError(path, f"front matter needs '{key}'")
    slug = str(meta["slug"]).strip()
    if slugify(slug) != slug:
        raise LessonFileError(path, f"slug '{slug}' may only hold lowercase letters, digits and hyphens")
    kind = meta.get("kind", Lesson.Kind.LESSON)
    if kind not in Lesson.Kind.values:
        raise LessonFileError(path, f"kind '{kind}' must be one of {', '.join(Lesson.Kind.values)}")
    order = meta.get("order", 100)
    if not isinstance(order, int) or order < 0:
        raise LessonFileError(path, f"order must be a whole number, got {order!r}")
    quiz = meta.get("quiz") or []
    try:
        validate_quiz(quiz)
    except QuizError as error:
        raise LessonFileError(path, f"quiz: {error}") from error
    sources = meta.get("sources") or []
    if not isinstance(sources, list) or not all(isinstance(s, dict) and s.get("title") for s in sources):
        raise LessonFileError(path, "sources must be a list of entries with a 'title' (and an optional 'url')")
    if not body.strip():
        raise LessonFileError(path, "has no lesson text after the front matter")
    try:
        body = steps_expand(body, content_dir=path.parent)
    except FileNotFoundError as error:
        raise LessonFileError(path, f"names shared steps that do not exist ({error.filename})") from error
    return {
        "slug": slug,
        "title": str(meta["title"]).strip(),
        "summary": str(meta.get("summary") or "").strip(),
        "kind": kind,
        "order": order,
        "body": body.strip() + "\n",
        "quiz": quiz,
        "sources": sources,
        "source_file": path.name,
    }


def _parse_folder(directory: Path) -> list[dict]:
    parsed = [lesson_file_parse(path) for path in sorted(directory.glob("*.md"))]
    seen: dict[str, str] = {}
    for fields in parsed:
        if fields["slug"] in seen:
            raise LessonFileError(
                directory / fields["source_file"], f"slug '{fields['slug']}' is also used by {seen[fields['slug']]}"
            )
        seen[fields["slug"]] = fields["source_file"]
    return parsed


TEXT_FIELDS = ("title", "summary", "body", "quiz", "sources", "source_file")


@transaction.atomic
def lessons_load(*, directory: Path | None = None) -> LoadResult:
    """Create or update a Lesson for every `*.md` file in `directory`, and a
    LessonTranslation for every file in its language folders (`es/*.md`).

    Matching is by slug, so re-running after an edit updates the text in
    place (assignments keep pointing at it). A row is saved only when a
    field changed, so `updated_at` and the content version that the public
    pages and the service worker follow (offline/services.py) move only on
    a real change. A lesson whose file is gone is
    unpublished, not deleted: clinics may have assigned it. A translation
    whose file is gone is deleted (nothing points at it): readers get the
    English text. A translation must name the slug of an English file and
    score its check out of as many questions, since a clinic sees one score.
    """
    directory = Path(directory or settings.LESSONS_CONTENT_DIR)
    parsed = _parse_folder(directory)
    seen = {fields["slug"]: fields for fields in parsed}

    result = LoadResult()
    existing = {lesson.slug: lesson for lesson in Lesson.objects.filter(slug__in=seen)}
    for fields in parsed:
        lesson = existing.get(fields["slug"])
        if lesson is None:
            existing[fields["slug"]] = Lesson.objects.create(**fields, published=True)
            result.created.append(fields["slug"])
            continue
        changed = [name for name, value in fields.items() if getattr(lesson, name) != value]
        if not lesson.published:
            lesson.published = True
            changed.append("published")
        if changed:
            for name in changed:
                setattr(lesson, name, fields.get(name, getattr(lesson, name)))
            lesson.save()
            result.updated.append(lesson.slug)
        else:
            result.unchanged.append(lesson.slug)

    # One save each, not a queryset update: a save is what tells the offline
    # app that the public pages changed (offline/apps.py).
    for lesson in Lesson.objects.exclude(source_file="").exclude(slug__in=seen).filter(published=True):
        lesson.published = False
        lesson.save(update_fields=["published", "updated_at"])
        result.unpublished.append(lesson.slug)

    for language in other_languages():
        _translations_load(directory, language, seen, existing, result)
    return result


def _translations_load(directory: Path, language: str, english: dict, lessons: dict, result: LoadResult) -> None:
    folder = content_dir_for(language, directory)
    parsed = _parse_folder(folder) if folder.is_dir() else []
    for fields in parsed:
        path = folder / fields["source_file"]
        if fields["slug"] not in english:
            raise LessonFileError(path, f"slug '{fields['slug']}' has no English lesson file with that slug")
        expected = scored_count(english[fields["slug"]]["quiz"])
        if scored_count(fields["quiz"]) != expected:
            raise LessonFileError(
                path, f"quiz: has {scored_count(fields['quiz'])} scored questions; the English lesson has {expected}"
            )
    existing = {
        t.lesson.slug: t
        for t in LessonTranslation.objects.filter(language=language, lesson__source_file__gt="").select_related(
            "lesson"
        )
    }
    for fields in parsed:
        text = {name: fields[name] for name in TEXT_FIELDS}
        label = f"{fields['slug']} ({language})"
        current = existing.pop(fields["slug"], None)
        if current is None:
            LessonTranslation.objects.create(lesson=lessons[fields["slug"]], language=language, **text)
            result.translations_created.append(label)
            continue
        changed = [name for name, value in text.items() if getattr(current, name) != value]
        if changed:
            for name in changed:
                setattr(current, name, text[name])
            current.save()
            result.translations_updated.append(label)
        else:
            result.translations_unchanged.append(label)
    for slug, gone in existing.items():
        if gone.source_file:
            result.translations_removed.append(f"{slug} ({language})")
            gone.delete()


def _diagram_html(name: str, language: str) -> str:
    """A diagram drawn for this language (`diagrams/es/NAME.svg`), or the
    English one, marked lang="en", when it has none yet."""
    base = Path(settings.LESSONS_DIAGRAMS_DIR)
    path, used = base / f"{name}.svg", settings.LANGUAGE_CODE
    if language != settings.LANGUAGE_CODE and (base / language / f"{name}.svg").is_file():
        path, used = base / language / f"{name}.svg", language
    if not path.is_file():
        return ""
    # Diagrams are files in the repo (reviewed like code), not staff input.
    svg = path.read_text(encoding="utf-8").strip()
    title_match = SVG_TITLE.search(svg)
    caption = title_match.group(1).strip() if title_match else ""
    lang = format_html(' lang="{}"', used) if used != language else ""
    return format_html(
        '<figure class="diagram"{}>{}<figcaption>{}</figcaption></figure>', lang, mark_safe(svg), caption
    )


def lesson_body_html(body: str, *, language: str | None = None) -> SafeString:
    """Markdown → sanitised HTML, with `[[diagram:NAME]]` lines replaced by
    the diagram's inline SVG and `[[steps:NAME]]` lines by the shared steps,
    both in `language` (the active one unless given)."""
    language = language or translation.get_language() or settings.LANGUAGE_CODE
    body = steps_expand(body, content_dir=content_dir_for(language), strict=False)
    raw = markdown.markdown(body, extensions=["sane_lists", "tables", "md_in_html"], output_format="html")
    clean = nh3.clean(
        raw,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="noopener noreferrer",
    )
    return mark_safe(DIAGRAM_LINE.sub(lambda m: _diagram_html(m.group(1), language), clean))
