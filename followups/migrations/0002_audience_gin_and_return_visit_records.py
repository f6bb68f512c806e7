"""The visits' audience index (PostgreSQL only), and the retired "return-visit" category.

Return visits used to be service records of the category "return-visit" (电话回访/人员回访). A
visit now has one form, CallbackVisit: each such record becomes a visit carrying its state, its
people and its conversation as notes, and the record (with its messages and log) is removed, so
the customer's timeline shows it once. The category goes with it; the catalogue no longer ships it.
"""

from datetime import timedelta

from django.db import migrations
from django.utils import timezone

BATCH = 500
ACTIVE = {"new", "open", "pending"}


def _notes(record, messages) -> str:
    lines = [record.subject, record.description, *(m.body for m in messages)]
    return "\n\n".join(line for line in lines if line)[:20000]


def records_to_visits(apps, schema_editor):
    Category = apps.get_model("tickets", "ServiceCategory")
    Record = apps.get_model("tickets", "ServiceRecord")
    Message = apps.get_model("tickets", "RecordMessage")
    Visit = apps.get_model("followups", "CallbackVisit")
    StatusChange = apps.get_model("core", "StatusChange")
    ContentType = apps.get_model("contenttypes", "ContentType")
    category = Category.objects.filter(code="return-visit").first()
    if category is None:
        return
    record_type = ContentType.objects.filter(app_label="tickets", model="servicerecord").first()
    while True:
        records = list(Record.objects.filter(category=category).order_by("pk")[:BATCH])
        if not records:
            break
        texts: dict[int, list] = {}
        for m in Message.objects.filter(record__in=records).order_by("created_at", "pk"):
            texts.setdefault(m.record_id, []).append(m)
        visits = []
        for r in records:
            due = r.resolution_due or r.created_at
            done = r.status not in ACTIVE
            finished = r.resolved_at or r.closed_at or r.updated_at or timezone.now()
            keys = {f"d{r.lead_department_id}": True}
            if r.assignee_id:
                keys[f"u{r.assignee_id}"] = True
            visits.append(
                Visit(
                    customer_id=r.customer_id,
                    contact_id=r.contact_id,
                    purpose="after_service",
                    method="on_site" if r.place == "on_site" else "phone",
                    status="done" if done else "scheduled",
                    department_id=r.lead_department_id,
                    assignee_id=r.assignee_id,
                    due_at=due,
                    window_end=due + timedelta(days=2),
                    remind_at=due,
                    reminded_at=due if done else None,
                    reached=True if done else None,
                    completed_at=finished if done else None,
                    completed_by_id=r.assignee_id if done else None,
                    notes=_notes(r, texts.get(r.pk, [])),
                    created_by_id=r.created_by_id,
                    audience=dict(sorted(keys.items())),
                )
            )
        Visit.objects.bulk_create(visits)
        ids = [r.pk for r in records]
        if record_type is not None:
            StatusChange.objects.filter(content_type=record_type, object_id__in=ids).delete()
        Record.objects.filter(pk__in=ids).delete()
    category.delete()


def gin(sql):
    def run(apps, schema_editor):
        if schema_editor.connection.vendor == "postgresql":
            schema_editor.execute(sql)

    return run


GIN_CREATE = (
    "CREATE INDEX IF NOT EXISTS visit_audience_gin ON followups_callbackvisit USING gin (audience)"
)
GIN_DROP = "DROP INDEX IF EXISTS visit_audience_gin"


class Migration(migrations.Migration):
    dependencies = [
        ("followups", "0001_initial"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [
        migrations.RunPython(gin(GIN_CREATE), gin(GIN_DROP)),
        migrations.RunPython(records_to_visits, migrations.RunPython.noop),
    ]
