"""The callback lists' rows (followups.rows): the Python timing equals the model's on every
combination, and a row shows what the model shows, in both languages."""

import itertools
from datetime import timedelta

import pytest
from django.template.defaultfilters import truncatechars
from django.utils import timezone, translation

from customers.templatetags.customer_tags import phone
from followups import selectors
from followups.models import CallbackVisit, Method, Purpose, VisitStatus
from followups.models import visit_timing as timing
from followups.rows import ROW_FIELDS, instance_row, values_of, visit_row, with_phones
from servicedesk.core.users import display_name
from tests.factories import ContactFactory, PhoneFactory
from tests.followups.factories import VisitFactory
from tests.tickets.factories import RecordFactory

pytestmark = pytest.mark.django_db


def test_timing_in_python_equals_the_model_on_every_combination():
    now = timezone.now()
    # Due before, at or after now; the window closing before, at or after now (never before due).
    times = [now - timedelta(hours=2), now, now + timedelta(hours=2)]
    states = set()
    for status, due_at, window_end in itertools.product(VisitStatus.values, times, times):
        if window_end < due_at:
            continue
        visit = CallbackVisit(status=status, due_at=due_at, window_end=window_end)
        python = timing(status=status, due_at=due_at, window_end=window_end, now=now)
        assert python == visit.timing(now), (status, due_at, window_end)
        states.add(python)
    assert states == {"upcoming", "due", "overdue", *VisitStatus.values} - {"scheduled"}


def test_a_row_reads_as_the_visit_does_in_both_languages(department, agent):
    contact = ContactFactory()
    phone_point = PhoneFactory(contact=contact)
    record = RecordFactory(customer=contact.customer, subject="x" * 80)
    visit = VisitFactory(
        customer=contact.customer,
        department=department,
        assignee=agent,
        source_record=record,
        purpose=Purpose.AFTER_SERVICE,
        method=Method.ON_SITE,
        attempts=2,
    )
    values = CallbackVisit.objects.filter(pk=visit.pk).values(*ROW_FIELDS).get()
    now = timezone.now()
    for language in ("en", "zh-hans"):
        with translation.override(language):
            row = visit_row(values, now)
            assert row.reference == visit.reference
            assert row.status_label == visit.get_status_display()
            assert row.purpose == visit.get_purpose_display()
            assert row.method == visit.get_method_display()
            assert row.timing == visit.timing(now)
            # As |truncatechars:60, whose ellipsis is translated too.
            assert row.source_record_subject == truncatechars(record.subject, 60)
            assert len(row.source_record_subject) < len(record.subject)
    row = visit_row(values, now)
    assert row.customer_name == visit.customer.name
    assert row.source_record_reference == record.reference
    assert row.assignee_name == display_name(agent)
    assert row.due_at_iso == timezone.localtime(visit.due_at).isoformat()
    with_phones([row])
    assert row.phones == [(phone_point.value, phone(phone_point.value))]
    # The row of a visit read as a model (the htmx row after visit_get) is the same row.
    assert values_of(selectors.visit_get(agent, visit.pk)) == values
    assert instance_row(selectors.visit_get(agent, visit.pk), now) == row


def test_a_row_without_record_assignee_or_phone(department):
    visit = VisitFactory(department=department)
    values = CallbackVisit.objects.filter(pk=visit.pk).values(*ROW_FIELDS).get()
    row = visit_row(values, timezone.now())
    with_phones([row])
    assert (row.source_record_id, row.source_record_reference, row.source_record_subject) == (
        None,
        "",
        "",
    )
    assert (row.assignee_id, row.assignee_name, row.phones) == (None, "", [])


@pytest.mark.parametrize(
    "text",
    [
        "",
        "预约消毒柜送货时间",
        "x" * 60,
        "x" * 61,
        "é" * 70,
        "e\u0301" * 30,
        "e\u0301" * 61,
        "<b>&",
    ],
)
def test_short_subject_is_truncatechars(text):
    from django.template.defaultfilters import truncatechars

    from followups.rows import short_subject

    assert short_subject(text) == truncatechars(text, 60)
