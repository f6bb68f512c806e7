"""Each walk of My work's records panel (tickets.panels.panel_branches) is served by its partial
index on PostgreSQL, over the few thousand analysed rows of test_plans' desk."""

import pytest
from django.db import connection
from django.utils import timezone

from servicedesk.core.selectors import user_department_ids
from tests import plans
from tests.tickets import test_plans
from tests.tickets.test_plans import _assert_index_served
from tickets import panels

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(
        connection.vendor != "postgresql", reason="plans are read on PostgreSQL (CI runs them)"
    ),
]

desk = test_plans.desk  # the fixture: a manager's desk of 3,000 analysed records

# panel_branches' order: (index names, whether the walk's order is the index's)
BRANCHES = [
    ("assigned", ["record_assignee_due_idx"], True),
    ("due_soon", ["record_resolution_due_idx", "record_first_response_due_idx"], False),
    ("breached response", ["record_first_response_due_idx"], False),
    ("breached resolution", ["record_resolution_due_idx"], False),
    ("unassigned", ["record_unassigned_idx"], False),
    # Either walks the running records newest first; with a few thousand rows their costs are
    # so close that the planner's pick turns on the ids' widths in the covering index.
    ("department", [("record_running_idx", "record_backlog_idx")], True),
]


@pytest.mark.parametrize(("position", "branch"), list(enumerate(BRANCHES)), ids=lambda b: str(b))
def test_each_panel_walk_is_served_by_its_partial_index(desk, position, branch):
    _name, indexes, ordered = branch
    user = desk["manager"] if _name != "assigned" else desk["agent"]
    qs = panels.panel_branches(user.pk, user_department_ids(user), timezone.now())[position]
    _assert_index_served(qs, *indexes, ordered_by_index=ordered)


def test_a_breached_walk_stops_at_the_page(desk):
    # Ordered by the target's due time, a walk reads its index until the page is full, whatever
    # the number of late records (the old single walk sorted all of them).
    user = desk["manager"]
    branches = panels.panel_branches(user.pk, user_department_ids(user), timezone.now())
    for qs in branches[2:4]:
        nodes = list(plans.nodes(plans.plan(qs)))
        assert not [n for n in nodes if n["Node Type"] == "Sort"], nodes


def test_the_whole_union_reads_no_table_sequentially(desk):
    user = desk["manager"]
    branches = panels.panel_branches(user.pk, user_department_ids(user), timezone.now())
    union = branches[0].union(*branches[1:], all=True)
    _assert_index_served(union, *{i for _n, indexes, _o in BRANCHES for i in indexes})


def test_the_page_statement_reads_each_found_row_by_its_primary_key(desk):
    # The union's ids joined to their rows (panels._panels_sql): the rows are read one primary
    # key lookup per id, never a scan of the table.
    user = desk["manager"]
    departments = user_department_ids(user)
    sql, params = panels._panels_sql(len(departments))
    plan = plans.plan_of(sql, panels._swapped(params, user.pk, departments, timezone.now()))
    nodes = list(plans.nodes(plan))
    scans = [n for n in nodes if n.get("Relation Name") == "tickets_servicerecord"]
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], plan
    assert "tickets_servicerecord_pkey" in {n.get("Index Name") for n in scans}, plan
    used = {n.get("Index Name") for n in nodes}
    for index in (i for _n, indexes, _o in BRANCHES for i in indexes):
        assert used & set(index if isinstance(index, tuple) else (index,)), (index, plan)
