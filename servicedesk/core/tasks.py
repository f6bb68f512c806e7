import socket

from celery import shared_task

from . import outbox, services


@shared_task(name="core.outbox_resend")
def outbox_resend() -> int:
    return outbox.resend_unsent()


@shared_task(name="core.worker_ping_complete")
def worker_ping_complete(ping_id: int) -> None:
    services.worker_ping_complete(ping_id=ping_id, worker=socket.gethostname())
