"""The shipped check form, the six steps as a grade form (servicedesk/audit/defaults.py).
Idempotent by key: a form an administrator already has is left alone. Undoing it removes
nothing, since reviews may already point at the form."""

from django.db import migrations

from servicedesk.audit.defaults import seed_defaults


def seed(apps, schema_editor):
    seed_defaults(apps.get_model("audit", "CheckForm"), apps.get_model("audit", "CheckItem"))


class Migration(migrations.Migration):
    dependencies = [("audit", "0001_audit")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
