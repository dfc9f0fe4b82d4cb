from django.apps import AppConfig
from django.db.models.signals import post_delete, post_migrate, post_save


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


def reset_lessons_version(sender, **kwargs) -> None:
    """Any saved or deleted lesson (the admin, the loader, a shell) changes
    the public pages: forget the version they are cached under. A signal,
    not a call in each place, so no write path can forget it."""
    from .services import lessons_version_reset

    lessons_version_reset()


class LessonsConfig(AppConfig):
    name = "lessons"

    def ready(self) -> None:
        post_migrate.connect(load_lessons_after_migrate, sender=self, dispatch_uid="lessons.load_after_migrate")
        lesson = self.get_model("Lesson")
        post_save.connect(reset_lessons_version, sender=lesson, dispatch_uid="lessons.version_on_save")
        post_delete.connect(reset_lessons_version, sender=lesson, dispatch_uid="lessons.version_on_delete")
