"""The record list's rows (tickets.rows): the Python due state equals the SQL one on every
combination, and a row shows what the model shows."""

import itertools
from datetime import timedelta

import factory
import pytest
from django.utils import timezone, translation

from servicedesk.core.users import display_name
from tests.tickets.factories import CategoryFactory, RecordFactory
from tickets import selectors
from tickets.models import ServiceRecord, Status
from tickets.rows import ROW_FIELDS, due_state, record_row, target_state

pytestmark = pytest.mark.django_db


def factory_iter(values):
    return factory.Iterator(list(values), cycle=False)


def test_due_state_in_python_equals_the_annotation_on_every_combination():
    now = timezone.now()
    # Each due time: none, past, inside the due-soon window, at its edge, beyond it.
    dues = [None, now - timedelta(hours=1), now + timedelta(hours=1), now + selectors.DUE_SOON]
    dues.append(now + timedelta(days=2))
    met = [None, now - timedelta(minutes=5)]
    statuses = [Status.NEW, Status.PENDING, Status.RESOLVED, Status.CLOSED]
    category = CategoryFactory()
    combos = list(itertools.product(statuses, dues, met, dues, met))
    RecordFactory.create_batch(
        len(combos),
        category=category,
        status=factory_iter(c[0] for c in combos),
        first_response_due=factory_iter(c[1] for c in combos),
        first_responded_at=factory_iter(c[2] for c in combos),
        resolution_due=factory_iter(c[3] for c in combos),
        resolved_at=factory_iter(c[4] for c in combos),
    )
    annotated = selectors.with_due_state(ServiceRecord.objects.all(), now)
    rows = list(annotated.values("due_state", "response_state", "resolution_state", *ROW_FIELDS))
    assert len(rows) == len(combos)
    states, targets = set(), set()
    for values in rows:
        python = due_state(values, now)
        assert python == values["due_state"], values
        states.add(python)
        # The record page's target states (tickets.views._detail_page) follow the same rule.
        for target, due, met in (
            ("response_state", "first_response_due", "first_responded_at"),
            ("resolution_state", "resolution_due", "resolved_at"),
        ):
            state = target_state(values[due], values[met], values["status"], now)
            assert state == values[target], (target, values)
            targets.add(state)
    assert states == {"", "breached", "response_late", "due_soon", "running"}
    assert targets == {"", "met", "late", "stopped", "breached", "due_soon", "running"}


def test_a_row_reads_as_the_record_does_in_both_languages(department, agent):
    record = RecordFactory(status=Status.OPEN, assignee=agent, lead_department=department)
    values = ServiceRecord.objects.filter(pk=record.pk).values(*ROW_FIELDS).get()
    for language in ("en", "zh-hans"):
        with translation.override(language):
            row = record_row(values, timezone.now())
            assert row.reference == record.reference
            assert row.status == record.get_status_display()
            assert row.stage == record.get_stage_display()
            assert row.priority == record.get_priority_display()
            assert row.category_name == record.category.name
            assert row.department_name == record.lead_department.name
            assert row.customer_name == record.customer.name
    assert row.assignee_name == display_name(agent)


def test_the_list_escapes_what_was_typed_and_shows_each_column(client, agent, category):
    RecordFactory(
        category=category,
        subject='<script>alert("x")</script>',
        customer__name="<b>Wang & Co</b>",
        status=Status.OPEN,
        assignee=agent,
    )
    client.force_login(agent)
    html = client.get("/records/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert(&#34;x&#34;)" in html
    assert "&lt;b&gt;Wang &amp; Co&lt;/b&gt;" in html
    with translation.override("zh-hans"):
        status = ServiceRecord.objects.get().get_status_display()
    assert f"<td>{status}</td>" in html
    assert display_name(agent) in html


def test_a_deep_page_reads_the_same_rows_as_slicing_the_list(client, agent, category):
    RecordFactory.create_batch(60, category=category, assignee=agent)
    client.force_login(agent)
    html = client.get("/records/?page=3").content.decode()
    expected = ServiceRecord.objects.order_by("-created_at", "-pk")[50:60]
    assert html.count('name="records"') == 10
    for record in expected:
        assert f'value="{record.pk}"' in html


def test_the_filter_bar_keeps_and_escapes_what_was_typed(client, agent, category):
    """The filter fields are written by Jinja2 (tickets.filters.filter_bar) as Django's widgets
    wrote them: the typed search comes back escaped, chosen options stay selected."""
    agent.first_name, agent.last_name = "<i>Li</i>", "O'Neil"
    agent.save()
    client.force_login(agent)
    html = client.get(
        "/records/",
        {"q": '"><script>x</script>', "status": ["open", "pending"], "assignee": agent.pk},
    ).content.decode()
    assert "<script>x" not in html
    assert 'name="q" value="&#34;&gt;&lt;script&gt;x&lt;/script&gt;" id="id_q"' in html
    assert '<option value="open" selected>' in html and '<option value="pending" selected>' in html
    assert '<option value="new">' in html
    assert f'<option value="{agent.pk}" selected>&lt;i&gt;Li&lt;/i&gt; O&#39;Neil</option>' in html
    assert '<select name="status" id="id_status" multiple>' in html
