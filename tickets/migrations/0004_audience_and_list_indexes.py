"""The record's audience (tickets.visibility) and the indexes the lists and My work walk.

Existing records get their audience here, in batches; on PostgreSQL a GIN index serves the
audience test when few records match (SQLite has no equivalent and needs none for a demo).
"""

from django.conf import settings
from django.db import migrations, models

BATCH = 2000


def fill_audience(apps, schema_editor):
    Record = apps.get_model("tickets", "ServiceRecord")
    through = Record.collaborating_departments.through
    last = 0
    while True:
        rows = list(
            Record.objects.filter(pk__gt=last)
            .order_by("pk")
            .values_list("pk", "lead_department_id", "assignee_id")[:BATCH]
        )
        if not rows:
            return
        collab: dict[int, list[int]] = {}
        for record_id, dept_id in through.objects.filter(
            servicerecord_id__in=[r[0] for r in rows]
        ).values_list("servicerecord_id", "department_id"):
            collab.setdefault(record_id, []).append(dept_id)
        updates = []
        for pk, lead, assignee in rows:
            keys = {f"d{lead}", *(f"d{d}" for d in collab.get(pk, ()))}
            if assignee is not None:
                keys.add(f"u{assignee}")
            updates.append(Record(pk=pk, audience=dict.fromkeys(sorted(keys), True)))
        Record.objects.bulk_update(updates, ["audience"])
        last = rows[-1][0]


def gin(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


GIN_CREATE = (
    "CREATE INDEX IF NOT EXISTS record_audience_gin ON tickets_servicerecord USING gin (audience)"
)
GIN_DROP = "DROP INDEX IF EXISTS record_audience_gin"


class Migration(migrations.Migration):
    dependencies = [
        ("core", "0004_clearer_labels"),
        ("customers", "0004_customer_language"),
        ("tickets", "0003_status_changes_from_history"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.RemoveIndex(
            model_name="servicerecord",
            name="record_assignee_status_idx",
        ),
        migrations.RemoveIndex(
            model_name="servicerecord",
            name="record_dept_status_idx",
        ),
        migrations.RemoveIndex(
            model_name="servicerecord",
            name="record_resolution_due_idx",
        ),
        migrations.RemoveIndex(
            model_name="servicerecord",
            name="record_first_response_due_idx",
        ),
        migrations.RemoveIndex(
            model_name="servicerecord",
            name="record_customer_idx",
        ),
        migrations.RemoveIndex(
            model_name="servicerecord",
            name="record_created_idx",
        ),
        migrations.AddField(
            model_name="servicerecord",
            name="audience",
            field=models.JSONField(default=dict, editable=False),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(fields=["-created_at", "-id"], name="record_created_idx"),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(
                fields=["customer", "-created_at", "-id"], name="record_customer_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(
                fields=["assignee", "-created_at", "-id"], name="record_assignee_idx"
            ),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "open", "pending"])),
                fields=["assignee", "resolution_due", "id"],
                name="record_assignee_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(
                condition=models.Q(("status__in", ["new", "open", "pending"])),
                fields=["-created_at", "-id"],
                name="record_running_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["new", "open", "pending"]), ("assignee__isnull", True)
                ),
                fields=["lead_department", "created_at", "id"],
                name="record_unassigned_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["new", "open", "pending"]), ("resolved_at__isnull", True)
                ),
                fields=["resolution_due"],
                name="record_resolution_due_idx",
            ),
        ),
        migrations.AddIndex(
            model_name="servicerecord",
            index=models.Index(
                condition=models.Q(
                    ("status__in", ["new", "open", "pending"]), ("first_responded_at__isnull", True)
                ),
                fields=["first_response_due"],
                name="record_first_response_due_idx",
            ),
        ),
        migrations.RunPython(fill_audience, migrations.RunPython.noop),
        migrations.RunPython(gin(GIN_CREATE), gin(GIN_DROP)),
    ]
