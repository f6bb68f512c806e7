import time
from datetime import timedelta

import pytest
from django.utils import timezone

from servicedesk.core.models import Notification
from tests.tickets.factories import RecordFactory
from tickets.models import BreachNotice
from tickets.tasks import escalate_breaches

pytestmark = pytest.mark.django_db


def test_breach_escalates_to_managers_once(manager, agent, category):
    now = timezone.now()
    record = RecordFactory(
        category=category,
        first_response_due=now - timedelta(hours=2),
        resolution_due=now - timedelta(hours=1),
    )
    RecordFactory(category=category, resolution_due=now + timedelta(hours=1))  # not yet
    RecordFactory(category=category, status="resolved", resolution_due=now - timedelta(days=1))

    assert escalate_breaches() == 2  # first response and resolution of the one record
    assert escalate_breaches() == 0  # idempotent
    assert set(BreachNotice.objects.values_list("record", "kind")) == {
        (record.pk, "first_response"),
        (record.pk, "resolution"),
    }
    # the unassigned record's breaches reach the manager as one digest of this run
    digests = Notification.objects.filter(verb="records_breached")
    assert [(n.recipient_id, n.title) for n in digests] == [
        (manager.pk, "1 record missed a time target")
    ]
    assert not Notification.objects.filter(verb="record_breached").exists()  # nobody assigned


def test_beat_schedule_includes_the_breach_scan(tmp_path):
    from servicedesk.celery import app
    from servicedesk.core.beat import DeskScheduler

    # the scheduler beat really starts with, built from the apps' registered periodic tasks
    scheduler = DeskScheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=False)
    try:
        assert scheduler.schedule["tickets-escalate-breaches"].task == "tickets.escalate_breaches"
        assert scheduler.schedule["core-events-retry"].task == "core.events_retry"
        assert scheduler.schedule["core-email-retry"].task == "core.email_retry_due"
    finally:
        scheduler.close()
    assert "tickets-escalate-breaches" not in (app.conf.beat_schedule or {})


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_breach_scan_runs_on_a_real_worker(celery_worker, manager, category):
    from servicedesk.celery import app

    record = RecordFactory(category=category, resolution_due=timezone.now() - timedelta(minutes=5))
    app.send_task("tickets.escalate_breaches")
    deadline = timezone.now() + timedelta(seconds=15)
    while timezone.now() < deadline and not BreachNotice.objects.exists():
        time.sleep(0.2)
    assert BreachNotice.objects.count() == 1
    assert BreachNotice.objects.get().record_id == record.pk
