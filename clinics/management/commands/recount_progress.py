"""`manage.py recount_progress [--clinic SLUG]`: the safety net for the
patients' stored progress (what the dashboard counts, filters and pages on).
It follows every save and delete of an assignment or lesson progress by
itself (clinics.hooks); writes that send no signals (bulk_create,
QuerySet.update, raw SQL) can leave it behind. This finds the patients whose
stored progress differs from a count made now, recounts them and prints
each one. Safe to run at any time and as often as wanted, e.g. nightly:

    30 3 * * *  cd /srv/crest && .venv/bin/python manage.py recount_progress
"""

from django.core.management.base import BaseCommand, CommandError

from clinics import services
from clinics.models import Clinic, Patient


class Command(BaseCommand):
    help = "Recount the stored progress of every patient whose stored figures are wrong, and print each one corrected."

    def add_arguments(self, parser) -> None:
        parser.add_argument("--clinic", metavar="SLUG", help="Only this clinic's patients.")

    def handle(self, *args, clinic: str | None = None, **options) -> None:
        patients = Patient.objects.all()
        if clinic is not None:
            if not Clinic.objects.filter(slug=clinic).exists():
                raise CommandError(f"No clinic has the slug “{clinic}”.")
            patients = patients.filter(clinic__slug=clinic)
        checked, corrections = services.progress_recount(patients=patients)
        for correction in corrections:
            changes = ", ".join(
                f"{name} {before} → {after}"
                for name, before, after in zip(
                    services.PROGRESS_FIELDS, correction.stored, correction.counted, strict=True
                )
                if before != after
            )
            # The patient's id, not their label: the clinic's label for a person stays in the clinic.
            self.stdout.write(f"Patient {correction.patient_id} ({correction.clinic}): {changes}")
        self.stdout.write(
            f"Checked {checked} patient{'s' if checked != 1 else ''}; corrected {len(corrections)}."
        )
