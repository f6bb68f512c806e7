"""The one transition mechanism: its table, its log, its no-ops, and time in state from the log."""

import importlib
import random
from datetime import timedelta

import pytest
import time_machine
from django.apps import apps
from django.utils import timezone

from servicedesk.core.exceptions import ConflictError, InvalidTransition
from servicedesk.core.models import StatusChange
from servicedesk.core.selectors import status_changes, time_in_states
from tests.factories import CustomerFactory
from tests.tickets.factories import RecordFactory
from tickets import services
from tickets.models import ServiceRecord, Status

pytestmark = pytest.mark.django_db


def _create(by, category):
    return services.record_create(
        by=by,
        customer_id=CustomerFactory().pk,
        stage=category.stage,
        category_id=category.pk,
        subject="Wardrobe door",
    )


def test_status_change_rows_match_the_records_transitions(agent, category):
    record = _create(agent, category)
    path = ["open", "pending", "open", "resolved", "closed", "open", "resolved"]
    for to in path:
        services.record_transition(by=agent, record_id=record.pk, to_status=to, reason=f"to {to}")
    services.record_transition(by=agent, record_id=record.pk, to_status="resolved")  # no-op
    with pytest.raises(InvalidTransition):
        services.record_transition(by=agent, record_id=record.pk, to_status="pending")

    log = list(status_changes(record).values_list("from_state", "to_state", "by", "reason"))
    expected = [("", "new", agent.pk, "")]
    previous = "new"
    for to in path:
        expected.append((previous, to, agent.pk, f"to {to}"))
        previous = to
    assert log == expected
    record.refresh_from_db()
    assert record.status == "resolved"
    assert record.version == 1 + len(path)


def test_invalid_transition_names_the_allowed_targets(agent, category):
    record = _create(agent, category)
    services.record_transition(by=agent, record_id=record.pk, to_status="open")
    with pytest.raises(InvalidTransition) as exc:
        services.record_transition(by=agent, record_id=record.pk, to_status="closed")
    assert exc.value.field == "status"
    assert "Allowed next: pending, resolved." in str(exc.value.message)
    with pytest.raises(InvalidTransition):
        services.record_transition(by=agent, record_id=record.pk, to_status="bogus")
    assert status_changes(record).count() == 2


def test_a_stale_version_is_a_conflict_and_writes_nothing(agent, category):
    record = _create(agent, category)
    services.record_transition(by=agent, record_id=record.pk, to_status="open", version=1)
    with pytest.raises(ConflictError) as exc:
        services.record_transition(by=agent, record_id=record.pk, to_status="pending", version=1)
    assert exc.value.current == 2
    assert status_changes(record).count() == 2


def _brute_force(timelines: dict[int, list[tuple]], now) -> dict[str, timedelta]:
    """From the test's own account of what happened when, not from the database's log."""
    spent: dict[str, timedelta] = {}
    for steps in timelines.values():
        for (at, state), (next_at, _next) in zip(steps, [*steps[1:], (now, None)], strict=True):
            spent[state] = spent.get(state, timedelta()) + (next_at - at)
    return spent


def test_time_in_each_state_in_sql_matches_a_brute_force_recount(agent, category):
    rng = random.Random(7)  # noqa: S311 - a fixed, reproducible walk
    start = timezone.now().replace(microsecond=0) - timedelta(days=30)
    timelines: dict[int, list[tuple]] = {}
    with time_machine.travel(start, tick=False) as clock:
        for _ in range(12):
            record = _create(agent, category)
            timelines[record.pk] = [(timezone.now(), "new")]
            clock.shift(timedelta(minutes=rng.randint(1, 90)))
        for _ in range(80):
            pk = rng.choice(list(timelines))
            current = timelines[pk][-1][1]
            allowed = sorted(ServiceRecord.ALLOWED_TRANSITIONS[current])
            to = rng.choice(allowed)
            clock.shift(timedelta(minutes=rng.randint(1, 600), seconds=rng.randint(0, 59)))
            services.record_transition(by=agent, record_id=pk, to_status=to)
            timelines[pk].append((timezone.now(), to))
    now = start + timedelta(days=29)

    assert time_in_states(ServiceRecord, now=now) == _brute_force(timelines, now)
    some = sorted(timelines)[:3]
    assert time_in_states(ServiceRecord, object_ids=some, now=now) == _brute_force(
        {pk: timelines[pk] for pk in some}, now
    )


def test_existing_records_get_their_rows_from_history(agent, category):
    # given records whose status moved before the log existed (history rows only)
    record = RecordFactory(category=category, status=Status.NEW)
    for to in ("open", "resolved"):
        record.status = to
        record._history_user = agent
        record.save()
    untouched = RecordFactory(category=category, status=Status.PENDING)
    StatusChange.objects.all().delete()

    migration = importlib.import_module("tickets.migrations.0003_status_changes_from_history")
    migration.forwards(apps, None)

    assert list(status_changes(record).values_list("from_state", "to_state")) == [
        ("", "new"),
        ("new", "open"),
        ("open", "resolved"),
    ]
    assert status_changes(record).last().by == agent
    assert list(status_changes(untouched).values_list("from_state", "to_state")) == [
        ("", "pending")
    ]
    # running it again adds nothing
    migration.forwards(apps, None)
    assert StatusChange.objects.count() == 4
