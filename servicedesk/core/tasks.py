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
    from .notifications import notification_send_email

    return sum(notification_send_email(notification_id=pk) for pk in notification_ids)


@shared_task(name="core.event_deliver")
def event_deliver(event_id: int) -> int:
    """Deliver one event to its subscribers; each delivery is idempotent, so a re-send is safe."""
    from . import events

    return events.deliver_event(event_id)


@shared_task(name="core.events_retry")
def events_retry() -> int:
    from . import events

    return events.retry_due()
