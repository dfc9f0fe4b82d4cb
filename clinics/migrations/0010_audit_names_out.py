"""Before the audit trail becomes append-only (0011): rows name a patient
by id only. The usernames of patients acting on their own data and the
labels written into "Created invite" lines go (the label column goes in
0011). Its own migration: on PostgreSQL these updates and 0011's changes
to the table's constraints cannot share a transaction."""

from django.db import migrations


def names_out(apps, schema_editor) -> None:
    AuditEvent = apps.get_model("clinics", "AuditEvent")
    Patient = apps.get_model("clinics", "Patient")
    patient_users = Patient.objects.values("user_id")
    AuditEvent.objects.filter(actor__in=patient_users).update(actor_username="")
    AuditEvent.objects.filter(action="invite_created").update(detail="")


class Migration(migrations.Migration):
    dependencies = [("clinics", "0009_clinic_roster_version")]

    operations = [migrations.RunPython(names_out, migrations.RunPython.noop)]
