"""Thin tasks over surveys.delivery; each is safe to run twice."""

from celery import shared_task

from . import delivery, retention, rollups


@shared_task(name="surveys.send_invitation")
def send_invitation(invitation_id: int) -> bool:
    return delivery.send_invitation(invitation_id=invitation_id)


@shared_task(name="surveys.send_unsent")
def send_unsent() -> int:
    return delivery.send_unsent()


@shared_task(name="surveys.roll_days")
def roll_days() -> int:
    """Sum the closed days not yet summed (surveys.rollups); a day summed twice is the same."""
    return rollups.roll_pending()


@shared_task(name="surveys.purge_free_text")
def purge_free_text() -> int:
    """Daily: typed answers past SURVEY_FREE_TEXT_RETENTION_DAYS emptied (surveys.retention)."""
    return retention.purge_free_text()
