"""The database cache table, for the rate limits of a desk that runs without Redis (make run).
createcachetable skips tables that exist and backends that are not the database's."""

from django.core.management import call_command
from django.db import migrations


def create(apps, schema_editor):
    call_command("createcachetable", database=schema_editor.connection.alias, verbosity=0)


class Migration(migrations.Migration):
    dependencies = [("core", "0005_lean_log_indexes")]

    operations = [migrations.RunPython(create, migrations.RunPython.noop)]
