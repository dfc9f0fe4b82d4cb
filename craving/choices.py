"""The names the craving log uses: triggers, tools and outcomes. The toolkit
page renders them, and the server checks a shared craving summary against
them (clinics.phone.sync), so both read this one list."""

from django.utils.translation import gettext, gettext_noop

# The names are English, marked for translation (gettext_noop) and
# translated where they are shown (choice_labels, the toolkit template).
# Trigger choices for the craving log: the English label is what is stored
# on the device and checked by the server, whatever the language, so
# changing one splits the person's patterns: add new labels rather than
# rewording old ones.
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

TOOL_LABELS = {key: name for key, name, _ in TOOLS}
OUTCOME_LABELS = dict(OUTCOMES)
TRIGGER_KINDS = {key: frozenset(options) for key, _, options in TRIGGERS}
# Ticking one of these in the check-in offers the safety plan and the
# crisis lines (the toolkit marks them data-low-mood for craving-flow.js).
LOW_MOOD_TRIGGERS = frozenset({"Sad", "Lonely"})


def choice_labels() -> dict:
    """The names the log's screens and downloads show, in the active
    language, for static/js (the toolkit page carries them with json_script)."""
    return {
        "tools": {key: gettext(name) for key, name, _ in TOOLS},
        "outcomes": {key: gettext(label) for key, label in OUTCOMES},
        "triggerKinds": {key: gettext(label) for key, label, _ in TRIGGERS},
        "triggers": {option: gettext(option) for _, _, options in TRIGGERS for option in options},
    }


# "My safety plan": the steps of the Stanley–Brown safety plan, described in
# Crest's own words (FACTS.md §11.5: the form's wording is not copied), plus
# the person's reasons. The key names the step in the plan kept on the phone
# (static/js/safety-plan.js); a "contacts" step holds names and numbers, a
# "text" step one thing a line. Add steps rather than renaming keys: a
# renamed key hides what a person already wrote.
SAFETY_PLAN_STEPS = [
    ("warning-signs", "text", gettext_noop("My warning signs"),
     gettext_noop("Thoughts, feelings or situations that tell me a crisis may be coming.")),
    ("coping", "text", gettext_noop("What I can do on my own"),
     gettext_noop("Things that take my mind off it without contacting anyone: a walk, music, a shower, "
                  "slow breathing.")),
    ("distraction", "text", gettext_noop("People and places that take my mind off things"),
     gettext_noop("Someone to spend time with, or a place to go, like a café, a park or a meeting.")),
    ("helpers", "contacts", gettext_noop("People I can ask for help"),
     gettext_noop("Family or friends I can tell that I am struggling.")),
    ("professionals", "contacts", gettext_noop("Professionals and crisis lines"),
     gettext_noop("My clinic, my doctor or my counselor. The crisis lines below are always here.")),
    ("safer", "text", gettext_noop("Making my place safer"),
     gettext_noop("For example: naloxone where I can reach it, medicines locked away, and asking someone to keep "
                  "things I could use to hurt myself.")),
    ("reasons", "text", gettext_noop("My reasons to keep going"),
     gettext_noop("The people, plans and things that matter most to me.")),
]
