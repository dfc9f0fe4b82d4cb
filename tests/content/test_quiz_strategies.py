"""A knowledge check a person can pass without reading teaches nothing, and
a clinic's dashboard would show a score that means nothing. Over every
scored question in the course, in each language, no simple guessing
strategy may beat a blind guess by more than 12 points:

- always first, always last;
- never last (a pick among the other choices, each as likely: its
  expected score);
- always the longest, always the shortest (ties split evenly).
"""

import pytest
from django.conf import settings
from django.utils import translation

from lessons.models import Lesson
from lessons.quiz import is_scored

pytestmark = pytest.mark.django_db

MARGIN = 12.0  # points out of 100


def right_index(question: dict) -> int:
    return next(i for i, choice in enumerate(question["choices"]) if choice.get("correct") is True)


def picked_by_length(lengths: list[int], right: int, pick) -> float:
    """The chance of being right when choosing the longest (or shortest)
    choice, one of the tied ones at random."""
    best = pick(lengths)
    return 1 / lengths.count(best) if lengths[right] == best else 0.0


def strategy_scores(questions: list[dict]) -> dict[str, float]:
    """Each strategy's expected score, in percent, over these scored questions."""
    totals = dict.fromkeys(("chance", "first", "last", "never last", "longest", "shortest"), 0.0)
    for question in questions:
        n = len(question["choices"])
        right = right_index(question)
        lengths = [len(choice["text"]) for choice in question["choices"]]
        totals["chance"] += 1 / n
        totals["first"] += right == 0
        totals["last"] += right == n - 1
        totals["never last"] += 0.0 if right == n - 1 else 1 / (n - 1)
        totals["longest"] += picked_by_length(lengths, right, max)
        totals["shortest"] += picked_by_length(lengths, right, min)
    return {name: 100 * total / len(questions) for name, total in totals.items()}


def course_questions(language: str) -> list[dict]:
    """Every scored question a reader in this language meets: the lesson's
    text in that language, or the English one it falls back to."""
    with translation.override(language):
        lessons = Lesson.objects.published().with_texts()
        return [q for lesson in lessons for q in lesson.text.quiz if is_scored(q)]


def question(right: int, lengths=(10, 10, 10)) -> dict:
    return {"question": "?", "choices": [{"text": "x" * n, **({"correct": True} if i == right else {})}
                                         for i, n in enumerate(lengths)]}


class TestTheArithmetic:
    def test_a_course_whose_answer_is_always_first_lets_the_first_strategy_win(self):
        scores = strategy_scores([question(0), question(0), question(0)])
        assert scores["first"] == 100 and scores["last"] == 0
        assert scores["never last"] == pytest.approx(50)
        assert scores["chance"] == pytest.approx(100 / 3)

    def test_balanced_positions_give_every_position_strategy_chance(self):
        scores = strategy_scores([question(0), question(1), question(2)])
        for name in ("first", "last", "never last"):
            assert scores[name] == pytest.approx(scores["chance"]), name

    def test_ties_in_length_are_split(self):
        scores = strategy_scores([question(0, (20, 20, 5)), question(2, (20, 20, 5))])
        assert scores["longest"] == pytest.approx(25)
        assert scores["shortest"] == pytest.approx(50)


@pytest.mark.parametrize("language", [code for code, _ in settings.LANGUAGES])
def test_no_guessing_strategy_beats_chance_by_more_than_12_points(language):
    questions = course_questions(language)
    assert len(questions) >= 30, language
    scores = strategy_scores(questions)
    report = ", ".join(f"{name} {score:.1f}" for name, score in scores.items())
    for name, score in scores.items():
        assert score <= scores["chance"] + MARGIN, f"{language}: {name} beats chance ({report})"


def test_both_languages_score_every_lesson_out_of_the_same_questions():
    """The clinic sees one score whatever language the patient reads in."""
    for lesson in Lesson.objects.published().with_texts():
        with translation.override("es"):
            spanish = lesson.text
        english = [right_index(q) for q in lesson.quiz if is_scored(q)]
        assert [right_index(q) for q in spanish.quiz if is_scored(q)] == english, lesson.slug
