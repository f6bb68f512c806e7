"""Thin tasks over servicedesk.dashboard.rollups; each is safe to run twice."""

from celery import shared_task

from . import rollups


@shared_task(name="dashboard.roll_record_days")
def roll_record_days() -> int:
    """Sum the closed days not yet summed; a day summed twice is the same."""
    return rollups.roll_pending()
