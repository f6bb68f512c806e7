"""Callback work on a real Celery worker and beat's real scheduler, through Redis."""

import time
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.utils import timezone

from followups.models import CallbackVisit
from servicedesk.core.models import Notification
from tickets import services as record_services

SH = ZoneInfo("Asia/Shanghai")


def wait_for(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


def test_beat_schedule_includes_the_callback_scans(tmp_path):
    from servicedesk.celery import app
    from servicedesk.core.beat import DeskScheduler

    scheduler = DeskScheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=False)
    try:
        tasks = {name: entry.task for name, entry in scheduler.schedule.items()}
    finally:
        scheduler.close()
    assert tasks["followups-scan"] == "followups.scan"
    assert tasks["followups-remind"] == "followups.remind"
    assert tasks["followups-mark-missed"] == "followups.mark_missed"


def _resolved_installation(agent, customer, category):
    record = record_services.record_create(
        by=agent,
        customer_id=customer.pk,
        stage=category.stage,
        category_id=category.pk,
        subject="衣柜安装",
    )
    record_services.record_transition(by=agent, record_id=record.pk, to_status="open")
    record_services.record_transition(by=agent, record_id=record.pk, to_status="resolved")
    return record


def _beat_tick(tmp_path, entry: str) -> None:
    """What beat does when `entry` falls due: its real scheduler sends the task to the broker."""
    from servicedesk.celery import app
    from servicedesk.core.beat import DeskScheduler

    scheduler = DeskScheduler(app=app, schedule_filename=str(tmp_path / "beat"), lazy=False)
    try:
        for name, item in scheduler.schedule.items():
            # Only this entry is due; the others ran "just now".
            item.last_run_at = item.default_now() - (
                timedelta(days=1) if name == entry else timedelta(0)
            )
        scheduler.tick()
    finally:
        scheduler.close()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_resolving_a_record_gives_one_visit_and_its_reminder_runs_in_the_worker(
    settings, celery_worker, agent, customer, category, install_rule, tmp_path
):
    # given events go through the broker to the worker, as in production
    settings.DESK_EVENTS_SYNC = False
    resolved_at = datetime(2026, 11, 26, 15, 0, tzinfo=SH)  # a Thursday
    with time_machine.travel(resolved_at, tick=True):
        record = _resolved_installation(agent, customer, category)
        # then the worker's subscriber makes exactly one visit, three working days on
        assert wait_for(lambda: CallbackVisit.objects.filter(source_record=record).exists())
    visit = CallbackVisit.objects.get()
    due = timezone.localtime(visit.due_at, SH)
    assert (due.date().isoformat(), due.strftime("%H:%M")) == ("2026-12-01", "15:00")

    # when beat's reminder scan falls due an hour before the visit
    with time_machine.travel(visit.due_at - timedelta(minutes=59), tick=True):
        _beat_tick(tmp_path, "followups-remind")
        assert wait_for(lambda: Notification.objects.filter(verb="callback_due").exists())
    # then the department is reminded once (nobody has the visit yet: its queue)
    reminded = Notification.objects.filter(verb="callback_due").values_list("recipient", flat=True)
    assert list(reminded) == [agent.pk]
    visit.refresh_from_db()
    assert visit.reminded_at is not None
    assert CallbackVisit.objects.count() == 1
