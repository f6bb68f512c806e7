import socket

from celery import shared_task

from . import outbox, services


@shared_task(name="core.outbox_resend")
def outbox_resend() -> int:
    return outbox.resend_unsent()


@shared_task(name="core.worker_ping_complete")
def worker_ping_complete(ping_id: int) -> None:
    services.worker_ping_complete(ping_id=ping_id, worker=socket.gethostname())


@shared_task(name="core.notification_email")
def notification_email(*notification_ids: int) -> int:
    """Kept for tasks recorded before notifications queued their e-mails themselves: each
    notification not yet e-mailed gets its OutboundEmail now (sent by core.email_send)."""
    from .notifications import notification_send_email

    return sum(notification_send_email(notification_id=pk) for pk in notification_ids)


@shared_task(name="core.email_send")
def email_send(*email_ids: int) -> int:
    """Send queued e-mails; each failure is recorded on its row and retried by the sweep."""
    from . import email

    return sum(email.email_send(email_id=pk) for pk in email_ids)


@shared_task(name="core.email_retry_due")
def email_retry_due() -> int:
    from . import email

    return email.email_retry_due()


@shared_task(name="core.event_deliver")
def event_deliver(*event_ids: int) -> int:
    """Deliver one transaction's events to their subscribers; each delivery is idempotent, so a
    re-sent message is harmless."""
    from . import events

    return sum(events.deliver_event(event_id) for event_id in event_ids)


@shared_task(name="core.events_retry")
def events_retry(min_age_seconds: int = 30) -> int:
    from . import events

    return events.retry_due(min_age_seconds=min_age_seconds)
