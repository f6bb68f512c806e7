"""Redis stopped: the callback pages and forms keep answering, and the work Redis would have carried
(the visit a resolved record sets off, a reminder falling due) is done once it is back.

A real redis-server of the test's own is stopped and started again; a real worker consumes from
it. The 2-second bound is not a speed measurement (bench/ measures speed): it catches a page that
waits on a dead broker's connection timeouts instead of answering.
"""

import time
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from followups.models import CallbackVisit
from servicedesk.core.models import EventDelivery, Notification
from tests.followups.factories import VisitFactory
from tickets import services as record_services

STUCK = 2.0  # seconds: an answer slower than this is a page hanging on the broker


def _timed(call):
    started = time.monotonic()
    response = call()
    return response, time.monotonic() - started


def _wait_for(condition, seconds: float = 20) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.2)
    return condition()


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_callbacks_work_while_redis_is_down_and_catch_up_when_it_is_back(
    settings, client, agent, department, customer, category, install_rule, own_redis
):
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    import followups.tasks  # noqa: F401 - registers the tasks on the new app
    import servicedesk.core.tasks  # noqa: F401
    import tickets.tasks  # noqa: F401
    from servicedesk.celery import app as desk_app

    settings.DESK_EVENTS_SYNC = False
    now = timezone.now()
    # Its reminder falls due while Redis is down, so beat could not have sent it.
    waiting = VisitFactory(
        department=department,
        customer=customer,
        assignee=agent,
        due_at=now + timedelta(minutes=30),
        remind_at=now - timedelta(minutes=1),
    )
    # Due already, so today's list holds it whatever the hour (an hour ahead is tomorrow after
    # 23:00, and the test runs on the real clock).
    to_complete = VisitFactory(
        department=department, customer=customer, assignee=agent, due_at=now - timedelta(minutes=5)
    )
    record = record_services.record_create(
        by=agent,
        customer_id=customer.pk,
        stage=category.stage,
        category_id=category.pk,
        subject="衣柜安装",
    )
    record_services.record_transition(by=agent, record_id=record.pk, to_status="open")

    app = Celery("callbacks-redis-down", set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = own_redis.url
    app.set_current()  # the events' publish sends through the current app
    client.force_login(agent)
    try:
        own_redis.stop()

        page, took = _timed(lambda: client.get(reverse("followups:index")))
        assert page.status_code == 200 and to_complete.reference in page.content.decode()
        assert took < STUCK, took
        outcome, took = _timed(
            lambda: client.post(
                reverse("followups:outcome", args=[to_complete.pk]),
                {"version": 1, "reached_person": "李伟", "satisfaction": 5},
            )
        )
        assert outcome.status_code == 302 and took < STUCK, (outcome.status_code, took)
        to_complete.refresh_from_db()
        assert to_complete.status == "done"

        # The record is resolved (its commit stands); the event waits in its outbox row.
        _resolved, took = _timed(
            lambda: record_services.record_transition(
                by=agent, record_id=record.pk, to_status="resolved"
            )
        )
        assert took < STUCK, took
        assert EventDelivery.objects.filter(
            event__name="record_status_changed", event__payload__id=record.pk, state="pending"
        ).exists()
        assert not CallbackVisit.objects.filter(source_record=record).exists()

        own_redis.start()
        # What beat does every minute: retry pending events, send reminders now due.
        app.send_task("core.events_retry", kwargs={"min_age_seconds": 0})
        app.send_task("followups.remind")
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            caught_up = _wait_for(
                lambda: (
                    CallbackVisit.objects.filter(source_record=record).exists()
                    and CallbackVisit.objects.filter(
                        pk=waiting.pk, reminded_at__isnull=False
                    ).exists()
                )
            )
        assert caught_up
        assert CallbackVisit.objects.filter(source_record=record).count() == 1
        assert (
            Notification.objects.filter(
                recipient=agent, verb="callback_due", url=waiting.get_absolute_url()
            ).count()
            == 1
        )
    finally:
        desk_app.set_current()
        app.close()
