"""The operator's way to reset a staff account's sign-in (a site superuser's
too, whom no clinic admin may change): the password stops working, the
authenticator app and recovery codes are removed, every session ends, and
a one-time link is printed with which the person sets a new password and
connects an app. Written to the audit trail.

    python manage.py sign_in_link USERNAME
"""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts import mfa
from accounts.models import User
from accounts.services import is_staff_account


class Command(BaseCommand):
    help = "Reset a staff account's password and authenticator; print a one-time link to set them again."

    def add_arguments(self, parser) -> None:
        parser.add_argument("username")

    def handle(self, *args, username: str, **options) -> None:
        user = User.objects.filter(username=username).first()
        if user is None or not is_staff_account(user):
            raise CommandError(f"No staff account is named “{username}”.")
        if not user.is_active:
            raise CommandError(f"{username} is deactivated: reactivate the account first.")
        path = mfa.sign_in_reset(user=user)
        self.stdout.write(f"{username}'s password, authenticator app and recovery codes no longer work.")
        self.stdout.write(
            f"Give them this link; it works once, within {settings.PASSWORD_RESET_TIMEOUT // 3600} hours"
            + ("" if settings.SITE_URL else " (a path: put your site's address in front, or set DJANGO_SITE_URL)")
            + ":"
        )
        self.stdout.write(f"{settings.SITE_URL}{path}")
