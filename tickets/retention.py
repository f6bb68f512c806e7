"""Retention of attachments (issue 13, item 7): files uploaded more than
ATTACHMENT_RETENTION_DAYS ago are deleted, file and row, by a daily beat task
(tickets.purge_attachments). The record and its messages stay.

Per batch, in one transaction: the rows are locked (two beats skip each other's rows), the files
deleted, then the rows. A crash after a file's deletion rolls the row back; the next run finds it
again and deletes the (already missing) file without error, then the row: safe to run twice.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import RecordAttachment

# A file deletion is a system call each: a hundred keeps a batch's transaction short.
BATCH = 100


def purge_attachments(*, now=None, batch: int = BATCH) -> int:
    """Delete attachments older than the retention period; returns how many. 0 days (the
    default) keeps them forever."""
    days = settings.ATTACHMENT_RETENTION_DAYS
    if not days or days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    total = 0
    while True:
        with transaction.atomic():
            rows = list(
                RecordAttachment.objects.select_for_update(skip_locked=True)
                .filter(created_at__lt=cutoff)
                .order_by("pk")[:batch]
            )
            if not rows:
                return total
            for attachment in rows:
                attachment.file.delete(save=False)
            total += RecordAttachment.objects.filter(pk__in=[a.pk for a in rows]).delete()[0]
