"""The names the craving log uses: triggers, tools and outcomes. The toolkit
page renders them, and the server checks a shared craving summary against
them (clinics.sync), so both read this one list."""

# Trigger choices for the craving log. The label is what is stored on the
# device and exported, so changing one splits the person's patterns: add new
# labels rather than rewording old ones.
TRIGGERS = [
    ("people", "People", ["Someone I used with", "Family", "Partner", "Friends", "Being alone"]),
    ("places", "Places", ["Home", "A place I used", "Work", "Out and about", "A party"]),
    ("feelings", "Feelings", ["Stressed", "Anxious", "Sad", "Bored", "In pain", "Happy"]),
    ("halt", "Quick self-check", ["Hungry", "Angry", "Lonely", "Tired"]),
]

DISTRACTION_IDEAS = [
    "Take a hot or cold shower",
    "Walk around the block",
    "Drink a glass of cold water",
    "Eat something",
    "Put on a song you love",
    "Tidy one small thing",
    "Play a game on your phone",
]

TOOLS = [
    ("wave", "Ride the wave", "A timer: stay with the urge for 5 to 20 minutes"),
    ("breathing", "Slow breathing", "In for 4, out for 6"),
    ("grounding", "5-4-3-2-1", "Notice what is around you, step by step"),
    ("think", "Think it through", "What happens next, and what you want"),
    ("people", "My people", "Call or text someone"),
    ("reasons", "My reasons", "Why you are stopping"),
    ("distractions", "Distractions", "Something to do for the next 15 minutes"),
]

OUTCOMES = [("passed", "It passed"), ("eased", "It eased"), ("strong", "Still strong"), ("used", "I used")]

TOOL_LABELS = {key: name for key, name, _ in TOOLS}
OUTCOME_LABELS = dict(OUTCOMES)
TRIGGER_KINDS = {key: frozenset(options) for key, _, options in TRIGGERS}
