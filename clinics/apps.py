from django.apps import AppConfig


class ClinicsConfig(AppConfig):
    name = "clinics"

    def ready(self) -> None:
        # Answer accounts' questions about a person's clinic data (export,
        # deletion, /me/) and record its security events in the audit trail
        # (security): accounts sends signals and never imports clinics.
        # And recount the patients' stored progress after the writes it mirrors.
        from . import hooks, security  # noqa: F401
