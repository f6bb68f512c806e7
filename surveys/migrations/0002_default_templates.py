"""The shipped survey templates and the policy row (surveys/defaults.py). Idempotent by key: a
template an administrator already has is left alone. Undoing it removes nothing, since answers
may already point at these templates."""

from django.db import migrations

from surveys.defaults import seed_defaults


def seed(apps, schema_editor):
    seed_defaults(
        apps.get_model("surveys", "SurveyTemplate"),
        apps.get_model("surveys", "Question"),
        apps.get_model("surveys", "SurveyPolicy"),
    )


class Migration(migrations.Migration):
    dependencies = [("surveys", "0001_surveys")]

    operations = [migrations.RunPython(seed, migrations.RunPython.noop)]
