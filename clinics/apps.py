from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "clinics"

    def ready(self) -> None:
        # Answer accounts' questions about a person's clinic data (export,
        # deletion, /me/): accounts sends signals and never imports clinics.
        from . import hooks  # noqa: F401
