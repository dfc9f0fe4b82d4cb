import math

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import translation

from .quiz import QuizError, scored_count, validate_quiz

WORDS_PER_MINUTE = 200


class LessonQuerySet(models.QuerySet):
    def published(self) -> "LessonQuerySet":
        """Lessons anyone may read (and the phone saves for offline use), in
        course order. A clinic's own lessons are not among them."""
        return self.filter(published=True, clinic__isnull=True).order_by("order", "pk")

    def for_clinic(self, clinic) -> "LessonQuerySet":
        """What a clinic may assign: the published lessons plus its own."""
        return self.filter(Q(clinic__isnull=True) | Q(clinic=clinic), published=True).order_by("order", "pk")

    def course(self) -> "LessonQuerySet":
        """The main course: published full lessons, without the micro-lessons."""
        return self.published().filter(kind=Lesson.Kind.LESSON)

    def with_texts(self) -> "LessonQuerySet":
        """Fetch the translations with the lessons, for pages that list
        several lessons' `text` (one query for all of them)."""
        return self.prefetch_related("translations")


class LessonText(models.Model):
    """The words of a lesson in one language: what a reader sees. The
    English text lives on the Lesson itself, other languages in a
    LessonTranslation; both read the same way."""

    title = models.CharField(max_length=200)
    summary = models.CharField(max_length=300, blank=True)
    body = models.TextField(help_text="Markdown. A diagram goes on a line of its own: [[diagram:NAME]].")
    quiz = models.JSONField(default=list, blank=True, help_text="Knowledge check questions (see lessons/README).")
    sources = models.JSONField(default=list, blank=True)
    source_file = models.CharField(
        max_length=200, blank=True, editable=False, help_text="The Markdown file this text is loaded from, if any."
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True

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

    # The reading itself, several kilobytes a lesson: lists of lessons
    # (a patient's assignments, the phone's) leave them out.
    READING_FIELDS = ("body", "quiz", "sources")

    @classmethod
    def reading_fields_through(cls, relation: str) -> list[str]:
        """READING_FIELDS as seen from a related model, for .defer():
        reading_fields_through("lesson") -> ["lesson__body", ...]."""
        return [f"{relation}__{name}" for name in cls.READING_FIELDS]

    @property
    def quiz_total(self) -> int:
        """What the knowledge check is scored out of (reflections do not count)."""
        return scored_count(self.quiz)

    def clean(self) -> None:
        try:
            validate_quiz(self.quiz)
        except QuizError as error:
            raise ValidationError({"quiz": str(error)}) from error


class Lesson(LessonText):
    class Kind(models.TextChoices):
        LESSON = "lesson", "Lesson"
        MICRO = "micro", "Micro-lesson (for use during a craving)"

    slug = models.SlugField(unique=True)
    kind = models.CharField(max_length=10, choices=Kind.choices, default=Kind.LESSON)
    order = models.PositiveIntegerField(default=100)
    published = models.BooleanField(default=True)
    clinic = models.ForeignKey(
        "clinics.Clinic", null=True, blank=True, on_delete=models.CASCADE, related_name="own_lessons",
        help_text="Leave empty for a lesson everyone can read. Set it for a clinic's own lesson: only its staff "
        "and patients can open it, and it is never saved on phones for offline use.",
    )

    objects = LessonQuerySet.as_manager()

    class Meta:
        ordering = ["order", "pk"]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("lessons:lesson_detail", kwargs={"slug": self.slug})

    def can_be_read_by(self, user) -> bool:
        """Public lessons: anyone. A clinic's own lesson: its staff and patients."""
        if self.clinic_id is None:
            return True
        if not user.is_authenticated:
            return False
        patient = getattr(user, "patient", None)
        membership = getattr(user, "membership", None)
        return any(getattr(x, "clinic_id", None) == self.clinic_id for x in (patient, membership))

    @property
    def language(self) -> str:
        """The Lesson's own text is the English one."""
        return settings.LANGUAGE_CODE

    @property
    def text(self) -> "LessonText":
        """This lesson's words in the active language: its translation, or,
        when there is none, the English text (whose `language` says so, so
        the page can mark it lang="en")."""
        code = translation.get_language() or settings.LANGUAGE_CODE
        if code == settings.LANGUAGE_CODE:
            return self
        texts = self.__dict__.setdefault("_texts", {})
        if code not in texts:
            prefetched = getattr(self, "_prefetched_objects_cache", {}).get("translations")
            if prefetched is not None:
                texts[code] = next((t for t in prefetched if t.language == code), None)
            else:
                texts[code] = self.translations.filter(language=code).first()
        return texts[code] or self


class LessonTranslation(LessonText):
    """A lesson's words in another language, loaded from
    lessons/content/<language>/<same file name>.md. Slug, order, kind,
    clinic and publishing stay on the Lesson: a clinic assigns the lesson,
    and each patient reads it in their own language."""

    lesson = models.ForeignKey(Lesson, on_delete=models.CASCADE, related_name="translations")
    language = models.CharField(
        max_length=10, choices=[(c, n) for c, n in settings.LANGUAGES if c != settings.LANGUAGE_CODE]
    )

    class Meta:
        ordering = ["lesson", "language"]
        constraints = [models.UniqueConstraint(fields=["lesson", "language"], name="one_translation_per_language")]

    def __str__(self) -> str:
        return f"{self.title} ({self.language})"

    def clean(self) -> None:
        super().clean()
        if self.lesson_id and self.quiz_total != self.lesson.quiz_total:
            raise ValidationError(
                {"quiz": f"has {self.quiz_total} scored questions; the lesson has {self.lesson.quiz_total}"}
            )
