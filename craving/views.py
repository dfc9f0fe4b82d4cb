from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext, gettext_noop
from django.views.decorators.http import require_safe

from lessons.models import Lesson
from lessons.services import steps_html

# The names below are English, marked for translation (gettext_noop) and translated
# where they are shown. Trigger choices for the craving log: the English
# label is what is stored on the device and checked by the server, whatever
# the language, so changing one splits the person's patterns: add new
# labels rather than rewording old ones.
TRIGGERS = [
    (
        "people",
        gettext_noop("People"),
        [
            gettext_noop("Someone I used with"),
            gettext_noop("Family"),
            gettext_noop("Partner"),
            gettext_noop("Friends"),
            gettext_noop("Being alone"),
        ],
    ),
    (
        "places",
        gettext_noop("Places"),
        [
            gettext_noop("Home"),
            gettext_noop("A place I used"),
            gettext_noop("Work"),
            gettext_noop("Out and about"),
            gettext_noop("A party"),
        ],
    ),
    (
        "feelings",
        gettext_noop("Feelings"),
        [
            gettext_noop("Stressed"),
            gettext_noop("Anxious"),
            gettext_noop("Sad"),
            gettext_noop("Bored"),
            gettext_noop("In pain"),
            gettext_noop("Happy"),
        ],
    ),
    (
        "halt",
        gettext_noop("Quick self-check"),
        [gettext_noop("Hungry"), gettext_noop("Angry"), gettext_noop("Lonely"), gettext_noop("Tired")],
    ),
]

DISTRACTION_IDEAS = [
    gettext_noop("Take a hot or cold shower"),
    gettext_noop("Walk around the block"),
    gettext_noop("Drink a glass of cold water"),
    gettext_noop("Eat something"),
    gettext_noop("Put on a song you love"),
    gettext_noop("Tidy one small thing"),
    gettext_noop("Play a game on your phone"),
]

TOOLS = [
    ("wave", gettext_noop("Ride the wave"), gettext_noop("A timer: stay with the urge for 5 to 20 minutes")),
    ("breathing", gettext_noop("Slow breathing"), gettext_noop("In for 4, out for 6")),
    ("grounding", gettext_noop("5-4-3-2-1"), gettext_noop("Notice what is around you, step by step")),
    ("think", gettext_noop("Think it through"), gettext_noop("What happens next, and what you want")),
    ("people", gettext_noop("My people"), gettext_noop("Call or text someone")),
    ("reasons", gettext_noop("My reasons"), gettext_noop("Why you are stopping")),
    ("distractions", gettext_noop("Distractions"), gettext_noop("Something to do for the next 15 minutes")),
]

OUTCOMES = [
    ("passed", gettext_noop("It passed")),
    ("eased", gettext_noop("It eased")),
    ("strong", gettext_noop("Still strong")),
    ("used", gettext_noop("I used")),
]

WAVE_MINUTES = [5, 10, 15, 20]


def choice_labels() -> dict:
    """The names the log's screens and exports show, in the active language,
    for static/js (read from the page with json_script: one source)."""
    return {
        "tools": {key: gettext(name) for key, name, _ in TOOLS},
        "outcomes": {key: gettext(label) for key, label in OUTCOMES},
        "triggerKinds": {key: gettext(label) for key, label, _ in TRIGGERS},
        "triggers": {option: gettext(option) for _, _, options in TRIGGERS for option in options},
    }


@require_safe
def toolkit(request: HttpRequest) -> HttpResponse:
    micro_lessons = list(Lesson.objects.published().filter(kind=Lesson.Kind.MICRO).with_texts())
    context = {
        "micro_lessons": micro_lessons,
        "peak_lesson": next((m for m in micro_lessons if m.slug == "craving-peaks-and-passes"), None),
        "tolerance_lesson": next((m for m in micro_lessons if m.slug == "tolerance-is-lower"), None),
        "scale": range(11),
        "triggers": TRIGGERS,
        "distraction_ideas": DISTRACTION_IDEAS,
        "tools": TOOLS,
        "outcomes": OUTCOMES,
        "wave_minutes": WAVE_MINUTES,
        "choices": choice_labels(),
    }
    return render(request, "craving/toolkit.html", context)


@require_safe
def help_now(request: HttpRequest) -> HttpResponse:
    # The same steps, from the same file, as the lessons that list them.
    return render(request, "craving/help.html", {"overdose_steps": steps_html("overdose")})
