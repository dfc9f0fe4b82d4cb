import pytest
from django.core.exceptions import ValidationError

from lessons.models import Lesson
from lessons.services import lesson_body_html


def test_markdown_becomes_html():
    html = lesson_body_html("## Why\n\nSome **bold** text.\n\n- one\n- two")
    assert "<h2>Why</h2>" in html
    assert "<strong>bold</strong>" in html
    assert "<li>one</li>" in html


@pytest.mark.parametrize(
    "evil",
    [
        "<script>alert(1)</script>",
        '<img src=x onerror="alert(1)">',
        "[click](javascript:alert(1))",
        '<a href="#" onclick="alert(1)">x</a>',
        '<iframe src="https://example.com"></iframe>',
        '<p style="background:url(https://tracker.example)">x</p>',
    ],
)
def test_lesson_html_is_sanitised(evil):
    html = lesson_body_html(f"Text.\n\n{evil}\n")
    for bad in ("<script", "onerror", "javascript:", "onclick", "<iframe", "style=", "<img"):
        assert bad not in html


def test_links_open_without_leaking_the_referrer():
    html = lesson_body_html("[NIDA](https://nida.nih.gov/)")
    assert 'href="https://nida.nih.gov/"' in html
    assert "noreferrer" in html


def test_a_diagram_line_becomes_an_inline_svg_with_a_text_alternative():
    html = lesson_body_html("Before.\n\n[[diagram:dopamine-pathway]]\n\nAfter.")
    assert '<figure class="diagram">' in html
    assert 'role="img"' in html and "<desc" in html
    assert "<figcaption>" in html


def test_an_unknown_diagram_renders_nothing_rather_than_breaking():
    html = lesson_body_html("[[diagram:no-such-thing]]")
    assert "figure" not in html and "[[" not in html


def test_source_links_drop_anything_but_http():
    lesson = Lesson(
        sources=[{"title": "ok", "url": "https://a.example"}, {"title": "bad", "url": "javascript:alert(1)"}]
    )
    assert lesson.source_links == [{"title": "ok", "url": "https://a.example"}, {"title": "bad", "url": ""}]


@pytest.mark.django_db
def test_admin_validation_rejects_a_quiz_without_explanations():
    lesson = Lesson(
        slug="x", title="X", body="B",
        quiz=[{"question": "Q", "choices": [{"text": "A", "correct": True}, {"text": "B", "explanation": "E"}]}],
    )
    with pytest.raises(ValidationError) as error:
        lesson.full_clean()
    assert "quiz" in error.value.message_dict


def test_reading_time_rounds_up_and_is_at_least_a_minute():
    assert Lesson(body="word " * 10).reading_minutes == 1
    assert Lesson(body="word " * 401).reading_minutes == 3
