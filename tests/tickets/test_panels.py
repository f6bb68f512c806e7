"""My work's records panel (tickets.panels): the same rows, in the same order and state, as the
panels' reference querysets (tickets.selectors.my_work_panels), in one query."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from servicedesk.core.roles import Role
from servicedesk.core.selectors import user_department_ids
from servicedesk.core.users import display_name
from tests.factories import DepartmentFactory, MembershipFactory, PhoneFactory, UserFactory
from tests.followups.factories import VisitFactory
from tests.tickets.factories import CategoryFactory, RecordFactory
from tickets import panels, selectors
from tickets.models import ServiceRecord, Status

pytestmark = pytest.mark.django_db
# The one-union read needs LIMIT inside a UNION, which SQLite refuses (it reads panel by panel).
union_only = pytest.mark.skipif(
    not connection.features.supports_slicing_ordering_in_compound,
    reason="the union of limited walks runs on PostgreSQL (CI runs it)",
)

PANELS = ("breached", "due_soon", "assigned", "unassigned", "department")


@pytest.fixture
def busy_desk(department, agent, manager):
    """More records than a panel shows, with every mix of met, late and due-soon targets (a
    response late while the resolution is due soon, ties on the due time, no target at all)."""
    other = DepartmentFactory(code="sales")
    outsider = UserFactory(username="outsider", role=Role.AGENT)
    MembershipFactory(user=outsider, department=other)
    categories = [
        CategoryFactory(lead_department=department),
        CategoryFactory(lead_department=other),
    ]
    rng = random.Random(5)  # noqa: S311 - test data
    now = timezone.now()
    hour = timedelta(hours=1)
    dues = [None, now - 30 * hour, now - 3 * hour, now - hour, now + hour, now + 3 * hour]
    dues += [now + 5 * hour, now + 48 * hour]
    statuses = [Status.NEW, Status.OPEN, Status.PENDING, Status.RESOLVED, Status.CLOSED]
    for i in range(160):
        response_due, resolution_due = rng.choice(dues), rng.choice(dues)
        RecordFactory(
            category=rng.choice(categories),
            status=rng.choice(statuses),
            assignee=rng.choice([None, None, agent, manager, outsider]),
            created_at=now - i * hour,
            first_response_due=response_due,
            first_responded_at=rng.choice([None, now - 2 * hour]) if response_due else None,
            resolution_due=resolution_due,
            resolved_at=rng.choice([None, None, now - 2 * hour]) if resolution_due else None,
        )
    return {"agent": agent, "manager": manager, "outsider": outsider}


def _reference(user, now) -> dict[str, list]:
    return {
        name: [(r.pk, r.due_state) for r in qs]
        for name, qs in selectors.my_work_panels(user, now=now).items()
    }


def _panels(user, now, monkeypatch) -> dict[str, list]:
    monkeypatch.setattr(panels.timezone, "now", lambda: now)
    return {
        name: [(r.pk, r.due_state) for r in rows]
        for name, rows in panels.my_work_panel(user).items()
    }


@pytest.mark.parametrize("who", ["agent", "manager", "outsider"])
def test_the_panels_list_what_the_reference_querysets_list(busy_desk, who, monkeypatch):
    user = busy_desk[who]
    now = timezone.now()
    ours = _panels(user, now, monkeypatch)
    assert ours == _reference(user, now)
    assert all(len(ours[name]) == panels.PANEL_ROWS for name in ("breached", "department"))


def test_a_user_in_no_department_sees_only_their_own(busy_desk, monkeypatch):
    user = busy_desk["agent"]
    user.department_memberships.all().delete()
    user = type(user).objects.get(pk=user.pk)  # no cached department ids
    now = timezone.now()
    ours = _panels(user, now, monkeypatch)
    assert ours == _reference(user, now)
    assert ours["unassigned"] == [] and ours["department"] == []


@union_only
@pytest.mark.parametrize("who", ["agent", "manager", "outsider"])
def test_the_sql_compiled_once_answers_as_a_fresh_build(busy_desk, who):
    user = busy_desk[who]
    now = timezone.now()
    departments = user_department_ids(user)
    branches = panels.panel_branches(user.pk, departments, now)
    fresh = list(branches[0].union(*branches[1:], all=True))
    assert sorted(panels.panel_ids(user.pk, departments, now)) == sorted(fresh)
    assert panels._ids_sql.cache_info().currsize >= 1
    # ... and the one statement the page runs: each of those ids with its row's values.
    rows = ServiceRecord.objects.filter(pk__in={pk for pk, _p, _k in fresh})
    by_pk = {v["id"]: v for v in rows.values(*panels.PANEL_FIELDS)}
    ours = panels.panel_values(user.pk, departments, now)
    assert sorted((v["id"], panel, key) for panel, key, v in ours) == sorted(fresh)
    assert all(v == by_pk[v["id"]] for _panel, _key, v in ours)


@union_only
def test_the_panels_take_one_query(busy_desk):
    user = busy_desk["manager"]
    user_department_ids(user)  # read once per request by the shell already
    with CaptureQueriesContext(connection) as ctx:
        lists = panels.my_work_panel(user)
    assert len(ctx.captured_queries) == 1
    assert sum(len(rows) for rows in lists.values()) > 10


def test_a_panel_row_reads_as_the_record_does_in_both_languages(department, agent):
    record = RecordFactory(status=Status.OPEN, assignee=agent, lead_department=department)
    values = ServiceRecord.objects.filter(pk=record.pk).values(*panels.PANEL_FIELDS).get()
    for language in ("en", "zh-hans"):
        with translation.override(language):
            row = panels.panel_row(values, timezone.now())
            assert row.reference == record.reference
            assert row.status == record.get_status_display()
            assert row.category_name == record.category.name
            assert row.customer_name == record.customer.name
    assert row.assignee_name == display_name(agent)


def test_next_due_in_python_is_the_sql_one(busy_desk):
    annotated = ServiceRecord.objects.annotate(next_due=selectors.next_due())
    for values in annotated.values("next_due", *panels.PANEL_FIELDS):
        assert panels.next_due(values) == values["next_due"], values


def test_the_panel_escapes_what_was_typed_and_shows_each_column(client, agent, category):
    now = timezone.now()
    RecordFactory(
        category=category,
        assignee=agent,
        status=Status.OPEN,
        subject='<script>alert("x")</script>',
        customer__name="<b>Wang & Co</b>",
        resolution_due=now - timedelta(hours=1),
    )
    client.force_login(agent)
    html = client.get("/").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)" in html
    assert "&lt;b&gt;Wang &amp; Co&lt;/b&gt;" in html
    assert '<span class="badge danger">Breached</span>' in html
    assert "Nothing is due in the next hours." in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/").content.decode()
    assert "服务记录" in html and "已超时" in html and "即将到期" in html


def test_an_empty_desk_shows_every_empty_state(client, agent):
    client.force_login(agent)
    html = client.get("/").content.decode()
    for empty in (
        "Nothing has missed its target.",
        "Nothing is due in the next hours.",
        "No open records are assigned to you.",
        "Every record in your departments has someone on it.",
        "Your departments have no open records.",
    ):
        assert empty in html


def test_my_work_page_queries(client, agent, category, django_assert_max_num_queries):
    # tests/tickets/test_views.py's fixed-queries desk: records in every panel, and 15 of the
    # agent's visits due today and 15 in the queue, each with a customer, a phone and a record.
    now = timezone.now()
    RecordFactory.create_batch(15, category=category, assignee=agent)
    RecordFactory.create_batch(15, category=category, resolution_due=now - timedelta(hours=1))
    RecordFactory.create_batch(15, category=category, resolution_due=now + timedelta(hours=1))
    for assignee in (agent, None):
        for _ in range(15):
            VisitFactory(
                department=category.lead_department,
                assignee=assignee,
                customer=PhoneFactory().customer,
                source_record=RecordFactory(category=category),
                due_at=now - timedelta(minutes=5),
            )
    client.force_login(agent)
    # The shell's six (session, user, groups, department ids, unread notifications, the
    # departments shown), the records panel's one, the callbacks panel's one. On SQLite a query
    # per records panel and per callbacks list, and one for the phones.
    union = connection.features.supports_slicing_ordering_in_compound
    with django_assert_max_num_queries(8 if union else 14):
        response = client.get("/")
    html = response.content.decode()
    assert html.count('<a href="/records/') >= 40 and html.count('<a href="tel:') == 20
