"""Send every reminder due now (or at --now), each occurrence once. Run it
every minute, on one server or many (deploy/systemd/crest-reminders.timer, or the
cron line in docs/reminders.md); `make run` runs it with --every 60 beside
the development server."""

import time
from datetime import UTC, datetime

from django.core.management.base import BaseCommand, CommandError

from reminders import push, services


class Command(BaseCommand):
    help = "Send the reminders due now (and those missed since the last run that are still useful)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--now", help="The moment to send for, ISO-8601 (default: now). A time without an offset is UTC."
        )
        parser.add_argument(
            "--every", type=int, metavar="SECONDS", help="Run again every SECONDS until stopped (for `make run`)."
        )

    def handle(self, *args, now: str | None = None, every: int | None = None, **options) -> None:
        if not push.vapid_configured():
            raise CommandError("set CREST_VAPID_PRIVATE_KEY (make one with `manage.py vapid_keys`) to send reminders.")
        moment = None
        if now:
            try:
                moment = datetime.fromisoformat(now)
            except ValueError:
                raise CommandError(
                    f"--now must be an ISO-8601 time such as 2026-05-04T07:30:00Z, not “{now}”."
                ) from None
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=UTC)
        while True:
            try:
                report = services.reminders_send_due(now=moment)
            except Exception as error:
                if not every:
                    raise
                # Looping beside the development server: say so, try again next time.
                self.stderr.write(f"send_reminders: {type(error).__name__}; trying again in {every} s")
            else:
                if options["verbosity"] >= 1:
                    self.stdout.write(str(report))
            if not every:
                return
            time.sleep(every)
