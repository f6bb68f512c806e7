"""Domain events: recorded with the change, handled once, isolated, retried, visible when failed."""

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import transaction
from django.utils import timezone

from servicedesk.core import events
from servicedesk.core.models import DeliveryState, DomainEvent, EventDelivery, Notification
from tests.factories import CustomerFactory, MembershipFactory, UserFactory
from tickets import services
from tickets.models import ServiceRecord

pytestmark = pytest.mark.django_db


@pytest.fixture
def handled():
    """A test subscriber on record_created that records what it saw (and can be told to fail)."""
    seen: list[int] = []
    state = {"fail": 0}

    def handler(event):
        if state["fail"]:
            state["fail"] -= 1
            raise ConnectionError("the CRM mirror is down")
        seen.append(event.payload["id"])

    events.subscribe("record_created", "tests.mirror", handler)
    yield seen, state
    events._subscribers.pop("tests.mirror", None)


def _create(agent, category, **kw):
    return services.record_create(
        by=agent,
        customer_id=CustomerFactory().pk,
        stage=category.stage,
        category_id=category.pk,
        subject="Door misaligned",
        **kw,
    )


def test_event_is_recorded_in_the_same_transaction_as_the_change(agent, category):
    # when the surrounding transaction rolls back, neither the record nor its event exists
    with pytest.raises(RuntimeError), transaction.atomic():
        _create(agent, category)
        assert DomainEvent.objects.filter(name="record_created").count() == 1
        raise RuntimeError("the caller failed after the service")
    assert not ServiceRecord.objects.exists()
    assert not DomainEvent.objects.exists()

    # when it commits, both do, with the ids a subscriber needs
    record = _create(agent, category)
    event = DomainEvent.objects.get(name="record_created")
    assert event.payload["id"] == record.pk
    assert event.payload["customer_id"] == record.customer_id
    assert event.actor == agent


@pytest.mark.django_db(transaction=True)
def test_emit_outside_a_transaction_is_refused():
    with pytest.raises(RuntimeError, match="inside the transaction"):
        events.emit("record_created", payload={})


def test_every_record_write_service_emits_its_event(agent, manager, category):
    record = _create(agent, category)
    services.record_update(
        by=agent, record_id=record.pk, version=record.version, changes={"priority": "high"}
    )
    services.record_assign(by=manager, record_id=record.pk, assignee_id=agent.pk)
    services.message_add(by=agent, record_id=record.pk, kind="note", body="Bring screws")
    services.record_transition(by=agent, record_id=record.pk, to_status="open")
    names = list(DomainEvent.objects.order_by("pk").values_list("name", flat=True))
    assert names == [
        "record_created",
        "record_updated",
        "record_assigned",
        "record_message_added",
        "record_status_changed",
    ]
    changed = DomainEvent.objects.get(name="record_status_changed").payload
    assert (changed["from"], changed["to"]) == ("new", "open")
    assert DomainEvent.objects.get(name="record_updated").payload["fields"] == ["priority"]


def test_a_redelivered_event_is_handled_once(
    agent, category, handled, django_capture_on_commit_callbacks
):
    seen, _state = handled
    with django_capture_on_commit_callbacks(execute=True):
        record = _create(agent, category)
    assert seen == [record.pk]
    event = DomainEvent.objects.get(name="record_created")

    # the broker hands the same event over again, twice (at-least-once delivery)
    events.deliver_event(event.pk)
    for delivery in EventDelivery.objects.filter(event=event):
        events.deliver(delivery_id=delivery.pk)

    assert seen == [record.pk]
    delivery = EventDelivery.objects.get(event=event, subscriber="tests.mirror")
    assert (delivery.state, delivery.attempts) == (DeliveryState.DONE, 1)


def test_subscriber_notifications_are_not_doubled_by_redelivery(
    agent, manager, category, django_capture_on_commit_callbacks
):
    colleague = UserFactory()
    MembershipFactory(user=colleague, department=category.lead_department)
    with django_capture_on_commit_callbacks(execute=True):
        _create(agent, category)
    event = DomainEvent.objects.get(name="record_created")
    # even forcing the delivery back to pending, the notification's unique key holds
    EventDelivery.objects.filter(event=event).update(state=DeliveryState.PENDING)
    events.deliver_event(event.pk)
    assert Notification.objects.filter(recipient=colleague, verb="record_new").count() == 1


def test_a_failing_subscriber_leaves_the_change_and_is_retried_with_backoff(
    agent, category, handled, django_capture_on_commit_callbacks
):
    seen, state = handled
    state["fail"] = 2
    with django_capture_on_commit_callbacks(execute=True):
        record = _create(agent, category)

    # the record stands; the other subscriber (the department notice) ran; this one waits
    assert ServiceRecord.objects.filter(pk=record.pk).exists()
    delivery = EventDelivery.objects.get(subscriber="tests.mirror")
    assert delivery.state == DeliveryState.PENDING
    assert delivery.attempts == 1
    assert "CRM mirror is down" in delivery.last_error
    first_wait = delivery.next_attempt_at - timezone.now()
    assert timedelta(seconds=20) < first_wait <= timedelta(seconds=30)
    assert EventDelivery.objects.get(subscriber="tickets.notify_department").state == "done"

    # the sweep leaves it alone until it is due, then retries; the wait grows
    assert events.retry_due() == 0
    with time_machine.travel(timezone.now() + timedelta(seconds=31), tick=False):
        assert events.retry_due() == 0  # failed again
        delivery.refresh_from_db()
        assert delivery.attempts == 2
        assert delivery.next_attempt_at - timezone.now() == timedelta(minutes=2)
    with time_machine.travel(timezone.now() + timedelta(minutes=3), tick=False):
        assert events.retry_due() == 1
    delivery.refresh_from_db()
    assert (delivery.state, delivery.attempts, delivery.last_error) == ("done", 3, "")
    assert seen == [record.pk]


def test_a_final_failure_is_kept_and_shown_to_administrators(
    agent, category, handled, administrator, client, django_capture_on_commit_callbacks
):
    _seen, state = handled
    state["fail"] = 99
    with django_capture_on_commit_callbacks(execute=True):
        _create(agent, category)
    when = timezone.now()
    for _attempt in range(events.MAX_ATTEMPTS):
        when += timedelta(hours=3)
        with time_machine.travel(when, tick=False):
            events.retry_due()
    delivery = EventDelivery.objects.get(subscriber="tests.mirror")
    assert delivery.state == DeliveryState.FAILED
    assert delivery.attempts == events.MAX_ATTEMPTS

    health = client.get("/healthz").json()
    assert health["failed"] == {"event_deliveries": 1, "emails": 0}
    client.force_login(administrator)
    page = client.get("/admin/core/eventdelivery/?state__exact=failed")
    assert page.status_code == 200
    assert "tests.mirror" in page.content.decode()

    # an administrator fixes the cause and retries it from the admin
    state["fail"] = 0
    client.post(
        "/admin/core/eventdelivery/",
        {"action": "retry_now", "_selected_action": [delivery.pk]},
    )
    delivery.refresh_from_db()
    assert delivery.state == DeliveryState.DONE


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_event_emitted_while_redis_is_stopped_is_delivered_when_it_is_back(
    settings, agent, category, own_redis
):
    """A real Redis process is stopped before the commit and started again afterwards."""
    from celery import Celery
    from celery.contrib.testing.worker import start_worker

    import servicedesk.core.tasks  # noqa: F401 - registers the tasks on the new app
    import tickets.tasks  # noqa: F401

    settings.DESK_EVENTS_SYNC = False
    colleague = UserFactory()
    MembershipFactory(user=colleague, department=category.lead_department)
    app = Celery("events-test", broker=own_redis.url, set_as_current=False)
    app.config_from_object("django.conf:settings", namespace="CELERY")
    app.conf.broker_url = own_redis.url
    app.set_current()  # outbox.publish sends through the current app
    try:
        own_redis.stop()
        record = _create(agent, category)  # commits; the publish in the commit hook fails
        event = DomainEvent.objects.get(name="record_created", payload__id=record.pk)
        assert EventDelivery.objects.filter(event=event, state="pending").count() == 1
        assert not Notification.objects.filter(recipient=colleague).exists()

        own_redis.start()
        # what beat does every minute; the events' own delivery rows are their outbox
        app.send_task("core.events_retry", kwargs={"min_age_seconds": 0})
        with start_worker(app, pool="solo", perform_ping_check=False, shutdown_timeout=10):
            deadline = timezone.now() + timedelta(seconds=20)
            while (
                timezone.now() < deadline
                and EventDelivery.objects.filter(event=event, state="pending").exists()
            ):
                time.sleep(0.2)
        assert set(EventDelivery.objects.filter(event=event).values_list("state", flat=True)) == {
            "done"
        }
        assert Notification.objects.filter(recipient=colleague, verb="record_new").count() == 1
    finally:
        from servicedesk.celery import app as desk_app

        desk_app.set_current()
        app.close()


def test_bulk_writers_deliver_their_events_in_process(
    settings, agent, category, handled, django_capture_on_commit_callbacks
):
    from servicedesk.core.models import TaskOutbox

    settings.DESK_EVENTS_SYNC = False
    seen, _state = handled
    with events.delivering_in_process(), django_capture_on_commit_callbacks(execute=True) as hooks:
        record = _create(agent, category)
    assert seen == [record.pk]
    assert not [h for h in hooks if isinstance(h, events._EventPublisher)]
    # outside the block, events go through the broker again: one message per transaction
    before = DomainEvent.objects.count()
    with django_capture_on_commit_callbacks(execute=False) as hooks, transaction.atomic():
        _create(agent, category)
        _create(agent, category)
    publishers = [h for h in hooks if isinstance(h, events._EventPublisher)]
    assert len(publishers) == 1
    assert len(publishers[0].event_ids) == DomainEvent.objects.count() - before == 2
    assert not TaskOutbox.objects.filter(task_name="core.event_deliver").exists()
