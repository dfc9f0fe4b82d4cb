"""`manage.py backup [--output FILE] [--unencrypted]`: a consistent copy of
the database in DATABASE_URL, safe while Crest serves, without sessions or
cache, encrypted to CREST_BACKUP_RECIPIENTS (see ops/backup.py and
docs/backups.md)."""

from pathlib import Path

from django.core.management.base import BaseCommand, CommandError

from ops.backup import BackupError, database_backup


class Command(BaseCommand):
    help = "Back up the database (SQLite: online backup API; PostgreSQL: pg_dump), safe while the app serves."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--output", type=Path, metavar="FILE",
            help="Where to write it (default: backups/crest-<database>-<UTC time>.sqlite3.age or .pgdump.age).",
        )
        parser.add_argument(
            "--unencrypted", action="store_true",
            help="Write the copy in clear (default: encrypted with age to CREST_BACKUP_RECIPIENTS).",
        )

    def handle(self, *args, **options) -> None:
        if options["verbosity"] >= 2:
            self.stdout.write("Starting the backup.")
            self.stdout.flush()
        try:
            result = database_backup(output=options["output"], unencrypted=options["unencrypted"])
        except BackupError as error:
            raise CommandError(str(error)) from None
        what = f" ({result.counts})" if result.counts else ""
        how = "encrypted to CREST_BACKUP_RECIPIENTS" if result.encrypted else "IN CLEAR"
        restore = f"make restore FILE={result.path}" + (" IDENTITY=<your age identity>" if result.encrypted else "")
        self.stdout.write(
            f"Backed up the {result.database}{what}, without sessions or cache, {how}, to {result.path} "
            f"({result.size:,} bytes). Restore it with: {restore}"
        )
