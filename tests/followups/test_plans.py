"""Every callback list, calendar, beat scan and the periodic scan's customer batch is served by an
index on PostgreSQL: its cost follows the page (or the batch), not the table.

As in tests/tickets/test_plans.py, the plans are read with EXPLAIN over a few thousand analysed
rows with sequential scans priced out, so the test asks "can an index serve this?" and not "is the
table small?". The queries the services and the executing selectors run are caught on their way
to the database (an execute wrapper that stops the call there) and explained as they are, so a
change to a selector's query shows here. The speed itself is measured in bench/ (make bench,
bench/scan.py), never here.
"""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from customers.models import Customer
from followups import selectors, services
from followups.models import AssignTo, CallbackRule, CallbackVisit, Method, Trigger, VisitStatus
from servicedesk.core.roles import Role
from tests import plans
from tests.factories import DepartmentFactory, MembershipFactory, UserFactory
from tickets.models import BusinessCalendar
from tickets.visibility import record_audience

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="plans are read on PostgreSQL (CI runs them)"
    ),
]

ROWS = 5000
PAST = 3500  # a year of visits made; the rest is the next month's backlog
CUSTOMERS = 3000  # one in ten is a key customer: what the periodic scan walks
TABLE = "followups_callbackvisit"


@pytest.fixture
def desk(db):
    """A year of visits and a month ahead: a manager's big department holds about 70% of them,
    another one most of the rest, a tiny one 1%. Past windows are done or missed (a few still
    scheduled: overdue), future ones scheduled, about a third of those in the queue."""
    big, other, tiny = (
        DepartmentFactory(code=c) for c in ("customer-service", "service-delivery", "audit")
    )
    manager = UserFactory(username="lead", role=Role.MANAGER)
    MembershipFactory(user=manager, department=big, is_manager=True)
    agents = [UserFactory(username=f"agent{i}", role=Role.AGENT) for i in range(6)]
    for agent in agents:
        MembershipFactory(user=agent, department=big)
    auditor = UserFactory(username="auditor", role=Role.AGENT)
    MembershipFactory(user=auditor, department=tiny)
    BusinessCalendar.objects.create(name="Office hours", is_default=True)
    rng = random.Random(11)  # noqa: S311 - test data
    now = timezone.now()
    customers = Customer.objects.bulk_create(
        Customer(
            name=f"客户{i}",
            management_tier="key" if i % 10 == 0 else rng.choice(["regular", "one_time"]),
            lifecycle="actual",
            converted_at=now - timedelta(days=400),
            owner=rng.choice(agents) if i % 10 == 0 else None,
        )
        for i in range(CUSTOMERS)
    )
    rows = []
    for i in range(ROWS):
        dept = big if i % 10 < 7 else (tiny if i % 100 == 99 else other)
        if i < PAST:
            due = now - timedelta(days=365) + timedelta(days=365) * i / PAST
        else:
            due = now + timedelta(days=30) * (i - PAST) / (ROWS - PAST)
        due += timedelta(minutes=rng.randint(0, 59))
        window_end = due + timedelta(days=2)
        if window_end < now - timedelta(days=2):
            status = rng.choice([VisitStatus.DONE] * 17 + [VisitStatus.MISSED] * 2 + ["cancelled"])
        else:
            status = VisitStatus.SCHEDULED
        queued = status == VisitStatus.SCHEDULED and i % 3 == 0
        assignee = rng.choice([*agents, manager]) if dept == big and not queued else None
        done = status == VisitStatus.DONE
        rows.append(
            CallbackVisit(
                customer=rng.choice(customers),
                purpose="after_service",
                method=Method.PHONE,
                status=status,
                department=dept,
                assignee=assignee,
                due_at=due,
                window_end=window_end,
                remind_at=due - timedelta(hours=1),
                reminded_at=due - timedelta(hours=1) if due - timedelta(hours=1) < now else None,
                attempts=1 if status != VisitStatus.SCHEDULED else 0,
                reached=True if done else (False if status == VisitStatus.MISSED else None),
                completed_at=due + timedelta(hours=2) if done else None,
                satisfaction=rng.choice([3, 4, 4, 5, 5, 5]) if done else None,
                audience=record_audience(
                    lead_department_id=dept.pk, assignee_id=assignee.pk if assignee else None
                ),
            )
        )
    CallbackVisit.objects.bulk_create(rows, batch_size=1000)
    rule = CallbackRule.objects.create(
        code="key-care",
        name_en="Key customers, every 30 days",
        name_zh="头顶客户定期回访",
        trigger=Trigger.PERIODIC,
        customer_tier="key",
        interval_days=30,
        method=Method.PHONE,
        assign_to=AssignTo.ACCOUNT_OWNER,
        department=big,
    )
    with connection.cursor() as cursor:
        cursor.execute(f"ANALYZE {TABLE}")
        cursor.execute("ANALYZE customers_customer")
    return {
        "manager": manager,
        "agent": agents[0],
        "auditor": auditor,
        "customer": customers[10],
        "rule": rule,
        "now": now,
    }


def _assert_index_served(
    query, *indexes: str, table: str = TABLE, ordered_by_index: bool = False
) -> dict:
    """`query`: a queryset, or (sql, params) caught from a call."""
    plan = plans.plan_of(*(query if isinstance(query, tuple) else query.query.sql_with_params()))
    nodes = list(plans.nodes(plan))
    scans = [n for n in nodes if n.get("Relation Name") == table]
    assert scans, plan
    assert not [n for n in scans if n["Node Type"] == "Seq Scan"], plan
    used = {n.get("Index Name") for n in nodes}
    for index in indexes:
        assert index in used, (index, plan)
    if ordered_by_index:
        # The page is the first rows of one index walk: nothing is read to be sorted away.
        assert not [n for n in nodes if "Sort" in n["Node Type"]], plan
    return plan


def _week(now):
    return selectors.end_of_today(now) + timedelta(days=6)


# --- the agent's lists ------------------------------------------------------------------------


@pytest.mark.parametrize("until", ["today", "week"])
def test_my_callbacks_walk_the_assignee_index(desk, until):
    end = selectors.end_of_today(desk["now"]) if until == "today" else _week(desk["now"])
    qs = selectors.agent_callbacks(desk["agent"], until=end, limit=50)["mine"]
    _assert_index_served(qs, "visit_assignee_due_idx", ordered_by_index=True)


@pytest.mark.parametrize("until", ["today", "week"])
def test_the_department_queue_walks_the_queue_index(desk, until):
    end = selectors.end_of_today(desk["now"]) if until == "today" else _week(desk["now"])
    qs = selectors.agent_callbacks(desk["agent"], until=end, limit=50)["queue"]
    _assert_index_served(qs, "visit_queue_due_idx", ordered_by_index=True)


def test_a_manager_of_two_departments_reads_both_queues_through_the_queue_index(desk):
    second = desk["auditor"].department_memberships.get().department
    MembershipFactory(user=desk["manager"], department=second, is_manager=True)
    qs = selectors.agent_callbacks(desk["manager"], until=_week(desk["now"]), limit=50)["queue"]
    _assert_index_served(qs, "visit_queue_due_idx", ordered_by_index=True)


# --- the list and the API, by due time --------------------------------------------------------


@pytest.mark.parametrize("who", ["manager", "agent"])
def test_visit_list_first_page_walks_the_due_index(desk, who):
    qs = selectors.visit_list(desk[who])[:26]
    _assert_index_served(qs, "visit_due_idx", ordered_by_index=True)


def test_visit_list_next_page_is_an_index_range(desk):
    # What a keyset cursor asks for a later page: the rows after the last one shown.
    last = selectors.visit_list(desk["manager"])[24]
    qs = selectors.visit_list(desk["manager"]).filter(due_at__gt=last.due_at)[:26]
    _assert_index_served(qs, "visit_due_idx", ordered_by_index=True)


def test_visits_due_from_now_on_are_an_index_range(desk):
    qs = selectors.visit_list(desk["manager"]).filter(due_at__gte=desk["now"])[:26]
    _assert_index_served(qs, "visit_due_idx", ordered_by_index=True)


def test_a_narrow_audience_is_found_through_the_gin_index(desk):
    # 1% of the visits: walking the due-time index would read the table to fill a page.
    qs = selectors.visit_list(desk["auditor"])[:26]
    _assert_index_served(qs, "visit_audience_gin")


def _index_only(plan: dict, index: str) -> None:
    scans = [n for n in plans.nodes(plan) if n.get("Index Name") == index]
    assert scans and all(n["Node Type"] == "Index Only Scan" for n in scans), plan


def test_calendar_month_is_an_index_only_range_of_the_counts_index(desk):
    start = timezone.localtime(desk["now"]).replace(
        day=1, hour=0, minute=0, second=0, microsecond=0
    )
    end = (start + timedelta(days=32)).replace(day=1)
    month = lambda: selectors.calendar_counts(desk["manager"], start=start, end=end)  # noqa: E731
    query = plans.caught(month, TABLE)
    _index_only(_assert_index_served(query, "visit_due_counts_idx"), "visit_due_counts_idx")


def test_rates_breakdown_is_an_index_only_range_of_the_counts_index(desk):
    now = desk["now"]
    rates = lambda: selectors.visit_rates_breakdown(  # noqa: E731
        desk["manager"], since=now - timedelta(days=30), until=now, now=now
    )
    query = plans.caught(rates, TABLE)
    _index_only(_assert_index_served(query, "visit_due_counts_idx"), "visit_due_counts_idx")


def test_customer_visits_walk_the_customer_index(desk):
    query = plans.caught(
        lambda: selectors.customer_visits(desk["customer"], desk["manager"]), TABLE
    )
    _assert_index_served(query, "visit_customer_idx", ordered_by_index=True)


# --- beat --------------------------------------------------------------------------------------


def test_the_reminder_scan_reads_the_remind_index(desk):
    query = plans.caught(lambda: services.visits_remind_due(now=desk["now"]), TABLE)
    _assert_index_served(query, "visit_remind_idx", ordered_by_index=True)


def test_the_missed_scan_reads_the_window_index(desk):
    query = plans.caught(lambda: services.visits_mark_missed(now=desk["now"]), TABLE)
    _assert_index_served(query, "visit_window_idx", ordered_by_index=True)


def test_the_periodic_scan_walks_the_tier_index_from_its_mark(desk):
    query = plans.caught(
        lambda: services.visits_scan(now=desk["now"], batch=100), table="customers_customer"
    )
    assert "management_tier" in query[0], query
    _assert_index_served(
        query, "customer_tier_idx", table="customers_customer", ordered_by_index=True
    )


def test_the_scan_resumes_its_batch_from_an_index_range(desk):
    """A later batch starts at the mark: a range of the tier index or of the primary key (the
    planner's pick; with few customers left it may read them all by bitmap and sort them, a sort
    bounded by what is left), never the customers already seen and never the table."""
    services.visits_scan(now=desk["now"], batch=100, limit=150)
    query = plans.caught(
        lambda: services.visits_scan(now=desk["now"], batch=100), table="customers_customer"
    )
    plan = _assert_index_served(query, table="customers_customer")
    ranges = [
        n
        for n in plans.nodes(plan)
        if n.get("Index Name") in ("customer_tier_idx", "customers_customer_pkey")
        and "id >" in n.get("Index Cond", "")
    ]
    assert ranges, plan
