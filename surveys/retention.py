"""Retention of survey free text (issue 13, item 7): typed answers older than
SURVEY_FREE_TEXT_RETENTION_DAYS are emptied by a daily beat task (surveys.purge_free_text).

The scores, choices and day sums stay: only what the customer typed is personal. Idempotent: an
emptied answer no longer matches, so a second run, or two beats at once, empty nothing twice.
"""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import Answer

# Small transactions: a purge of a year's answers never holds locks on many rows for long.
BATCH = 500


def purge_free_text(*, now=None, batch: int = BATCH) -> int:
    """Empty the typed answers of responses submitted before the retention period; returns how
    many were emptied. 0 days (the default) keeps them forever."""
    days = settings.SURVEY_FREE_TEXT_RETENTION_DAYS
    if not days or days <= 0:
        return 0
    cutoff = (now or timezone.now()) - timedelta(days=days)
    old = Answer.objects.filter(response__submitted_at__lt=cutoff).exclude(text="")
    total, last = 0, 0
    while True:
        with transaction.atomic():
            # Onwards from the last batch (keyset), so a long backlog is walked once, not once
            # per batch.
            ids = list(old.filter(pk__gt=last).order_by("pk").values_list("pk", flat=True)[:batch])
            if not ids:
                return total
            last = ids[-1]
            total += Answer.objects.filter(pk__in=ids).exclude(text="").update(text="")
