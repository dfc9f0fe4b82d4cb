import math

from django.core.exceptions import ValidationError
from django.db import models
from django.urls import reverse

WORDS_PER_MINUTE = 200


class LessonQuerySet(models.QuerySet):
    def published(self) -> "LessonQuerySet":
        """Lessons a reader may see, in course order."""
        return self.filter(published=True).order_by("order", "pk")

    def course(self) -> "LessonQuerySet":
        """The main course: published full lessons, without the micro-lessons."""
        return self.published().filter(kind=Lesson.Kind.LESSON)


class Lesson(models.Model):
    class Kind(models.TextChoices):
        LESSON = "lesson", "Lesson"
        MICRO = "micro", "Micro-lesson (for use during a craving)"

    slug = models.SlugField(unique=True)
    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LESSON)
    order = models.PositiveIntegerField(default=100)
    body = models.TextField(help_text="Markdown. A diagram goes on a line of its own: [[diagram:NAME]].")
    quiz = models.JSONField(default=list, blank=True, help_text="Knowledge check questions (see lessons/README).")
    sources = models.JSONField(default=list, blank=True)
    published = models.BooleanField(default=True)
    source_file = models.CharField(
        max_length=200, blank=True, editable=False, help_text="The Markdown file this lesson is loaded from, if any."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lessons:lesson_detail", kwargs={"slug": self.slug})

    @property
    def word_count(self) -> int:
        return len(self.body.split())

    @property
    def reading_minutes(self) -> int:
        return max(1, math.ceil(self.word_count / WORDS_PER_MINUTE))

    @property
    def source_links(self) -> list[dict]:
        """Sources to show; a URL is kept only if it is plain http(s)."""
        links = []
        for source in self.sources:
            if isinstance(source, dict) and source.get("title"):
                url = str(source.get("url") or "")
                links.append({"title": source["title"], "url": url if url.startswith(("https://", "http://")) else ""})
        return links

    def clean(self) -> None:
        from .quiz import QuizError, validate_quiz

        try:
            validate_quiz(self.quiz)
        except QuizError as error:
            raise ValidationError({"quiz": str(error)}) from error
