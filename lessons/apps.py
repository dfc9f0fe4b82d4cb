from django.apps import AppConfig
from django.db.models.signals import post_migrate


def load_lessons_after_migrate(sender, **kwargs) -> None:
    """`migrate` loads (and on re-run updates) the lessons from their files,
    so every deploy and every fresh database has them."""
    from .services import lessons_load

    result = lessons_load()
    verbosity = kwargs.get("verbosity", 1)
    if verbosity >= 1 and (result.created or result.updated or result.unpublished):
        print(
            f"  Lessons: {len(result.created)} created, {len(result.updated)} updated, "
            f"{len(result.unchanged)} unchanged, {len(result.unpublished)} unpublished"
        )
    if verbosity >= 1 and (result.translations_created or result.translations_updated or result.translations_removed):
        print(
            f"  Lesson translations: {len(result.translations_created)} created, "
            f"{len(result.translations_updated)} updated, {len(result.translations_unchanged)} unchanged, "
            f"{len(result.translations_removed)} removed"
        )


class LessonsConfig(AppConfig):
    name = "lessons"

    def ready(self) -> None:
        post_migrate.connect(load_lessons_after_migrate, sender=self, dispatch_uid="lessons.load_after_migrate")
