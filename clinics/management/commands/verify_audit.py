"""Check the audit trail's hash chain: every row's hash must be the hash of
the row before it and its own fields (clinics.models.audit_hash). A row
changed, or one removed, breaks the chain from there on.

    python manage.py verify_audit

Prints the number of rows and the last hash; write the hash down somewhere
else now and then (the backup log will do): rows removed from the end leave
a shorter chain that is intact, and only a hash kept elsewhere shows it."""

from django.core.management.base import BaseCommand, CommandError

from clinics.models import AuditEvent, audit_hash

FIELDS = ["clinic_id", "actor_id", "actor_username", "action", "patient_id", "detail", "created_at"]


class Command(BaseCommand):
    help = "Check that no audit row was changed or removed (the hash chain). Exits 1 if one was."

    def handle(self, *args, **options) -> None:
        previous, count = "", 0
        rows = AuditEvent.objects.order_by("pk").values_list("pk", "hash", *FIELDS).iterator(chunk_size=2000)
        for pk, stored, *values in rows:
            expected = audit_hash(previous, **dict(zip(FIELDS, values, strict=True)))
            if stored != expected:
                raise CommandError(
                    f"Audit row #{pk} does not match its hash: it was changed, or a row before it was "
                    f"changed or removed ({count} rows before it are intact)."
                )
            previous, count = stored, count + 1
        self.stdout.write(f"Audit trail intact: {count} rows, last hash {previous or '(none)'}.")
