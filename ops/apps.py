from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Running Crest: backups (`manage.py backup` and `restore`), secrets kept
    out of the logs (ops.redact) and gunicorn's settings (ops/gunicorn.conf.py).
    No models."""

    name = "ops"
