from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from lessons.models import Lesson


@require_GET
def toolkit(request: HttpRequest) -> HttpResponse:
    micro_lessons = Lesson.objects.published().filter(kind=Lesson.Kind.MICRO)
    return render(request, "craving/toolkit.html", {"micro_lessons": micro_lessons})


@require_GET
def help_now(request: HttpRequest) -> HttpResponse:
    return render(request, "craving/help.html")
