"""The patients whose accounts were deleted since a moment (from the audit
trail's "Patient deleted their account" lines), one id per line. Run it on
the database in use before restoring a backup made at that moment; after
the restore, `delete_patients_again` deletes them again:

    python manage.py deleted_patients_since 2026-03-01T03:15:00Z > deleted.txt
    python manage.py restore ...
    python manage.py delete_patients_again $(cat deleted.txt)
"""

from django.core.management.base import BaseCommand, CommandError
from django.utils.dateparse import parse_datetime

from clinics.models import AuditEvent


class Command(BaseCommand):
    help = "List the ids of patients whose accounts were deleted since a moment (ISO 8601), one per line."

    def add_arguments(self, parser) -> None:
        parser.add_argument("since", help="When the backup was made, e.g. 2026-03-01T03:15:00Z.")

    def handle(self, *args, since: str, **options) -> None:
        moment = parse_datetime(since)
        if moment is None or moment.tzinfo is None:
            raise CommandError(f"“{since}” is not a moment with its time zone, such as 2026-03-01T03:15:00Z.")
        deleted = (
            AuditEvent.objects.filter(action=AuditEvent.Action.ACCOUNT_DELETED, created_at__gte=moment)
            .exclude(patient_id=None).order_by("pk").values_list("patient_id", flat=True)
        )
        for patient_id in deleted:
            self.stdout.write(str(patient_id))
