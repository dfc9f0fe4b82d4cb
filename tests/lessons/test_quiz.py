"""The knowledge checks: a strict format, and answers a person cannot guess
by picking the longest choice."""

import pytest

from lessons.models import Lesson
from lessons.quiz import QuizError, scored_count, validate_quiz


def choice(text="A choice", *, correct=False):
    return {"text": text, "explanation": "Why.", **({"correct": True} if correct else {})}


def question(*, scored=None, correct_index=0, n=3):
    q = {"question": "Q?", "choices": [choice(f"Choice {i}", correct=(i == correct_index)) for i in range(n)]}
    if scored is not None:
        q["scored"] = scored
    return q


def reflection():
    return {"question": "How do you see it?", "scored": False, "choices": [choice("One"), choice("Two")]}


def test_one_unscored_reflection_is_allowed_and_not_counted():
    quiz = [question(), question(), reflection()]
    validate_quiz(quiz)
    assert scored_count(quiz) == 2


@pytest.mark.parametrize(
    ("quiz", "problem"),
    [
        ([question(), reflection(), reflection()], "at most 1"),
        (
            [{**reflection(), "choices": [choice("One", correct=True), choice("Two")]}],
            "no choice may be marked correct",
        ),
        ([reflection()], "at least one scored"),
        ([question(scored="no")], "'scored' must be true or false"),
        ([{**question(), "choices": [choice("A"), choice("B")]}], "exactly one correct"),
    ],
)
def test_the_quiz_format_stays_strict(quiz, problem):
    with pytest.raises(QuizError, match=problem):
        validate_quiz(quiz)


@pytest.mark.django_db
def test_lesson_quiz_total_leaves_out_the_reflection():
    assert Lesson(quiz=[question(), reflection()]).quiz_total == 1


@pytest.mark.django_db
def test_the_course_has_at_most_one_reflection_in_all():
    reflections = [q for lesson in Lesson.objects.published() for q in lesson.quiz if q.get("scored") is False]
    assert len(reflections) <= 1


@pytest.mark.django_db
def test_guessing_the_longest_choice_does_no_better_than_chance():
    """If the right answer is usually the longest, a person can pass without
    reading. Over every scored question, the right answer may be the single
    longest choice no more often than a random pick would be right."""
    longest = chance = 0.0
    count = 0
    for lesson in Lesson.objects.published():
        for q in lesson.quiz:
            if q.get("scored") is False:
                continue
            lengths = [len(c["text"]) for c in q["choices"]]
            right = next(i for i, c in enumerate(q["choices"]) if c.get("correct"))
            longest += lengths[right] == max(lengths) and lengths.count(max(lengths)) == 1
            chance += 1 / len(lengths)
            count += 1
    assert count >= 20
    assert longest <= chance, (
        f"right answer is the longest in {longest:.0f} of {count} questions; chance is {chance:.1f}"
    )
