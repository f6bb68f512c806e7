"""Enqueue Celery tasks through the database so no work is lost when the broker is down."""

import logging
from functools import partial

from celery import current_app
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from .models import TaskOutbox

log = logging.getLogger(__name__)


def enqueue(task_name: str, *args) -> TaskOutbox:
    """Record the task with the caller's transaction and publish it once that commits.

    Arguments must be JSON values (ids, not objects): a task reloads what it needs.
    """
    row = TaskOutbox.objects.create(task_name=task_name, args=list(args))
    # The hook carries the row itself: right after its commit nobody else can have sent it (the
    # sweep waits 30 s), so the request does not read it back before publishing.
    transaction.on_commit(partial(_send, row))
    return row


def publish(outbox_id: int) -> bool:
    """Send one outbox row to the broker; on failure leave it for the resend sweep."""
    row = TaskOutbox.objects.filter(pk=outbox_id, sent_at__isnull=True).first()
    if row is None:
        return True
    return _send(row)


def _send(row: TaskOutbox) -> bool:
    try:
        current_app.send_task(row.task_name, args=row.args)
    except Exception as exc:  # noqa: BLE001 - any broker failure must not break the page
        log.warning("broker unavailable, task %s kept in outbox: %s", row, exc)
        TaskOutbox.objects.filter(pk=row.pk).update(
            attempts=F("attempts") + 1, last_error=str(exc)[:2000]
        )
        return False
    TaskOutbox.objects.filter(pk=row.pk).update(
        sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
    )
    return True


def resend_unsent(*, older_than_seconds: int = 30, limit: int = 500) -> int:
    """Publish rows that were never sent; the young ones are still in their on_commit hook."""
    cutoff = timezone.now() - timezone.timedelta(seconds=older_than_seconds)
    ids = list(
        TaskOutbox.objects.filter(sent_at__isnull=True, created_at__lte=cutoff)
        .order_by("created_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(publish(pk) for pk in ids)
