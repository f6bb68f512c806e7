"""Complaint.record_created_at: the record's creation time kept on its complaint (indexed), so
the dashboards find a period's complaints without walking the period's records. Existing rows are
filled from their records; the statement is portable (SQLite and PostgreSQL)."""

from django.db import migrations, models

BACKFILL = (
    "UPDATE tickets_complaint SET record_created_at = ("
    "SELECT r.created_at FROM tickets_servicerecord r WHERE r.id = tickets_complaint.record_id)"
)


class Migration(migrations.Migration):
    dependencies = [("tickets", "0007_root_cause")]

    operations = [
        migrations.AddField(
            model_name="complaint",
            name="record_created_at",
            field=models.DateTimeField(editable=False, null=True, verbose_name="record opened"),
        ),
        migrations.RunSQL(BACKFILL, migrations.RunSQL.noop),
        migrations.AlterField(
            model_name="complaint",
            name="record_created_at",
            field=models.DateTimeField(editable=False, verbose_name="record opened"),
        ),
        migrations.AddIndex(
            model_name="complaint",
            index=models.Index(fields=["record_created_at"], name="complaint_record_created_idx"),
        ),
    ]
