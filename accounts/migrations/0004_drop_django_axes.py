"""django-axes is gone (accounts/throttle.py is the one sign-in throttle):
its tables, which held usernames and addresses of every sign-in, go too, on
databases that had them. Nothing is dropped where they never existed."""

from django.db import migrations

AXES_TABLES = ["axes_accessattemptexpiration", "axes_accessattempt", "axes_accessfailurelog", "axes_accesslog"]


def drop_axes_tables(apps, schema_editor) -> None:
    connection = schema_editor.connection
    existing = set(connection.introspection.table_names())
    for table in AXES_TABLES:
        if table in existing:
            schema_editor.execute(f"DROP TABLE {schema_editor.quote_name(table)}")
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE app = %s", ["axes"])
    ContentType = apps.get_model("contenttypes", "ContentType")
    ContentType.objects.using(connection.alias).filter(app_label="axes").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_cache_table"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(drop_axes_tables, migrations.RunPython.noop)]
