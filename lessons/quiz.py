"""The shape of a knowledge check, checked wherever a quiz comes in
(Markdown front matter or the admin)."""

from typing import Any


class QuizError(ValueError):
    pass


def validate_quiz(quiz: Any) -> None:
    """A list of 0–4 questions; each has a question, 2+ choices, exactly one
    correct choice, and an explanation for every choice."""
    if not isinstance(quiz, list):
        raise QuizError("quiz must be a list of questions")
    if len(quiz) > 4:
        raise QuizError(f"quiz has {len(quiz)} questions; at most 4")
    for number, question in enumerate(quiz, start=1):
        if not isinstance(question, dict) or not str(question.get("question", "")).strip():
            raise QuizError(f"question {number} needs a 'question' text")
        choices = question.get("choices")
        if not isinstance(choices, list) or len(choices) < 2:
            raise QuizError(f"question {number} needs at least 2 choices")
        for choice in choices:
            if not isinstance(choice, dict) or not str(choice.get("text", "")).strip():
                raise QuizError(f"question {number}: every choice needs a 'text'")
            if not str(choice.get("explanation", "")).strip():
                raise QuizError(f"question {number}: every choice needs an 'explanation'")
        correct = sum(1 for choice in choices if choice.get("correct") is True)
        if correct != 1:
            raise QuizError(f"question {number} must have exactly one correct choice, has {correct}")
