"""The complaint list, its step filter and the API list are served by indexes on PostgreSQL: a page
walks the complaints newest first (the primary key) and checks each one's record audience by the
record's primary key, so its cost follows the page, not the table, and nothing counts or sorts
every visible complaint.

As in tests/tickets/test_plans.py, the plans are read with EXPLAIN over a few thousand analysed
rows with sequential scans priced out, so the test asks "can an index serve this?" and not "is the
table small?". The API's query is caught on its way to the database and explained as it is. The
speed itself is measured in bench/ (make bench: the complaint endpoints), never here.
"""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from servicedesk.core.roles import Role
from tests import plans
from tests.factories import CustomerFactory, DepartmentFactory, MembershipFactory, UserFactory
from tests.tickets.factories import CategoryFactory
from tickets.complaints import selectors
from tickets.complaints.models import Complaint, ComplaintAction, Step
from tickets.models import ServiceRecord, Status
from tickets.visibility import record_audience

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="plans are read on PostgreSQL (CI runs them)"
    ),
]

RECORDS = 4000
COMPLAINT_EVERY = 4  # a complaint on every fourth record: 1,000 complaints
TABLE = "tickets_complaint"
# Where the complaints stand: most closed, step 5 the commonest open step (as the bench load).
STEPS = [Step.CLOSED] * 12 + [Step.ACT] * 4 + [Step.RECHECK, Step.OPTIONS, Step.LISTEN]


@pytest.fixture
def desk(db):
    """A manager's big department (about 70% of the records and complaints), another one, and
    a tiny one (1%)."""
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
    rng = random.Random(10)  # noqa: S311 - test data
    now = timezone.now()
    records = []
    for i in range(RECORDS):
        dept = big if i % 10 < 7 else (tiny if i % 100 == 99 else other)
        assignee = rng.choice([*agents, manager, None])
        created = now - timedelta(minutes=i * 11)
        category = categories[dept]
        records.append(
            ServiceRecord(
                customer=rng.choice(customers),
                stage=category.stage,
                category=category,
                nature=category.default_nature,
                place=category.default_place,
                frequency=category.default_frequency,
                duration=category.default_duration,
                subject=f"投诉 {i}",
                priority="high",
                status=Status.CLOSED if i > 400 else Status.OPEN,
                lead_department=dept,
                assignee=assignee,
                created_at=created,
                first_response_due=created + timedelta(hours=4),
                resolution_due=created + timedelta(days=2),
                first_responded_at=created + timedelta(hours=1),
                audience=record_audience(
                    lead_department_id=dept.pk, assignee_id=assignee.pk if assignee else None
                ),
            )
        )
    records = ServiceRecord.objects.bulk_create(records, batch_size=1000)
    # Opened oldest first, as the desk numbers them: the newest complaint has the highest id.
    complaints = Complaint.objects.bulk_create(
        [
            Complaint(
                record=record,
                record_created_at=record.created_at,
                channel="phone",
                severity="serious",
                step=(step := rng.choice(STEPS)),
                outcome="satisfied" if step == Step.CLOSED else "",
                step_since=record.created_at,
            )
            for record in reversed(records[::COMPLAINT_EVERY])
        ],
        batch_size=1000,
    )
    ComplaintAction.objects.bulk_create(
        ComplaintAction(
            complaint=c,
            description="返工",
            owner=agents[0],
            due_date=timezone.localdate(),
            done_at=None if c.step == Step.ACT else now,
        )
        for c in complaints
        if c.step in (Step.ACT, Step.RECHECK, Step.CLOSED)
    )
    with connection.cursor() as cursor:
        for table in ("tickets_servicerecord", TABLE, "tickets_complaintaction"):
            cursor.execute(f"ANALYZE {table}")
    return {"manager": manager, "agent": agents[0], "auditor": auditor}


def _assert_walks_the_complaints_newest_first(query, indexes=("tickets_complaint_pkey",)):
    """A page is the first rows of one backward walk of an index of `indexes`, each complaint's
    record read by its primary key (its audience checked there): no sequential scan of either
    table, no sort, no count, no hash of every visible record."""
    plan = plans.plan_of(*(query if isinstance(query, tuple) else query.query.sql_with_params()))
    nodes = list(plans.nodes(plan))
    for table in (TABLE, "tickets_servicerecord"):
        scans = [n for n in nodes if n.get("Relation Name") == table]
        assert scans, (table, plan)
        assert not [n for n in scans if n["Node Type"] == "Seq Scan"], (table, plan)
    walks = [
        n
        for n in nodes
        if n.get("Relation Name") == TABLE
        and n.get("Index Name") in indexes
        and n.get("Scan Direction") == "Backward"
    ]
    assert walks, plan
    records = [n for n in nodes if n.get("Relation Name") == "tickets_servicerecord"]
    assert {n.get("Index Name") for n in records} == {"tickets_servicerecord_pkey"}, plan
    assert not [n for n in nodes if "Sort" in n["Node Type"] or "Hash" in n["Node Type"]], plan
    return plan


@pytest.mark.parametrize("who", ["manager", "agent"])
def test_complaint_list_first_page_walks_the_complaints_newest_first(desk, who):
    qs = selectors.complaint_list(desk[who])[:26]
    _assert_walks_the_complaints_newest_first(qs)


def test_complaint_list_of_one_step_walks_an_index_newest_first(desk):
    """Step 5 (a fifth of the complaints): the primary key walked, the others filtered away; a
    rare step may walk complaint_step_idx (step, id) instead. Either is one ordered walk."""
    qs = selectors.complaint_list(desk["manager"], steps=[Step.ACT])[:26]
    _assert_walks_the_complaints_newest_first(
        qs, indexes=("tickets_complaint_pkey", "complaint_step_idx")
    )


def test_complaint_list_next_page_is_an_index_range(desk):
    """What a later page (or the API's cursor) asks: the complaints older than the last shown."""
    last = selectors.complaint_list(desk["manager"])[24]
    qs = selectors.complaint_list(desk["manager"]).filter(pk__lt=last.pk)[:26]
    plan = _assert_walks_the_complaints_newest_first(qs)
    walk = next(n for n in plans.nodes(plan) if n.get("Index Name") == "tickets_complaint_pkey")
    assert "id <" in walk.get("Index Cond", ""), plan


def test_the_open_actions_are_counted_per_row_shown(desk):
    """The open-action count is a sub-query on the action's complaint index, run for the rows
    shown, not a join and GROUP BY over every visible complaint."""
    qs = selectors.complaint_list(desk["manager"])[:26]
    plan = plans.plan_of(*qs.query.sql_with_params())
    subplans = [n for n in plans.nodes(plan) if n.get("Parent Relationship") == "SubPlan"]
    actions = [
        n
        for sub in subplans
        for n in plans.nodes(sub)
        if n.get("Relation Name") == "tickets_complaintaction"
    ]
    assert actions, plan
    assert not [n for n in actions if n["Node Type"] == "Seq Scan"], plan
    outside = [
        n
        for n in plans.nodes(plan)
        if n.get("Relation Name") == "tickets_complaintaction" and n not in actions
    ]
    assert not outside, plan


def test_api_complaint_list_walks_the_complaints_newest_first(desk, client):
    client.force_login(desk["manager"])
    query = plans.caught(lambda: client.get("/api/v1/complaints/"), TABLE)
    _assert_walks_the_complaints_newest_first(query)


def test_a_narrow_audience_needs_no_sort_of_the_table(desk):
    """1% of the records: the walk reads more complaints to fill a page (or the planner reads the
    audience's records through the GIN index and sorts those); never a scan of either table."""
    qs = selectors.complaint_list(desk["auditor"])[:26]
    plan = plans.plan_of(*qs.query.sql_with_params())
    nodes = list(plans.nodes(plan))
    for table in (TABLE, "tickets_servicerecord"):
        assert not [
            n for n in nodes if n.get("Relation Name") == table and n["Node Type"] == "Seq Scan"
        ], plan


def test_the_complaint_list_page_never_counts_the_list(desk, client):
    client.force_login(desk["manager"])
    with CaptureQueriesContext(connection) as ctx:
        response = client.get("/complaints/", {"step": "closed", "page": 2})
    assert response.status_code == 200
    counts = [
        q["sql"]
        for q in ctx.captured_queries
        if q["sql"].lstrip().upper().startswith("SELECT COUNT(")
    ]
    assert not [sql for sql in counts if f'FROM "{TABLE}"' in sql], counts
