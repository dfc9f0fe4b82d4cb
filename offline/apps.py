from django.apps import AppConfig
from django.db.models.signals import post_delete, post_save


class OfflineConfig(AppConfig):
    """The service worker, what it precaches, and the public page cache."""

    name = "offline"

    def ready(self) -> None:
        # Any saved or deleted lesson or translation (the admin, the loader
        # that `migrate` runs, a shell) changes the public pages and what
        # the worker precaches: a receiver, not a call in each place, so no
        # write path can forget it. (A queryset .update() sends no signal:
        # lessons_load saves row by row.)
        from . import services

        for name in ("Lesson", "LessonTranslation"):
            model = self.apps.get_model("lessons", name)
            receiver = services.content_version_on_change
            post_save.connect(receiver, sender=model, dispatch_uid=f"offline.version_on_save.{name}")
            post_delete.connect(receiver, sender=model, dispatch_uid=f"offline.version_on_delete.{name}")
