"""Stored progress on Patient (assigned, done, earliest due date not done),
filled for the patients there are, and the dashboard's indexes, chosen with
EXPLAIN on PostgreSQL (README, "The dashboard at scale"). On PostgreSQL, a
trigram index for the search by label too, when pg_trgm may be created."""

from django.conf import settings
from django.db import migrations, models, transaction

TRIGRAM_INDEX = "patient_label_trgm"


def fill_progress(apps, schema_editor) -> None:
    """Count the progress of existing patients with the app's own count
    (clinics.models.counted_progress: the one definition of an assignment's
    status), for the fields added here only: later migrations add and fill
    the others. A fresh database has no patients, so it never reaches the
    current code; later schema changes cannot break it there."""
    if not apps.get_model("clinics", "Patient").objects.using(schema_editor.connection.alias).exists():
        return
    from clinics.models import Patient, counted_progress

    counted = counted_progress()
    Patient.objects.using(schema_editor.connection.alias).update(
        **{name: counted[name] for name in ("assigned_count", "done_count", "earliest_due_not_done")}
    )


def add_trigram_index(apps, schema_editor) -> None:
    """`?q=` is `label ILIKE '%…%'` (Django's icontains: UPPER(label) LIKE
    UPPER(…)); only a trigram index serves a pattern with a leading %. It
    needs the pg_trgm extension: created if this role may (a trusted
    extension since PostgreSQL 13), skipped otherwise (the search then scans
    one clinic's patients, as on SQLite)."""
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    try:
        with transaction.atomic(using=connection.alias):
            schema_editor.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
    except Exception:  # noqa: BLE001 - no permission, or the extension is not installed
        return
    schema_editor.execute(
        f"CREATE INDEX IF NOT EXISTS {TRIGRAM_INDEX} ON clinics_patient USING gin (UPPER(label::text) gin_trgm_ops)"
    )


def drop_trigram_index(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP INDEX IF EXISTS {TRIGRAM_INDEX}")


class Migration(migrations.Migration):

    dependencies = [
        ('clinics', '0007_patient_language'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.AddField(
            model_name='patient',
            name='assigned_count',
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='patient',
            name='done_count',
            field=models.PositiveIntegerField(default=0, editable=False),
        ),
        migrations.AddField(
            model_name='patient',
            name='earliest_due_not_done',
            field=models.DateField(blank=True, editable=False, null=True),
        ),
        migrations.RunPython(fill_progress, migrations.RunPython.noop, elidable=True),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(fields=['clinic', 'label', 'id'], name='patient_clinic_label'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(condition=models.Q(('earliest_due_not_done__isnull', False)), fields=['clinic', 'earliest_due_not_done'], name='patient_not_done_due'),
        ),
        migrations.AddIndex(
            model_name='patient',
            index=models.Index(condition=models.Q(('assigned_count__gt', 0), ('done_count', 0), ('shares_progress', True)), fields=['clinic', 'label', 'id'], name='patient_not_started'),
        ),
        migrations.RunPython(add_trigram_index, drop_trigram_index),
    ]
