"""My work's callbacks panel (followups.panels): the same visits, in the same order, with the same
timing and phones, as the lists it shows (selectors.agent_callbacks), in one query on PostgreSQL;
a row reads as the visit does, and what was typed comes out escaped."""

import random
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone, translation

from customers.templatetags.customer_tags import phone
from followups import panels, selectors
from followups.models import Method, Purpose, VisitStatus
from servicedesk.core.roles import Role
from servicedesk.core.selectors import user_department_ids
from tests import plans
from tests.factories import (
    ContactFactory,
    CustomerFactory,
    DepartmentFactory,
    MembershipFactory,
    PhoneFactory,
    UserFactory,
)
from tests.followups import test_plans
from tests.followups.factories import VisitFactory
from tests.tickets.factories import RecordFactory

pytestmark = pytest.mark.django_db
union_only = pytest.mark.skipif(
    not connection.features.supports_slicing_ordering_in_compound,
    reason="the union of limited walks runs on PostgreSQL (CI runs it)",
)


@pytest.fixture
def busy_desk(department, agent, manager):
    """More visits than a list shows, due before tonight or after it, late, due or upcoming,
    in the agent's department, another one, or nobody's; customers with no phone, a primary
    one, or one more that is not primary."""
    other = DepartmentFactory(code="sales")
    outsider = UserFactory(username="outsider", role=Role.AGENT)
    MembershipFactory(user=outsider, department=other)
    rng = random.Random(7)  # noqa: S311 - test data
    customers = []
    for i in range(12):
        contact = ContactFactory()
        for k in range(i % 3):  # none, a primary one, or a primary one and another
            PhoneFactory(contact=contact, is_primary=k == 0)
        customers.append(contact.customer)
    now = timezone.now()
    hour = timedelta(hours=1)
    dues = [now - 50 * hour, now - 3 * hour, now - hour, now - hour, now + 5 * hour]
    dues.append(now + 30 * hour)  # after tonight
    for _ in range(150):
        due = rng.choice(dues)
        VisitFactory(
            customer=rng.choice(customers),
            department=rng.choice([department, department, other]),
            assignee=rng.choice([None, None, agent, manager, outsider]),
            status=rng.choice([VisitStatus.SCHEDULED] * 4 + [VisitStatus.CANCELLED]),
            due_at=due,
            window_end=due + rng.choice([2 * hour, 48 * hour]),
            attempts=rng.choice([0, 1, 2]),
            source_record=rng.choice([None, RecordFactory(lead_department=department)]),
        )
    return {"agent": agent, "manager": manager, "outsider": outsider, "now": now}


def _reference(user, now) -> dict[str, list]:
    lists = selectors.agent_callbacks(user, until=selectors.end_of_today(now), limit=10)
    return {
        name: [(v.pk, v.timing(now), [p.value for p in v.customer.primary_phones]) for v in qs]
        for name, qs in lists.items()
    }


def _panel(user, now, monkeypatch) -> dict[str, list]:
    monkeypatch.setattr(panels.timezone, "now", lambda: now)
    return {
        name: [(r.pk, r.timing, [value for value, _shown in r.phones]) for r in rows]
        for name, rows in panels.my_work_panel(user).items()
    }


@pytest.mark.parametrize("who", ["agent", "manager", "outsider"])
def test_the_panel_lists_what_agent_callbacks_lists(busy_desk, who, monkeypatch):
    user, now = busy_desk[who], busy_desk["now"]
    ours = _panel(user, now, monkeypatch)
    assert ours == _reference(user, now)
    assert ours["mine"] and ours["queue"]
    if who != "outsider":  # the agent's department holds two thirds of the visits
        assert len(ours["queue"]) == panels.PANEL_ROWS


def test_a_user_in_no_department_sees_only_their_own(busy_desk, monkeypatch):
    user, now = busy_desk["agent"], busy_desk["now"]
    user.department_memberships.all().delete()
    user = type(user).objects.get(pk=user.pk)  # no cached department ids
    ours = _panel(user, now, monkeypatch)
    assert ours == _reference(user, now)
    assert ours["mine"] and ours["queue"] == []


@union_only
def test_the_sql_compiled_once_answers_as_a_fresh_build(busy_desk):
    user = busy_desk["manager"]
    until = selectors.end_of_today(busy_desk["now"])
    departments = user_department_ids(user)
    mine, queue = panels.panel_lists(user.pk, departments, until, phones=True)
    fresh = [*mine, *queue]
    assert panels.panel_values(user.pk, departments, until) == fresh
    assert panels._panel_sql.cache_info().currsize >= 1


def test_the_panel_takes_one_query_on_postgresql(busy_desk):
    user = busy_desk["manager"]
    user_department_ids(user)  # read once per request by the shell already
    with CaptureQueriesContext(connection) as ctx:
        lists = panels.my_work_panel(user)
    # On SQLite (no LIMIT in a UNION, no arrays): a query per list, and one for the phones.
    union = connection.features.supports_slicing_ordering_in_compound
    assert len(ctx.captured_queries) == (1 if union else 3)
    assert sum(len(rows) for rows in lists.values()) > 10


def test_a_panel_row_reads_as_the_visit_does_in_both_languages(department, agent):
    contact = ContactFactory()
    point = PhoneFactory(contact=contact)
    visit = VisitFactory(
        customer=contact.customer,
        department=department,
        assignee=agent,
        source_record=RecordFactory(customer=contact.customer),
        purpose=Purpose.AFTER_SERVICE,
        method=Method.ON_SITE,
        due_at=timezone.now() - timedelta(hours=1),
    )
    for language in ("en", "zh-hans"):
        with translation.override(language):
            (row,) = panels.my_work_panel(agent)["mine"]
            assert row.reference == visit.reference
            assert row.purpose == visit.get_purpose_display()
            assert row.method == visit.get_method_display()
            assert row.customer_name == visit.customer.name
            assert row.source_record_reference == visit.source_record.reference
            assert row.timing == visit.timing() == "due"
            assert row.phones == [(point.value, phone(point.value))]


def test_the_panel_escapes_what_was_typed_and_shows_each_column(client, agent, department):
    customer = CustomerFactory(name="<b>Wang & Co</b>")
    point = PhoneFactory(contact=ContactFactory(customer=customer))
    record = RecordFactory(customer=customer)
    now = timezone.now()
    visit = VisitFactory(
        customer=customer,
        department=department,
        assignee=agent,
        source_record=record,
        due_at=now - timedelta(hours=3),
        window_end=now - timedelta(hours=1),
        attempts=2,
    )
    client.force_login(agent)
    html = client.get("/").content.decode()
    assert "<b>Wang" not in html and "&lt;b&gt;Wang &amp; Co&lt;/b&gt;" in html
    assert f'<a href="/customers/{customer.pk}/">' in html
    assert f'<a href="tel:{point.value}">{phone(point.value)}</a>' in html
    assert f'<a href="{visit.get_absolute_url()}">{visit.reference}</a>' in html
    assert f'<a href="{record.get_absolute_url()}">{record.reference}</a>' in html
    assert '<span class="badge danger">overdue</span>' in html and "2 attempts" in html
    assert "Your departments&#39; queue has no callbacks due today." in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/"})
    html = client.get("/").content.decode()
    assert "今日回访" in html and "&lt;b&gt;Wang &amp; Co&lt;/b&gt;" in html


def test_an_empty_desk_shows_both_empty_states(client, agent):
    client.force_login(agent)
    html = client.get("/").content.decode()
    assert "No callbacks of yours are due today." in html
    assert "Your departments&#39; queue has no callbacks due today." in html


desk = test_plans.desk  # the fixture: a desk of 5,000 analysed visits


@pytest.mark.skipif(connection.vendor != "postgresql", reason="plans are read on PostgreSQL")
def test_the_union_walks_both_partial_indexes(desk):
    user = desk["manager"]
    departments = user_department_ids(user)
    mine, queue = panels.panel_lists(
        user.pk, departments, selectors.end_of_today(desk["now"]), phones=True
    )
    plan = plans.plan(mine.union(queue, all=True))
    nodes = list(plans.nodes(plan))
    assert not [n for n in nodes if n["Node Type"] == "Seq Scan"], plan
    used = {n.get("Index Name") for n in nodes}
    assert {"visit_assignee_due_idx", "visit_queue_due_idx"} <= used, plan
    # Each list is the first rows of its index walk: nothing is read to be sorted away.
    visits = [n for n in nodes if n.get("Relation Name") == "followups_callbackvisit"]
    assert all(n["Node Type"] == "Index Scan" for n in visits), plan
