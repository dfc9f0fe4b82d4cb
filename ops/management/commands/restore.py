"""`manage.py restore FILE [--force]`: put a backup made by `backup` back into
the database in DATABASE_URL. Refuses a database that is not empty unless
--force (see ops/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, database_restore


class Command(BaseCommand):
    help = "Restore a backup made by `manage.py backup` into the database in DATABASE_URL. Stop the app servers first."

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", type=Path, help="A file made by `manage.py backup` (.age, .sqlite3 or .pgdump).")
        parser.add_argument(
            "--force", action="store_true",
            help="Replace everything in the database even if it is not empty.",
        )
        parser.add_argument(
            "--identity", type=Path, metavar="FILE",
            help="The operator's age identity (private key) that decrypts an encrypted backup.",
        )

    def handle(self, *args, **options) -> None:
        try:
            result = database_restore(source=options["file"], force=options["force"], identity=options["identity"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        if result.replaced:
            self.stdout.write(f"Replaced everything that was in the {result.database} ({result.replaced}).")
        self.stdout.write(f"Restored {result.path} into the {result.database}: {result.counts}.")
        self.stdout.write(
            "Accounts deleted since this backup was made are back, and every session is gone. Delete those "
            "accounts again: see docs/backups.md (manage.py deleted_patients_since, delete_patients_again)."
        )
        if result.unapplied_migrations:
            self.stdout.write(
                f"The backup predates {result.unapplied_migrations} migration(s) of this code: "
                "run `manage.py migrate` before serving."
            )
