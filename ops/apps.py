from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Crest: backups (`manage.py backup` and `restore`), secrets kept
    out of the logs (ops.redact), gunicorn's settings (ops/gunicorn.conf.py)
    and the deployment checks (ops.checks). No models."""

    name = "ops"

    def ready(self) -> None:
        from . import checks  # noqa: F401  (registers the deployment checks)
