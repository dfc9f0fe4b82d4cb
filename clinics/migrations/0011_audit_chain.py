"""The audit trail becomes append-only and tamper-evident.

- Rows name a patient by id only: the label column goes (0010 took the
  other names out). Deleting an account then changes no row.
- Deleting an account or a patient writes nothing to these rows (no
  database constraint, nothing done on delete); a clinic with an audit
  trail cannot be deleted.
- Each row gets its hash, chained to the row before, in id order
  (clinics.models.audit_hash; `manage.py verify_audit`).
"""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from clinics.models import audit_hash


def chain(apps, schema_editor) -> None:
    AuditEvent = apps.get_model("clinics", "AuditEvent")
    previous, batch = "", []
    for row in AuditEvent.objects.order_by("pk").iterator(chunk_size=2000):
        previous = row.hash = audit_hash(
            previous, clinic_id=row.clinic_id, actor_id=row.actor_id, actor_username=row.actor_username,
            action=row.action, patient_id=row.patient_id, detail=row.detail, created_at=row.created_at,
        )
        batch.append(row)
        if len(batch) >= 2000:
            AuditEvent.objects.bulk_update(batch, ["hash"])
            batch = []
    AuditEvent.objects.bulk_update(batch, ["hash"])


class Migration(migrations.Migration):

    dependencies = [
        ('clinics', '0010_audit_names_out'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveField(
            model_name='auditevent',
            name='patient_label',
        ),
        migrations.AddField(
            model_name='auditevent',
            name='hash',
            field=models.CharField(default='', editable=False, max_length=64),
            preserve_default=False,
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='action',
            field=models.CharField(choices=[('patient_viewed', 'Viewed patient page'), ('exported', 'Exported progress (CSV)'), ('invite_created', 'Created invite'), ('patient_joined', 'Patient joined'), ('assigned', 'Assigned lessons'), ('due_changed', 'Changed due date'), ('withdrawn', 'Withdrew assignment'), ('staff_added', 'Added staff member'), ('account_deleted', 'Patient deleted their account'), ('sharing_stopped', 'Patient stopped sharing'), ('sharing_started', 'Patient started sharing'), ('passphrase_link', 'Made a new-passphrase link for a patient'), ('staff_deactivated', 'Deactivated a staff member'), ('staff_reactivated', 'Reactivated a staff member'), ('staff_removed', 'Removed a staff member from the clinic'), ('signed_in', 'Signed in with a password'), ('sign_in_failed', 'Wrong password at sign-in'), ('second_factor_added', 'Connected an authenticator app'), ('second_factor_passed', 'Signed in with an authenticator code'), ('second_factor_failed', 'Entered a wrong code after the password'), ('recovery_codes_made', 'Made new recovery codes'), ('recovery_code_used', 'Signed in with a recovery code'), ('password_changed', 'Changed their password'), ('password_set_by_link', 'Set a password with a one-time link'), ('link_used_by_staff', 'A staff member used a patient’s new-passphrase link'), ('sign_in_reset', 'Reset a staff member’s sign-in (a set-password link; authenticator removed)')], max_length=30),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='actor',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to=settings.AUTH_USER_MODEL),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='clinic',
            field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='audit_events', to='clinics.clinic'),
        ),
        migrations.AlterField(
            model_name='auditevent',
            name='patient',
            field=models.ForeignKey(blank=True, db_constraint=False, null=True, on_delete=django.db.models.deletion.DO_NOTHING, related_name='+', to='clinics.patient'),
        ),
        migrations.RunPython(chain, migrations.RunPython.noop),
    ]
