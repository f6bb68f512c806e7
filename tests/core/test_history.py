"""History a person can read: labels, names, choice labels and dates, not field names, ids, codes.

servicedesk.core.audit.history_entries does the formatting once; the record page and the API's
/history/ both read it.
"""

import datetime
import re

import pytest
from django.utils import formats, timezone, translation
from django.utils.translation import gettext

from customers.models import Customer
from servicedesk.core.audit import history_entries
from servicedesk.core.users import display_name
from tests.factories import MembershipFactory, TagFactory, UserFactory
from tests.tickets.factories import CategoryFactory, RecordFactory
from tickets import selectors, services
from tickets.models import ServiceRecord, Stage

pytestmark = pytest.mark.django_db


@pytest.fixture
def wang(department):
    user = UserFactory(username="wangli", first_name="丽", last_name="王", role="agent")
    MembershipFactory(user=user, department=department)
    return user


@pytest.fixture
def worked_record(department, manager, wang):
    """A record a manager assigned to Wang Li, who dated, opened and resolved it."""
    category = CategoryFactory(code="repair", stage=Stage.AFTER_SALE, lead_department=department)
    record = RecordFactory(category=category, subject="Door")
    services.record_assign(by=manager, record_id=record.pk, assignee_id=wang.pk)
    services.record_update(
        by=wang,
        record_id=record.pk,
        version=None,
        changes={"agreed_date": datetime.date(2030, 3, 9), "priority": "high"},
    )
    services.record_transition(by=wang, record_id=record.pk, to_status="open")
    services.record_transition(by=wang, record_id=record.pk, to_status="resolved")
    return ServiceRecord.objects.get(pk=record.pk)


def _change(entries, field):
    return next(c for e in entries for c in e.changes if c.field == field)


def _changes(entries, field):
    return [c for e in entries for c in e.changes if c.field == field]


def test_entries_in_english_name_people_and_choices(worked_record, manager, wang):
    with translation.override("en"):
        entries = selectors.record_history(worked_record)

    assert [e.kind for e in entries] == ["~", "~", "~", "~", "+"]  # newest first
    assignee = _change(entries, "assignee")
    assert (assignee.label, assignee.old, assignee.new) == ("Assignee", None, wang.pk)
    assert (assignee.old_display, assignee.new_display) == ("—", "王丽")  # not "丽 王", not 3
    assert entries[3].who == manager and entries[3].who_name == display_name(manager)
    resolved, opened = _changes(entries, "status")
    assert (opened.label, opened.old_display, opened.new_display) == ("Status", "New", "Open")
    assert (resolved.old, resolved.new, resolved.new_display) == ("open", "resolved", "Resolved")
    priority = _change(entries, "priority")
    assert (priority.label, priority.new_display) == ("Priority", "High")


def test_dates_are_formatted_in_the_active_time_zone(worked_record):
    with timezone.override("Asia/Shanghai"), translation.override("en"):
        entries = selectors.record_history(worked_record)
        agreed = _change(entries, "agreed_date")
        assert agreed.new == "2030-03-09"
        assert agreed.new_display == formats.date_format(
            datetime.date(2030, 3, 9), "SHORT_DATE_FORMAT"
        )
        (resolved_at,) = _changes(entries, "resolved_at")
        assert resolved_at.new == worked_record.resolved_at.isoformat()
        assert resolved_at.new.endswith("+00:00")  # raw: ISO 8601 with its offset
        local = timezone.localtime(worked_record.resolved_at)
        assert local.utcoffset() == datetime.timedelta(hours=8)
        assert resolved_at.new_display == formats.date_format(local, "SHORT_DATETIME_FORMAT")


def test_entries_in_chinese(worked_record, wang):
    with translation.override("zh-hans"):
        entries = selectors.record_history(worked_record)
        status = _changes(entries, "status")[0]
        assignee = _change(entries, "assignee")

    # Labels the zh catalogue already holds, and the verbose_name in the active language.
    assert status.label == "状态" and assignee.label == "处理人"
    assert status.new_display == "已解决"
    with translation.override("zh-hans"):
        assert status.old_display == gettext("Open")
        assert _change(entries, "priority").label == gettext("priority")
    assert assignee.new_display == "王丽"
    assert entries[0].who == wang and entries[0].who_name == "王丽"


def test_people_are_named_by_the_desk_rule(db, worked_record):
    latin = UserFactory(username="liwang", first_name="Li", last_name="Wang", role="manager")
    nameless = UserFactory(username="ops", first_name="", last_name="")
    services.record_assign(by=latin, record_id=worked_record.pk, assignee_id=None)
    entries = selectors.record_history(ServiceRecord.objects.get(pk=worked_record.pk))
    assert entries[0].who_name == "Li Wang" == display_name(latin)
    assert _change(entries, "assignee").old_display == "王丽"
    assert display_name(nameless) == "ops" and display_name(None) == ""


def _history_section(html: str) -> str:
    start = html.index('id="h-history"')
    return html[start : html.index("</section>", start)]


def test_record_page_history_reads_like_a_person_wrote_it(client, worked_record, wang):
    # Before: "assignee: — → 3" and "status: open → resolved".
    client.force_login(wang)
    response = client.get(f"/records/{worked_record.pk}/", HTTP_ACCEPT_LANGUAGE="en")
    html = _history_section(response.content.decode())

    assert "Assignee: — → 王丽" in html
    assert "Status: New → Open" in html and "Status: Open → Resolved" in html
    assert "Priority: Normal → High" in html
    assert f"→ {wang.pk}" not in html and "open →" not in html
    assert "resolved_at" not in html


def test_record_page_history_in_chinese(client, worked_record, wang):
    client.force_login(wang)
    with translation.override("en"):  # the request activates Chinese; leave English behind
        response = client.get(f"/records/{worked_record.pk}/", HTTP_ACCEPT_LANGUAGE="zh-hans")
    html = _history_section(response.content.decode())

    assert "处理人: — → 王丽" in html
    assert "状态: 新建 → 处理中" in html and "状态: 处理中 → 已解决" in html
    assert "王丽" in html
    assert not re.search(r"\b(open|resolved|assignee|status)\b", html)


def test_customer_history_names_tags_in_bounded_queries(agent, django_assert_max_num_queries):
    # given a customer whose tags changed many times
    from customers import services as customer_services

    customer = customer_services.customer_create(name="Zhang Wei", by=agent)
    tags = [TagFactory(name=f"tag{i}") for i in range(4)]
    for i in range(12):
        customer_services.customer_update(
            customer_id=customer.pk,
            version=None,
            changes={"region": f"region {i}"},
            tags=[tags[i % 4].name],
            by=agent,
        )

    # when its history is read, then the queries do not grow with the rows
    customer = Customer.objects.get(pk=customer.pk)
    with django_assert_max_num_queries(3), translation.override("en"):
        entries = history_entries(customer.history.all())
    shown = {c.new_display for e in entries for c in e.changes if c.field == "tags"}
    # tags.set() removes, then adds: the history passes through "no tags" (—) between the two.
    assert shown - {"—"} == {t.name for t in tags}
    assert _change(entries, "tags").label == "Tags"
