"""Deployment checks (`manage.py check --deploy`, run by `make serve`
before gunicorn starts): settings that Django's own checks cannot know are
wrong for Crest in production."""

from django.conf import settings
from django.core import checks


@checks.register(checks.Tags.security, deploy=True)
def crest_deploy_checks(app_configs, **kwargs) -> list[checks.CheckMessage]:
    if settings.DEBUG:
        return []
    found = []
    if not settings.STAFF_MFA:
        found.append(checks.Warning(
            "Staff sign in with a password alone (DJANGO_STAFF_MFA=off).",
            hint="Leave DJANGO_STAFF_MFA unset in production: staff then sign in with a code from an "
                 "authenticator app as well (docs/security.md).",
            id="crest.W001",
        ))
    if settings.HTTPS and not settings.TRUSTED_PROXIES:
        found.append(checks.Warning(
            "DJANGO_TRUSTED_PROXIES is empty, so every request counts as coming from the address that "
            "connected. Behind nginx that is nginx itself: everyone's failed sign-ins count against that one "
            f"address, and {settings.LOGIN_FAILURE_LIMITS['address']} of them lock everyone out for "
            f"{settings.LOGIN_WINDOW_SECONDS // 60} minutes.",
            hint="Set DJANGO_TRUSTED_PROXIES to the address of the proxy in front (docs/deploy.md). "
                 "Serving TLS with no proxy in front? Then ignore this warning.",
            id="crest.W002",
        ))
    return found
