"""Delete sign-in records (django-axes attempts, failures and access log)
older than 30 days. Run it daily, e.g. from cron:

    15 3 * * *  cd /srv/crest && .venv/bin/python manage.py purge_login_records
"""

from datetime import timedelta

from django.core.management.base import BaseCommand

from accounts.services import LOGIN_RECORDS_DAYS, login_records_purge


class Command(BaseCommand):
    help = f"Delete sign-in records older than {LOGIN_RECORDS_DAYS} days. Run daily."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--days", type=int, default=LOGIN_RECORDS_DAYS, help="Keep records this many days.")

    def handle(self, *args, days: int, **options) -> None:
        deleted = login_records_purge(older_than=timedelta(days=max(days, 1)))
        self.stdout.write(f"Deleted {deleted} sign-in record{'s' if deleted != 1 else ''} older than {days} days.")
