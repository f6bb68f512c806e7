from celery import shared_task

from . import retention, services
from .complaints import services as complaints


@shared_task(name="tickets.escalate_breaches")
def escalate_breaches() -> int:
    """Beat runs this every few minutes; each breach is announced once (BreachNotice): to the
    assignee per record, to the lead department's managers in one digest per run."""
    return services.breaches_escalate()


@shared_task(name="tickets.complaint_actions")
def complaint_actions() -> dict:
    """Step 5's dates: owners reminded the day before, managers told once an action is late."""
    return {
        "reminded": complaints.complaint_actions_remind(),
        "escalated": complaints.complaint_actions_escalate(),
    }


@shared_task(name="tickets.purge_attachments")
def purge_attachments() -> int:
    """Daily: attachments past ATTACHMENT_RETENTION_DAYS deleted, file and row (retention)."""
    return retention.purge_attachments()
