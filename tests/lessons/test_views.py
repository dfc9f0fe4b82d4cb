import pytest
from django.urls import reverse

from lessons.models import Lesson

pytestmark = pytest.mark.django_db


def test_lesson_list_shows_the_course_in_order_and_the_micro_lessons_apart(client):
    response = client.get(reverse("lessons:lesson_list"))
    course = list(Lesson.objects.course())
    html = response.content.decode()
    positions = [html.index(f'data-lesson="{lesson.slug}"') for lesson in course]
    assert positions == sorted(positions)
    assert f'data-course-slugs="{" ".join(lesson.slug for lesson in course)}"' in html
    micro = Lesson.objects.published().filter(kind=Lesson.Kind.MICRO).first()
    assert html.index(f'data-lesson="{micro.slug}"') > html.index('id="micro-title"')


def test_lesson_page_has_reading_time_progress_quiz_done_button_and_sources(client):
    lesson = Lesson.objects.course()[1]
    response = client.get(lesson.get_absolute_url())
    html = response.content.decode()
    assert f"About {lesson.reading_minutes} minute" in html
    assert "Lesson 2 of" in html
    assert html.count("data-question") == len(lesson.quiz)
    # every choice carries its explanation, and exactly one per question is right
    choices = sum(len(q["choices"]) for q in lesson.quiz)
    assert html.count("data-explanation") == choices
    assert html.count(" data-correct") == len(lesson.quiz)
    assert "data-mark-done" in html
    assert 'id="sources-title"' in html
    assert "data-reading-progress" in html and "data-course-progress" in html


def test_unpublished_and_unknown_lessons_are_404(client):
    lesson = Lesson.objects.course().first()
    lesson.published = False
    lesson.save()
    assert client.get(lesson.get_absolute_url()).status_code == 404
    assert client.get("/lessons/no-such-lesson/").status_code == 404


def test_lesson_text_typed_in_the_admin_is_escaped_in_titles_and_sanitised_in_the_body(client):
    lesson = Lesson.objects.create(
        slug="admin-made", title="<b>Title</b>", body="<script>alert(1)</script>Hello", summary="s"
    )
    html = client.get(lesson.get_absolute_url()).content.decode()
    assert "&lt;b&gt;Title&lt;/b&gt;" in html
    assert "<script>alert(1)" not in html


def test_every_page_links_to_help_in_one_tap(client):
    for url in ["/", "/lessons/", Lesson.objects.first().get_absolute_url(), "/craving/", "/offline/"]:
        html = client.get(url).content.decode()
        assert 'class="help-link" href="/help/"' in html, url


def test_pages_carry_no_inline_script_and_no_third_party_url(client):
    for url in ["/", "/lessons/", Lesson.objects.first().get_absolute_url(), "/craving/", "/help/", "/offline/"]:
        html = client.get(url).content.decode()
        assert "<script>" not in html and "onclick=" not in html and "style=" not in html, url
        for tag_start in ('src="http', "href=\"http"):
            # only lesson sources (plain links the reader may tap) point elsewhere
            for chunk in html.split(tag_start)[1:]:
                assert tag_start == 'href="http', (url, chunk[:60])
