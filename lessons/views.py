from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.utils.cache import patch_cache_control
from django.views.decorators.http import require_safe

from .models import Lesson
from .services import lesson_body_html


@require_safe
def lesson_list(request: HttpRequest) -> HttpResponse:
    lessons = list(Lesson.objects.published().with_texts())
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
    lesson = get_object_or_404(Lesson.objects.filter(published=True), slug=slug)
    if not lesson.can_be_read_by(request.user):
        raise Http404

    course = list(Lesson.objects.course().only("slug", "title").with_texts())
    course_slugs = [item.slug for item in course]
    position = course_slugs.index(lesson.slug) + 1 if lesson.slug in course_slugs else None
    next_lesson = course[position] if position is not None and position < len(course) else None
    response = render(
        request,
        "lessons/lesson_detail.html",
        {
            "lesson": lesson,
            "text": lesson.text,
            "body_html": lesson_body_html(lesson.text.body, language=lesson.text.language),
            "course_slugs": course_slugs,
            "position": position,
            "next_lesson": next_lesson,
        },
    )
    if lesson.clinic_id is not None:
        # A clinic's own lesson is for signed-in people of that clinic: never
        # stored by the service worker or any shared cache.
        patch_cache_control(response, private=True, no_store=True)
    return response
