"""`manage.py backup [--output FILE]`: a consistent copy of the database in
DATABASE_URL, safe while Crest serves (see project/backup.py)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from project.backup import BackupError, database_backup


class Command(BaseCommand):
    help = "Back up the database (SQLite: online backup API; PostgreSQL: pg_dump), safe while the app serves."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output", type=Path, metavar="FILE",
            help="Where to write it (default: backups/crest-<database>-<UTC time>.sqlite3 or .pgdump).",
        )

    def handle(self, *args, **options) -> None:
        if options["verbosity"] >= 2:
            self.stdout.write("Starting the backup.")
            self.stdout.flush()
        try:
            result = database_backup(output=options["output"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        what = f" ({result.counts})" if result.counts else ""
        self.stdout.write(
            f"Backed up the {result.database}{what} to {result.path} ({result.size:,} bytes). "
            f"Restore it with: make restore FILE={result.path}"
        )
