"""Delete again the accounts of patients deleted after a backup was made
and brought back by restoring it (their ids from `deleted_patients_since`),
exactly as deleting from /me/ does. An id that is not there is skipped."""

from django.core.management.base import BaseCommand

from accounts.services import account_delete
from clinics.models import Patient


class Command(BaseCommand):
    help = "Delete the accounts of these patients (ids) again, after a restore brought them back."

    def add_arguments(self, parser) -> None:
        parser.add_argument("patient_ids", nargs="*", type=int)

    def handle(self, *args, patient_ids: list[int], **options) -> None:
        deleted = 0
        for patient in Patient.objects.filter(pk__in=patient_ids).select_related("user"):
            account_delete(user=patient.user)
            deleted += 1
        self.stdout.write(f"Deleted {deleted} account(s) again; {len(patient_ids) - deleted} were not there.")
