from pathlib import Path

import pytest
from django.conf import settings

from lessons.models import Lesson
from lessons.services import LessonFileError, lesson_file_parse, lessons_load

pytestmark = pytest.mark.django_db

VALID = """---
slug: {slug}
title: "{title}"
order: {order}
kind: lesson
summary: "A short summary."
sources:
  - title: "NIDA"
    url: "https://nida.nih.gov/"
quiz:
  - question: "Is this a question?"
    choices:
      - text: "Yes"
        correct: true
        explanation: "It ends with a question mark."
      - text: "No"
        explanation: "It does end with a question mark."
---
{body}
"""


def write_lesson(
    folder: Path, name: str, *, slug="test-lesson", title="A test lesson", order=1, body="Some text."
) -> Path:
    path = folder / name
    path.write_text(VALID.format(slug=slug, title=title, order=order, body=body))
    return path


def test_every_lesson_in_the_repo_loads_with_a_quiz_and_sources():
    lessons = list(Lesson.objects.published())
    files = sorted(Path(settings.LESSONS_CONTENT_DIR).glob("*.md"))
    assert len(lessons) == len(files) >= 10
    course = Lesson.objects.course()
    assert course.count() >= 8
    assert Lesson.objects.published().filter(kind=Lesson.Kind.MICRO).count() >= 2
    for lesson in course:
        assert 2 <= len(lesson.quiz) <= 4, lesson.slug
        assert 3 <= lesson.reading_minutes <= 6, (lesson.slug, lesson.word_count)
        assert lesson.sources, lesson.slug
    for lesson in Lesson.objects.published().filter(kind=Lesson.Kind.MICRO):
        assert 1 <= lesson.reading_minutes <= 2, (lesson.slug, lesson.word_count)


def test_loading_creates_then_updates_in_place_by_slug(tmp_path):
    write_lesson(tmp_path, "a.md", body="First text.")
    result = lessons_load(directory=tmp_path)
    assert result.created == ["test-lesson"]
    lesson = Lesson.objects.get(slug="test-lesson")
    first_update = lesson.updated_at

    write_lesson(tmp_path, "a.md", title="A better title", body="Second text.")
    result = lessons_load(directory=tmp_path)
    assert result.updated == ["test-lesson"]
    lesson.refresh_from_db()
    assert (lesson.title, lesson.body.strip(), lesson.pk) == ("A better title", "Second text.", lesson.pk)
    assert lesson.updated_at > first_update


def test_loading_unchanged_files_saves_nothing(tmp_path):
    write_lesson(tmp_path, "a.md")
    lessons_load(directory=tmp_path)
    stamp = Lesson.objects.get(slug="test-lesson").updated_at
    result = lessons_load(directory=tmp_path)
    assert result.unchanged == ["test-lesson"] and not result.updated
    assert Lesson.objects.get(slug="test-lesson").updated_at == stamp


def test_a_removed_file_unpublishes_its_lesson_instead_of_deleting_it(tmp_path):
    write_lesson(tmp_path, "a.md")
    lessons_load(directory=tmp_path)
    (tmp_path / "a.md").unlink()
    result = lessons_load(directory=tmp_path)
    assert "test-lesson" in result.unpublished
    lesson = Lesson.objects.get(slug="test-lesson")
    assert lesson.published is False


def test_a_lesson_made_in_the_admin_is_left_alone_by_loading(tmp_path):
    Lesson.objects.create(slug="clinic-own", title="Our clinic", body="Hello.")
    write_lesson(tmp_path, "a.md")
    lessons_load(directory=tmp_path)
    assert Lesson.objects.get(slug="clinic-own").published is True


@pytest.mark.parametrize(
    ("text", "problem"),
    [
        ("no front matter here", "front matter"),
        ("---\nslug: [unclosed\n---\nBody", "not valid YAML"),
        ("---\ntitle: No slug\n---\nBody", "needs 'slug'"),
        ("---\nslug: Bad Slug\ntitle: T\n---\nBody", "slug 'Bad Slug'"),
        ("---\nslug: s\ntitle: T\nkind: essay\n---\nBody", "kind 'essay'"),
        ("---\nslug: s\ntitle: T\n---\n", "no lesson text"),
        (
            "---\nslug: s\ntitle: T\nquiz:\n  - question: Q\n    choices:\n      - text: A\n        explanation: E\n"
            "      - text: B\n        explanation: E\n---\nBody",
            "exactly one correct",
        ),
        (
            "---\nslug: s\ntitle: T\nquiz:\n  - question: Q\n    choices:\n      - text: A\n        correct: true\n"
            "      - text: B\n        explanation: E\n---\nBody",
            "explanation",
        ),
    ],
)
def test_bad_front_matter_gives_a_clear_error_naming_the_file(tmp_path, text, problem):
    path = tmp_path / "broken-lesson.md"
    path.write_text(text)
    with pytest.raises(LessonFileError) as error:
        lesson_file_parse(path)
    assert "broken-lesson.md" in str(error.value)
    assert problem in str(error.value)


def test_a_bad_file_loads_nothing_at_all(tmp_path):
    write_lesson(tmp_path, "a.md", slug="good-one")
    (tmp_path / "b.md").write_text("no front matter")
    with pytest.raises(LessonFileError, match="b.md"):
        lessons_load(directory=tmp_path)
    assert not Lesson.objects.filter(slug="good-one").exists()


def test_two_files_with_one_slug_are_refused(tmp_path):
    write_lesson(tmp_path, "a.md", slug="same")
    write_lesson(tmp_path, "b.md", slug="same")
    with pytest.raises(LessonFileError, match="also used by a.md"):
        lessons_load(directory=tmp_path)


def test_migrate_loads_and_reloads_the_lessons(tmp_path, settings):
    from django.core.management import call_command

    settings.LESSONS_CONTENT_DIR = tmp_path
    write_lesson(tmp_path, "a.md", slug="from-migrate", body="Version one.")
    call_command("migrate", verbosity=0)
    assert Lesson.objects.get(slug="from-migrate").body.strip() == "Version one."
    write_lesson(tmp_path, "a.md", slug="from-migrate", body="Version two.")
    call_command("migrate", verbosity=0)
    assert Lesson.objects.get(slug="from-migrate").body.strip() == "Version two."
