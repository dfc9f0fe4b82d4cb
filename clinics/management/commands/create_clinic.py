"""`manage.py create_clinic "NAME" --admin USERNAME [--time-zone ZONE]`: the
operator's way to start a clinic in production. It creates the clinic and its
first clinic admin (no password yet) and prints a one-time link for that admin
to set one. Works with debug off; nothing is written when it refuses."""

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError

from accounts.services import set_password_link_lifetime, set_password_path
from clinics import services


class Command(BaseCommand):
    help = "Create a clinic and its first clinic admin, and print a one-time link for the admin to set a password."

    def add_arguments(self, parser) -> None:
        parser.add_argument("name", help='The clinic\'s name, e.g. "Riverside Clinic".')
        parser.add_argument("--admin", required=True, metavar="USERNAME", help="Username of the first clinic admin.")
        parser.add_argument(
            "--time-zone", default="UTC", metavar="ZONE",
            help="The clinic's IANA time zone, e.g. America/New_York (default UTC): due dates follow its calendar day.",
        )

    def handle(self, *args, **options) -> None:
        try:
            clinic, admin = services.clinic_create(
                name=options["name"], admin_username=options["admin"], time_zone=options["time_zone"]
            )
        except services.ClinicCreateError as error:
            raise CommandError(str(error)) from None
        path = set_password_path(user=admin)
        link = f"{settings.SITE_URL}{path}" if settings.SITE_URL else path
        self.stdout.write(
            f"Created clinic “{clinic.name}” (time zone {clinic.time_zone}) and its clinic admin {admin.username}."
        )
        self.stdout.write(
            f"Give {admin.username} this link to set a password; it works once, for {set_password_link_lifetime()}"
            + ("" if settings.SITE_URL else " (a path: put your site's address in front, or set DJANGO_SITE_URL)")
            + ":"
        )
        self.stdout.write(link)
