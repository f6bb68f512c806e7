"""The dashboard's scans of the records are served by its covering indexes on PostgreSQL
(dashboard migrations 0001 and 0002): the records' pass of both periods and the breakdown by
record_dashboard_idx, the backlog by record_backlog_idx, each without visiting the table; the
complaints' pass by the complaints' own index, their records by key. Plans
are read with EXPLAIN over a few thousand vacuumed rows, sequential scans priced out
(tests/plans.py); the speed itself is measured in bench/, never here."""

from datetime import date, timedelta

import pytest
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from django.utils import timezone

from servicedesk.core.models import StatusChange
from servicedesk.core.roles import Role
from servicedesk.dashboard import (
    complaint_figures,
    complaint_pieces,
    kpis,
    record_figures,
    record_pieces,
)
from surveys.results import Period
from tests import plans
from tests.factories import CustomerFactory, DepartmentFactory, MembershipFactory, UserFactory
from tests.tickets.factories import CategoryFactory
from tickets.complaints.models import Channel, Complaint, Severity
from tickets.models import ServiceRecord, Status
from tickets.visibility import record_audience

from .conftest import at

pytestmark = [
    pytest.mark.django_db(transaction=True),  # VACUUM cannot run inside a transaction
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="plans are read on PostgreSQL (CI runs them)"
    ),
]

ROWS = 3000
TODAY = date(2025, 6, 30)
PERIOD = Period(TODAY - timedelta(days=6), TODAY)  # both periods: a sixth of the rows


@pytest.fixture
def desk():
    """A manager's department holding most records over two periods, and another one."""
    mine, other = DepartmentFactory(code="service"), DepartmentFactory(code="sales")
    manager = UserFactory(username="lead", role=Role.MANAGER)
    MembershipFactory(user=manager, department=mine, is_manager=True)
    categories = {d: CategoryFactory(lead_department=d) for d in (mine, other)}
    customers = CustomerFactory.create_batch(10)
    rows = []
    for i in range(ROWS):
        dept = mine if i % 4 else other
        category = categories[dept]
        created = at(TODAY - timedelta(days=i % 84), 8 + i % 10)
        running = i % 5 == 0
        rows.append(
            ServiceRecord(
                customer=customers[i % len(customers)],
                stage=category.stage,
                category=category,
                nature=category.default_nature,
                place=category.default_place,
                frequency=category.default_frequency,
                duration=category.default_duration,
                subject=f"记录 {i}",
                status=Status.OPEN if running else Status.CLOSED,
                lead_department=dept,
                created_at=created,
                first_response_due=created + timedelta(hours=4),
                resolution_due=created + timedelta(days=2),
                first_responded_at=created + timedelta(hours=1),
                resolved_at=None if running else created + timedelta(days=1),
                audience=record_audience(lead_department_id=dept.pk),
            )
        )
    ServiceRecord.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        # Vacuumed, as a live table is: index-only scans are priced on the visibility map.
        cursor.execute("VACUUM ANALYZE tickets_servicerecord")
    return manager


def _record_scans(sql: str, params) -> list[dict]:
    """The scans of the query's own records (not of a sub-query's, such as retention's). Bitmap
    scans are priced out too: on a few thousand rows, collecting most of the table by a bitmap
    looks as cheap as reading the index; at a million rows the index-only scan wins (EXPLAIN on
    desk_bench_1000k), and what this asks is whether the index can serve the query alone."""
    with transaction.atomic(), connection.cursor() as cursor:  # SET LOCAL needs a transaction
        # And merge joins: with an empty complaints table, walking the records by primary key to
        # merge them with it looks free.
        cursor.execute("SET LOCAL enable_mergejoin = off")
        plan = plans.plan_of(sql, params, walk=True)
    scans = [n for n in plans.nodes(plan) if n.get("Alias") == "tickets_servicerecord"]
    assert scans, plan
    return scans


def test_the_records_pieces_are_an_index_only_scan(desk):
    # given the first query of a report that reads the records: a period's piece (counts,
    # customers and times together; record_pieces), read as the cache has none yet
    sql, params = plans.caught(
        lambda: kpis.report(kpis.Filters(period=PERIOD), desk), "tickets_servicerecord"
    )
    assert "ARRAY_AGG" in sql
    # then the covering index serves it without reading the table
    scans = _record_scans(sql, params)
    assert [(n["Node Type"], n.get("Index Name")) for n in scans] == [
        ("Index Only Scan", "record_dashboard_idx")
    ]


def test_the_breakdown_is_an_index_only_scan(desk):
    sql, params = plans.caught(
        lambda: record_figures.breakdown(kpis.Filters(period=PERIOD), desk, []),
        "tickets_servicerecord",
    )
    scans = _record_scans(sql, params)
    assert [(n["Node Type"], n.get("Index Name")) for n in scans] == [
        ("Index Only Scan", "record_dashboard_idx")
    ]


def test_the_backlog_reads_only_the_running_records_index(desk):
    sql, params = plans.caught(
        lambda: record_figures.backlog(kpis.Filters(period=PERIOD), desk), "tickets_servicerecord"
    )
    scans = _record_scans(sql, params)
    assert [(n["Node Type"], n.get("Index Name")) for n in scans] == [
        ("Index Only Scan", "record_backlog_idx")
    ]


def test_the_complaints_pass_walks_the_complaints_of_the_span_then_their_records_by_key(desk):
    # given one record in fifty complained of (at 1M records, one in thirty-three)
    complaints = [
        Complaint(
            record=record,
            record_created_at=record.created_at,
            channel=Channel.PHONE,
            severity=Severity.GENERAL,
        )
        for record in ServiceRecord.objects.order_by("pk")[::50]
    ]
    Complaint.objects.bulk_create(complaints)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tickets_complaint")
    f = kpis.Filters(period=PERIOD)
    seen = []

    def keep(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    with transaction.atomic(), connection.execute_wrapper(keep):
        complaint_pieces.records_and_complaints(f, desk, timezone.now())
    sql, params = next((s, p) for s, p in seen if "step_" in s and "tickets_complaint" in s)
    # when it is planned as the dashboard runs it (nested loops only, complaint_pieces)
    with transaction.atomic(), record_pieces.joins_by_key():
        plan = plans.plan_of(sql, params, walk=True)
    nodes = list(plans.nodes(plan))
    by_table = {(n.get("Alias"), n["Node Type"], n.get("Index Name")) for n in nodes}
    # then the span's complaints come from their own index, and each record by its key
    assert ("tickets_complaint", "Index Scan", "complaint_record_created_idx") in by_table, plan
    assert ("tickets_servicerecord", "Index Scan", "tickets_servicerecord_pkey") in by_table, plan
    assert not [n for n in nodes if n["Node Type"] in ("Hash Join", "Merge Join")], plan


def test_the_step_log_looks_up_each_complaint_by_key(db):
    # given the step log of 1,000 complaints, six changes each, in a log three times as long
    complaint_type = ContentType.objects.get_for_model(Complaint)
    record_type = ContentType.objects.get_for_model(ServiceRecord)
    start = timezone.now() - timedelta(days=30)
    flows = [(complaint_type, "step", 1000), (record_type, "status", 3000)]
    log = [
        StatusChange(
            content_type=content_type, object_id=pk, field=field, to_state=f"s{n}",
            at=start + timedelta(hours=pk % 500 + n),
        )
        for content_type, field, objects in flows
        for pk in range(1, objects + 1)
        for n in range(6)
    ]  # fmt: skip
    StatusChange.objects.bulk_create(log, batch_size=2000)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE core_statuschange")
    seen = []

    def keep(execute, sql, params, many, context):
        seen.append((sql, params))
        return execute(sql, params, many, context)

    # when the average time in each step is read for forty of them (a period's complaints)
    with connection.execute_wrapper(keep):
        complaint_figures._time_in_steps(list(range(1, 1001, 25)), timezone.now())
    with transaction.atomic():
        plan = plans.plan_of(*seen[-1], walk=True)
        flow = plans.plan(StatusChange.objects.filter(content_type=complaint_type, field="step"))
    # then the ids are the index's condition, each complaint's changes looked up by key
    scans = [n for n in plans.nodes(plan) if n.get("Relation Name") == "core_statuschange"]
    assert [n.get("Index Name") for n in scans] == ["statuschange_object_idx"], plan
    assert "object_id = ANY" in scans[0]["Index Cond"], plan
    # and the planner knows that only complaints log a step (core migration 0008: the two
    # columns multiplied as if independent, it expected a quarter of the 6,000; at 1M records,
    # 8k of 192k, and it walked the whole flow's log instead)
    assert flow["Plan Rows"] >= 5000, flow
