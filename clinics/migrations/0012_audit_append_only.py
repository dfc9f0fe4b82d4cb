"""On PostgreSQL the database itself refuses to change or delete an audit
row, whatever the app or a shell does: a trigger raises. (An operator who
must, say to remove a clinic for good, does so as the table's owner with
the trigger disabled, and writes down why.) SQLite has no such guard; the
app refuses there (clinics.models.AuditEvent), and `verify_audit` finds a
row changed behind its back on either database."""

from django.db import migrations

CREATE = """
CREATE FUNCTION clinics_auditevent_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION USING
        MESSAGE = 'clinics_auditevent is append-only: ' || TG_OP || ' refused',
        ERRCODE = 'insufficient_privilege';
END;
$$ LANGUAGE plpgsql;
CREATE TRIGGER clinics_auditevent_append_only
    BEFORE UPDATE OR DELETE ON clinics_auditevent
    FOR EACH ROW EXECUTE FUNCTION clinics_auditevent_append_only();
"""
DROP = """
DROP TRIGGER IF EXISTS clinics_auditevent_append_only ON clinics_auditevent;
DROP FUNCTION IF EXISTS clinics_auditevent_append_only();
"""


def create(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(CREATE)


def drop(apps, schema_editor) -> None:
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(DROP)


class Migration(migrations.Migration):
    dependencies = [("clinics", "0011_audit_chain")]

    operations = [migrations.RunPython(create, drop)]
