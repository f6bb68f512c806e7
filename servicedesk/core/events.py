"""Domain events: a lower app announces what happened; higher apps subscribe without being named.

    events.emit("record_status_changed", payload={"record_id": 301, "from": "open", ...}, by=user)

- `emit` writes a DomainEvent and one EventDelivery per subscriber inside the caller's transaction
  (the transactional outbox): if the change rolls back, so does the event; once it commits, the
  rows are the source of truth and a dead broker or a crashed process loses nothing.
- After commit the event is handed to a worker through the task outbox (core.outbox), which beat
  re-sends while Redis is down. With DESK_EVENTS_SYNC the commit hook delivers in-process instead.
- Each delivery runs the subscriber and marks itself done in one transaction, under a row lock:
  a re-delivered event finds the marker and does nothing, so each subscriber handles it once.
- A subscriber that raises is rolled back alone (the publisher's change stays), retried with
  exponential backoff by the beat sweep, and after MAX_ATTEMPTS left `failed` with its error,
  visible in Django admin and in /healthz.

Subscribers register from their AppConfig.ready() with `subscribe`.
"""

import logging
from collections.abc import Callable
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from .models import DeliveryState, DomainEvent, EventDelivery

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 6
# 30 s, 2 min, 8 min, 32 min, ~2 h: long enough to ride out a restart or a brief outage.
BACKOFF_BASE_SECONDS = 30


@dataclass(frozen=True)
class Subscriber:
    name: str  # stable: it is the idempotency key stored with each delivery
    event: str
    handler: Callable[[DomainEvent], None]
    # Which of the event's payloads concern it: the others get no delivery row and no message.
    when: Callable[[dict], bool] | None = None


_subscribers: dict[str, Subscriber] = {}
# Set by `delivering_in_process()`: bulk writers deliver their events themselves after commit.
_in_process: ContextVar[bool] = ContextVar("desk_events_in_process", default=False)


@contextmanager
def delivering_in_process():
    """Deliver events emitted inside this block in this process, after their commit, instead of
    through the broker. For bulk writers (demo data, imports) whose thousands of events would
    otherwise queue in front of the interactive work; a failure is still retried by beat."""
    token = _in_process.set(True)
    try:
        yield
    finally:
        _in_process.reset(token)


def subscribe(
    event: str,
    name: str,
    handler: Callable[[DomainEvent], None],
    *,
    when: Callable[[dict], bool] | None = None,
) -> None:
    """Register `handler` for `event` under a stable `name` (re-registering replaces it); `when`
    picks the payloads it is for, e.g. only status changes to resolved."""
    _subscribers[name] = Subscriber(name=name, event=event, handler=handler, when=when)


def subscribers_of(event: str, payload: dict) -> list[Subscriber]:
    return sorted(
        (
            s
            for s in _subscribers.values()
            if s.event == event and (s.when is None or s.when(payload))
        ),
        key=lambda s: s.name,
    )


def emit(name: str, *, payload: dict, by=None) -> DomainEvent:
    """Record the event with the caller's change; deliver it after commit."""
    if not transaction.get_connection().in_atomic_block:
        # Outside a transaction the event could be written without its change, or vice versa.
        raise RuntimeError("emit() must run inside the transaction that makes the change")
    event = DomainEvent.objects.create(
        name=name, payload=payload, actor=by if getattr(by, "pk", None) else None
    )
    subs = subscribers_of(name, payload)
    if subs:
        EventDelivery.objects.bulk_create(
            EventDelivery(event=event, subscriber=s.name) for s in subs
        )
        if getattr(settings, "DESK_EVENTS_SYNC", False) or _in_process.get():
            transaction.on_commit(partial(deliver_event, event.pk))
        else:
            _publish_after_commit(event.pk)
    return event


class _EventPublisher:
    """One broker message for all the events of one transaction, sent once it commits.

    The pending EventDelivery rows are the outbox: if this send fails (Redis down), nothing is
    lost, and the beat sweep (retry_due) delivers them once they are 30 s old. So the request
    writes no task-outbox row per event and publishes once, not once per event.
    """

    def __init__(self, event_id: int):
        self.event_ids = [event_id]

    def __call__(self) -> None:
        from celery import current_app

        try:
            current_app.send_task("core.event_deliver", args=self.event_ids)
        except Exception as exc:  # noqa: BLE001 - any broker failure must not break the page
            log.warning("broker unavailable; events %s wait for the sweep: %s", self.event_ids, exc)


def _publish_after_commit(event_id: int) -> None:
    # Join this transaction's publisher if it has one. Django keeps the commit hooks of the
    # open transaction in `run_on_commit` as (savepoint ids, callable, robust); a hook registered
    # in a savepoint that rolls back is dropped with it, and then a new publisher is made. An id
    # whose event rolled back is harmless: deliver_event finds nothing pending for it.
    for _savepoints, hook, _robust in transaction.get_connection().run_on_commit:
        if isinstance(hook, _EventPublisher):
            hook.event_ids.append(event_id)
            return
    transaction.on_commit(_EventPublisher(event_id))


def deliver_event(event_id: int) -> int:
    """Run every pending delivery of one event that is due; returns how many succeeded."""
    ids = EventDelivery.objects.filter(
        event_id=event_id, state=DeliveryState.PENDING, next_attempt_at__lte=timezone.now()
    ).values_list("pk", flat=True)
    return sum(deliver(delivery_id=pk) for pk in list(ids))


def deliver(*, delivery_id: int) -> bool:
    """Run one subscriber for one event, once in effect. Safe to call twice or concurrently."""
    try:
        with transaction.atomic():
            # The lock makes a concurrent second delivery wait, then find the row done; skip_locked
            # lets a sweep pass over a delivery another worker is running right now.
            delivery = (
                EventDelivery.objects.select_for_update(skip_locked=True)
                .select_related("event")
                .filter(pk=delivery_id, state=DeliveryState.PENDING)
                .first()
            )
            if delivery is None:
                return False
            subscriber = _subscribers.get(delivery.subscriber)
            if subscriber is None:
                raise LookupError(f"no subscriber named {delivery.subscriber!r} is registered")
            subscriber.handler(delivery.event)
            delivery.state = DeliveryState.DONE
            delivery.attempts += 1
            delivery.done_at = timezone.now()
            delivery.last_error = ""
            delivery.save(update_fields=["state", "attempts", "done_at", "last_error"])
            return True
    except Exception as exc:  # noqa: BLE001 - a subscriber's bug must not escape into the sweep
        _record_failure(delivery_id, exc)
        return False


def _record_failure(delivery_id: int, exc: Exception) -> None:
    with transaction.atomic():
        delivery = EventDelivery.objects.select_for_update().filter(pk=delivery_id).first()
        if delivery is None or delivery.state != DeliveryState.PENDING:
            return
        wait = delivery.note_failure(
            exc, base_seconds=BACKOFF_BASE_SECONDS, max_attempts=MAX_ATTEMPTS
        )
        if wait is None:
            delivery.state = DeliveryState.FAILED
            log.error("event delivery %s failed for good: %s", delivery, delivery.last_error)
        else:
            log.warning("event delivery %s failed, retry in %s: %s", delivery, wait, exc)
        delivery.save(update_fields=["attempts", "last_error", "state", "next_attempt_at"])


def retry_due(*, limit: int = 500, min_age_seconds: int = 30) -> int:
    """Beat's sweep: deliveries that are due again (after a failure, or never picked up because
    the broker was down when their transaction committed)."""
    now = timezone.now()
    # Young rows are still in their commit hook or on their way through the broker.
    ids = list(
        EventDelivery.objects.filter(
            state=DeliveryState.PENDING,
            next_attempt_at__lte=now,
            event__occurred_at__lte=now - timedelta(seconds=min_age_seconds),
        )
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )
    return sum(deliver(delivery_id=pk) for pk in ids)


def delivery_retry(*, delivery_id: int) -> bool:
    """An administrator's "try again now" for a failed delivery."""
    updated = EventDelivery.objects.filter(pk=delivery_id, state=DeliveryState.FAILED).update(
        state=DeliveryState.PENDING, next_attempt_at=timezone.now(), attempts=0
    )
    return bool(updated) and deliver(delivery_id=delivery_id)


def failed_deliveries():
    return EventDelivery.objects.filter(state=DeliveryState.FAILED).select_related("event")
