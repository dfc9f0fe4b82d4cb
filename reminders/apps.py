from django.apps import AppConfig


class RemindersConfig(AppConfig):
    name = "reminders"

    def ready(self) -> None:
        # Sign-out, account export and deletion reach the subscriptions through
        # Django's and accounts' signals: accounts never imports reminders.
        from . import hooks  # noqa: F401
