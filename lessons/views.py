from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.views.decorators.http import require_safe

from .models import Lesson
from .services import lesson_body_html


@require_safe
def lesson_list(request: HttpRequest) -> HttpResponse:
    lessons = list(Lesson.objects.published())
    return render(
        request,
        "lessons/lesson_list.html",
        {
            "course": [lesson for lesson in lessons if lesson.kind == Lesson.Kind.LESSON],
            "micro_lessons": [lesson for lesson in lessons if lesson.kind == Lesson.Kind.MICRO],
        },
    )


@require_safe
def lesson_detail(request: HttpRequest, slug: str) -> HttpResponse:
    lesson = get_object_or_404(Lesson.objects.published(), slug=slug)
    course_slugs = list(Lesson.objects.course().values_list("slug", flat=True))
    position = course_slugs.index(lesson.slug) + 1 if lesson.slug in course_slugs else None
    next_lesson = None
    if position is not None and position < len(course_slugs):
        next_lesson = Lesson.objects.get(slug=course_slugs[position])
    return render(
        request,
        "lessons/lesson_detail.html",
        {
            "lesson": lesson,
            "body_html": lesson_body_html(lesson.body),
            "course_slugs": course_slugs,
            "position": position,
            "next_lesson": next_lesson,
        },
    )
