"""The shape of a knowledge check, checked wherever a quiz comes in
(Markdown front matter or the admin)."""

from typing import Any

# A check is short enough for a phone: 2 to 4 questions (a micro-lesson fewer).
MAX_QUESTIONS = 4


class QuizError(ValueError):
    pass


def is_scored(question: dict) -> bool:
    """A question counts toward the score unless it is marked `scored: false`
    (a reflection with no right answer)."""
    return question.get("scored", True) is not False


def scored_count(quiz: list) -> int:
    """How many questions the score is out of: the `total` the phone sends."""
    return sum(1 for question in quiz if isinstance(question, dict) and is_scored(question))


def validate_quiz(quiz: Any) -> None:
    """A list of 0–4 questions; each has a question, 2+ choices and an
    explanation for every choice. A scored question has exactly one correct
    choice. At most one question may be a reflection (`scored: false`): it
    has no correct choice and does not count toward the score."""
    if not isinstance(quiz, list):
        raise QuizError("quiz must be a list of questions")
    if len(quiz) > MAX_QUESTIONS:
        raise QuizError(f"quiz has {len(quiz)} questions; at most {MAX_QUESTIONS}")
    unscored = 0
    for number, question in enumerate(quiz, start=1):
        if not isinstance(question, dict) or not str(question.get("question", "")).strip():
            raise QuizError(f"question {number} needs a 'question' text")
        if "scored" in question and not isinstance(question["scored"], bool):
            raise QuizError(f"question {number}: 'scored' must be true or false")
        choices = question.get("choices")
        if not isinstance(choices, list) or len(choices) < 2:
            raise QuizError(f"question {number} needs at least 2 choices")
        for choice in choices:
            if not isinstance(choice, dict) or not str(choice.get("text", "")).strip():
                raise QuizError(f"question {number}: every choice needs a 'text'")
            if not str(choice.get("explanation", "")).strip():
                raise QuizError(f"question {number}: every choice needs an 'explanation'")
        correct = sum(1 for choice in choices if choice.get("correct") is True)
        if is_scored(question):
            if correct != 1:
                raise QuizError(f"question {number} must have exactly one correct choice, has {correct}")
        else:
            unscored += 1
            if correct:
                raise QuizError(f"question {number} is not scored, so no choice may be marked correct")
    if unscored > 1:
        raise QuizError(f"quiz has {unscored} unscored questions; at most 1")
    if quiz and unscored == len(quiz):
        raise QuizError("quiz needs at least one scored question")
