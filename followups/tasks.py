"""Beat's callback work: thin tasks over followups.services; each is safe to run twice."""

from celery import shared_task

from . import services


@shared_task(name="followups.scan")
def scan() -> int:
    """Create the periodic and greeting visits now due (unique keys make a second run add none)."""
    return services.visits_scan()


@shared_task(name="followups.remind")
def remind() -> int:
    """Remind assignees of visits about to fall due; each reminder is claimed once."""
    return services.visits_remind_due()


@shared_task(name="followups.mark_missed")
def mark_missed() -> int:
    """Visits whose window closed become missed, and their managers are told once."""
    return services.visits_mark_missed()
