from celery import shared_task

from . import services


@shared_task(name="tickets.escalate_breaches")
def escalate_breaches() -> int:
    """Beat runs this every few minutes; each breach is announced once (BreachNotice): to the
    assignee per record, to the lead department's managers in one digest per run."""
    return services.breaches_escalate()
