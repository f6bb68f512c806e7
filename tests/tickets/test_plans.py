"""Every record list and My work panel is served by an index on PostgreSQL: its cost follows the
page, not the table. The plans are read with EXPLAIN over a few thousand analysed rows, with
sequential scans priced out so the test asks "can an index serve this?" and not "is the table
small?". The speed itself is measured in bench/ (make bench), never here.
"""

import json
import random
from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from servicedesk.core.pagination import window_page
from servicedesk.core.roles import Role
from tests import plans
from tests.factories import CustomerFactory, DepartmentFactory, MembershipFactory, UserFactory
from tests.tickets.factories import CategoryFactory
from tickets import selectors
from tickets.filters import RecordFilter
from tickets.models import ServiceRecord, Status
from tickets.rows import ROW_FIELDS
from tickets.visibility import record_audience

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="plans are read on PostgreSQL (CI runs them)"
    ),
]

ROWS = 3000
STATUSES = [Status.CLOSED] * 6 + [Status.RESOLVED, Status.NEW, Status.OPEN, Status.PENDING]


@pytest.fixture
def desk(db):
    """A manager's big department (about 70% of the records), another one, and a tiny one."""
    big, other, tiny = (DepartmentFactory(code=c) for c in ("service", "sales", "audit"))
    manager = UserFactory(username="lead", role=Role.MANAGER)
    MembershipFactory(user=manager, department=big, is_manager=True)
    agents = [UserFactory(username=f"agent{i}", role=Role.AGENT) for i in range(6)]
    for agent in agents:
        MembershipFactory(user=agent, department=big)
    auditor = UserFactory(username="auditor", role=Role.AGENT)
    MembershipFactory(user=auditor, department=tiny)
    categories = {d: CategoryFactory(lead_department=d) for d in (big, other, tiny)}
    customers = CustomerFactory.create_batch(20)
    rng = random.Random(8)  # noqa: S311 - test data
    now = timezone.now()
    rows = []
    for i in range(ROWS):
        dept = big if i % 10 < 7 else (tiny if i % 100 == 99 else other)
        status = rng.choice(STATUSES)
        assignee = None if status == Status.NEW else rng.choice([*agents, manager])
        created = now - timedelta(minutes=i * 7)
        category = categories[dept]
        rows.append(
            ServiceRecord(
                customer=rng.choice(customers),
                stage=category.stage,
                category=category,
                nature=category.default_nature,
                place=category.default_place,
                frequency=category.default_frequency,
                duration=category.default_duration,
                subject=f"记录 {i}",
                status=status,
                lead_department=dept,
                assignee=assignee,
                created_at=created,
                first_response_due=created + timedelta(hours=4),
                resolution_due=created + timedelta(days=2),
                first_responded_at=None if status == Status.NEW else created + timedelta(hours=1),
                resolved_at=created + timedelta(days=1)
                if status in (Status.RESOLVED, Status.CLOSED)
                else None,
                audience=record_audience(
                    lead_department_id=dept.pk, assignee_id=assignee.pk if assignee else None
                ),
            )
        )
    ServiceRecord.objects.bulk_create(rows, batch_size=1000)
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE tickets_servicerecord")
    return {"manager": manager, "agent": agents[0], "auditor": auditor, "customer": customers[0]}


def _assert_index_served(qs, *indexes, ordered_by_index: bool = False) -> dict:
    """Each of `indexes` is an index name, or a tuple of names any one of which will do."""
    plan = plans.plan(qs, walk=ordered_by_index)
    nodes = list(plans.nodes(plan))
    scans = [n for n in nodes if n.get("Relation Name") == "tickets_servicerecord"]
    assert scans, plan
    assert not [n for n in scans if n["Node Type"] == "Seq Scan"], plan
    used = {n.get("Index Name") for n in nodes}
    for index in indexes:
        assert used & set(index if isinstance(index, tuple) else (index,)), (index, plan)
    if ordered_by_index:
        # The page is the first rows of one index walk: nothing is read to be sorted away. An
        # incremental sort on the index's leading key only breaks ties among the page's rows.
        assert not [n for n in nodes if "Sort" in n["Node Type"] and not _breaks_ties(n)], plan
    return plan


def _breaks_ties(node: dict) -> bool:
    """An incremental sort over rows already in the order's leading key: it reorders only rows
    with equal keys, so the walk still stops at the page."""
    if node["Node Type"] != "Incremental Sort":
        return False
    leading = node["Sort Key"][0].removesuffix(" DESC")
    return (node.get("Presorted Key") or [None])[0] == leading


def test_record_list_first_page_walks_the_newest_first_index(desk):
    qs = selectors.record_list(user=desk["manager"])[:26]
    _assert_index_served(qs, "record_created_idx", ordered_by_index=True)


def test_the_list_pages_rows_read_as_values_walk_the_same_index(desk):
    qs = selectors.record_list(user=desk["manager"], due=False).values(*ROW_FIELDS)[:26]
    _assert_index_served(qs, "record_created_idx", ordered_by_index=True)


def test_a_deep_page_walks_the_keys_in_index_order_then_reads_its_rows(desk):
    queryset = selectors.record_list(user=desk["manager"], due=False)
    page = window_page(queryset, 40, 25, values=ROW_FIELDS)  # what the list runs for page 40
    assert len(page.object_list) == 25
    keys = queryset.values("pk")[975:1001]
    _assert_index_served(keys, "record_created_idx", ordered_by_index=True)
    queryset = queryset.values(*ROW_FIELDS)
    deferred = queryset.filter(pk__in=keys)
    _assert_index_served(deferred, "record_created_idx")
    assert list(deferred) == list(queryset[975:1001])
    # Only the page's rows reach the joins: the offset is spent in the key walk. (Joined in one
    # query, all 1,001 rows are joined before the offset drops 975 of them.)
    assert _joined_rows(deferred) <= 26
    assert _joined_rows(queryset[975:1001]) > 900  # what this test tells apart


def _joined_rows(qs) -> int:
    plan = json.loads(qs.explain(format="json", analyze=True))[0]["Plan"]
    joins = [
        n for n in plans.nodes(plan) if "Join" in n["Node Type"] or n["Node Type"] == "Nested Loop"
    ]
    return max(n["Actual Rows"] * n["Actual Loops"] for n in joins)


def test_record_list_filtered_page_walks_an_index(desk):
    queryset = selectors.record_list(user=desk["manager"])
    qs = RecordFilter({"status": ["open"], "priority": "normal"}, queryset=queryset).qs[:26]
    _assert_index_served(qs, ordered_by_index=True)


def test_record_list_of_one_customer_uses_the_customer_index(desk):
    queryset = selectors.record_list(user=desk["manager"])
    qs = RecordFilter({"customer": desk["customer"].pk}, queryset=queryset).qs[:26]
    _assert_index_served(qs, "record_customer_idx", ordered_by_index=True)


def test_a_narrow_audience_is_found_through_the_gin_index(desk):
    # 1% of the records: walking the newest-first index would read the table to fill a page.
    qs = selectors.record_list(user=desk["auditor"])[:26]
    _assert_index_served(qs, "record_audience_gin")


def test_record_list_department_filter_uses_the_audience(desk):
    queryset = selectors.record_list(user=desk["manager"])
    department = desk["auditor"].department_memberships.get().department_id
    qs = RecordFilter({"department": department}, queryset=queryset).qs[:26]
    _assert_index_served(qs, "record_audience_gin")


def test_api_next_page_is_an_index_range(desk):
    # What the cursor asks for the second page: the rows older than the last one shown.
    last = selectors.record_list(user=desk["manager"])[24]
    qs = selectors.record_list(user=desk["manager"]).filter(created_at__lt=last.created_at)[:26]
    _assert_index_served(qs, "record_created_idx", ordered_by_index=True)


@pytest.mark.parametrize(
    ("panel", "indexes", "ordered"),
    [
        ("assigned", ["record_assignee_due_idx"], True),
        ("unassigned", ["record_unassigned_idx"], False),
        ("department", ["record_running_idx"], True),
        ("due_soon", ["record_resolution_due_idx", "record_first_response_due_idx"], False),
        ("breached", ["record_resolution_due_idx", "record_first_response_due_idx"], False),
    ],
)
def test_my_work_panel_is_served_by_its_partial_index(desk, panel, indexes, ordered):
    user = desk["manager"] if panel != "assigned" else desk["agent"]
    qs = selectors.my_work_panels(user, now=timezone.now())[panel]
    _assert_index_served(qs, *indexes, ordered_by_index=ordered)


def test_the_list_page_never_counts_the_list(desk, client):
    from django.test.utils import CaptureQueriesContext

    client.force_login(desk["manager"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/records/", {"page": 3})
    assert response.status_code == 200
    assert "51–75 of many" in response.content.decode()
    counts = [q["sql"] for q in ctx.captured_queries if "COUNT(" in q["sql"].upper()]
    assert not [sql for sql in counts if "tickets_servicerecord" in sql], counts
