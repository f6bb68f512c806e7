"""Existing records get their StatusChange rows, rebuilt from the history django-simple-history kept.

For each record the history rows are walked oldest first; the creation is a change from "" to the
first status, and every later row whose status differs is a change. Who and why come from the
history row. Records without history (written by raw SQL) get one row: created in their status.
"""

from django.db import migrations
from django.db.models import Exists, OuterRef

BATCH = 2000


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    StatusChange = apps.get_model("core", "StatusChange")
    ServiceRecord = apps.get_model("tickets", "ServiceRecord")
    Historical = apps.get_model("tickets", "HistoricalServiceRecord")
    ct, _ = ContentType.objects.get_or_create(app_label="tickets", model="servicerecord")
    if StatusChange.objects.filter(content_type=ct).exists():
        return  # already rebuilt (re-run after a partial migration)

    rows, last = [], {}
    history = Historical.objects.order_by("id", "history_date", "history_id").values_list(
        "id", "status", "history_date", "history_user_id", "history_change_reason"
    )
    for record_id, status, at, user_id, reason in history.iterator(chunk_size=BATCH):
        previous = last.get(record_id)
        if previous != status:
            rows.append(
                StatusChange(
                    content_type=ct,
                    object_id=record_id,
                    field="status",
                    from_state=previous or "",
                    to_state=status,
                    by_id=user_id,
                    reason=(reason or "")[:200],
                    at=at,
                )
            )
            last[record_id] = status
        if len(rows) >= BATCH:
            StatusChange.objects.bulk_create(rows)
            rows = []
    has_history = Historical.objects.filter(id=OuterRef("pk"))
    missing = ServiceRecord.objects.filter(~Exists(has_history)).values_list(
        "pk", "status", "created_at", "created_by_id"
    )
    for record_id, status, at, user_id in missing.iterator(chunk_size=BATCH):
        rows.append(
            StatusChange(
                content_type=ct,
                object_id=record_id,
                field="status",
                from_state="",
                to_state=status,
                by_id=user_id,
                at=at,
            )
        )
    StatusChange.objects.bulk_create(rows, batch_size=BATCH)


def backwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    StatusChange = apps.get_model("core", "StatusChange")
    ct = ContentType.objects.filter(app_label="tickets", model="servicerecord").first()
    if ct is not None:
        StatusChange.objects.filter(content_type=ct).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("contenttypes", "0002_remove_content_type_name"),
        ("tickets", "0002_message_email_created_default"),
    ]

    operations = [migrations.RunPython(forwards, backwards)]
