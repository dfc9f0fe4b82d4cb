from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from lessons.models import Lesson
from lessons.services import steps_html

from .choices import (
    DISTRACTION_IDEAS,
    LOW_MOOD_TRIGGERS,
    OUTCOMES,
    SAFETY_PLAN_STEPS,
    TOOLS,
    TRIGGERS,
    choice_labels,
)

WAVE_MINUTES = [5, 10, 15, 20]


@require_safe
def toolkit(request: HttpRequest) -> HttpResponse:
    micro_lessons = list(Lesson.objects.published().filter(kind=Lesson.Kind.MICRO).with_texts())
    context = {
        "micro_lessons": micro_lessons,
        "peak_lesson": next((m for m in micro_lessons if m.slug == "craving-peaks-and-passes"), None),
        "tolerance_lesson": next((m for m in micro_lessons if m.slug == "tolerance-is-lower"), None),
        "scale": range(11),
        "triggers": TRIGGERS,
        "low_mood": LOW_MOOD_TRIGGERS,
        "distraction_ideas": DISTRACTION_IDEAS,
        "tools": TOOLS,
        "outcomes": OUTCOMES,
        "wave_minutes": WAVE_MINUTES,
        "choices": choice_labels(),
    }
    return render(request, "craving/toolkit.html", context)


@require_safe
def help_now(request: HttpRequest) -> HttpResponse:
    # The same signs and steps, from the same files, as the lessons that list them.
    context = {"overdose_signs": steps_html("overdose-signs"), "overdose_steps": steps_html("overdose")}
    return render(request, "craving/help.html", context)


@require_safe
def safety_plan(request: HttpRequest) -> HttpResponse:
    """The page is the same for everyone (the service worker keeps it for
    offline use); the plan itself lives on the phone (static/js/safety-plan.js)."""
    return render(request, "craving/safety_plan.html", {"steps": SAFETY_PLAN_STEPS, "contact_rows": range(1, 4)})
