"""A real Celery worker consuming from Redis runs the tasks the desk enqueues."""

import time

import pytest

from servicedesk.core import services
from servicedesk.core.models import TaskOutbox, WorkerPing

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]


def _wait_for(predicate, timeout=20.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.1)
    return False


def test_worker_runs_ping_enqueued_through_outbox(celery_worker):
    ping = services.worker_ping_create()  # autocommit: on_commit publishes at once
    assert TaskOutbox.objects.get().sent_at is not None
    assert _wait_for(
        lambda: WorkerPing.objects.filter(pk=ping.pk, completed_at__isnull=False).exists()
    )
    assert WorkerPing.objects.get(pk=ping.pk).worker


def test_outbox_resend_task_runs_on_worker(celery_worker):
    from servicedesk.core.tasks import outbox_resend

    ping = WorkerPing.objects.create()
    row = TaskOutbox.objects.create(task_name="core.worker_ping_complete", args=[ping.pk])
    TaskOutbox.objects.filter(pk=row.pk).update(created_at=row.created_at.replace(year=2020))
    outbox_resend.delay()
    assert _wait_for(
        lambda: WorkerPing.objects.filter(pk=ping.pk, completed_at__isnull=False).exists()
    )
