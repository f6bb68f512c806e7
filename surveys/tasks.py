"""Thin tasks over surveys.delivery; each is safe to run twice."""

from celery import shared_task

from . import delivery


@shared_task(name="surveys.send_invitation")
def send_invitation(invitation_id: int) -> bool:
    return delivery.send_invitation(invitation_id=invitation_id)


@shared_task(name="surveys.send_unsent")
def send_unsent() -> int:
    return delivery.send_unsent()
