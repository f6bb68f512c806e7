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
