"""The database cache's table (settings.CACHES), so `migrate` alone makes a
deploy ready: login throttling counts live there unless a shared cache such
as Redis is configured (then this creates nothing)."""

from django.core.management import call_command
from django.db import migrations


def create_cache_table(apps, schema_editor) -> None:
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("accounts", "0002_user_session_generation")]

    operations = [migrations.RunPython(create_cache_table, migrations.RunPython.noop)]
