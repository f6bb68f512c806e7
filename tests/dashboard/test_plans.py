"""The dashboard's scans of the records are served by its covering indexes on PostgreSQL
(dashboard migrations 0001 and 0002): the records' pass of both periods and the breakdown by
record_dashboard_idx, the backlog by record_backlog_idx, each without visiting the table. Plans
are read with EXPLAIN over a few thousand vacuumed rows, sequential scans priced out
(tests/plans.py); the speed itself is measured in bench/, never here."""

from datetime import date, timedelta

import pytest
from django.db import connection, transaction

from servicedesk.core.roles import Role
from servicedesk.dashboard import kpis, record_figures
from surveys.results import Period
from tests import plans
from tests.factories import CustomerFactory, DepartmentFactory, MembershipFactory, UserFactory
from tests.tickets.factories import CategoryFactory
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
