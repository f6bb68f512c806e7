import importlib
from datetime import timedelta

from django.apps import apps
from django.utils import timezone

from followups.models import CallbackVisit
from servicedesk.core.models import StatusChange
from servicedesk.core.transitions import record_initial_state
from tests.tickets.factories import CategoryFactory, MessageFactory, RecordFactory
from tickets.models import ServiceCategory, ServiceRecord


def test_return_visit_records_become_visits(agent, department, customer):
    # given the retired category and two of its records: one done, one still open
    retired = CategoryFactory(code="return-visit", lead_department=department)
    due = timezone.now() + timedelta(days=1)
    done = RecordFactory(
        category=retired, customer=customer, status="closed", assignee=agent,
        subject="安装后电话回访", resolved_at=timezone.now(), place="fixed_point",
    )  # fmt: skip
    MessageFactory(record=done, body="客户很满意")
    waiting = RecordFactory(
        category=retired, customer=customer, status="open", resolution_due=due, place="on_site"
    )
    record_initial_state(done, by=agent)
    kept = RecordFactory(customer=customer)  # another category's record stays

    migration = importlib.import_module(
        "followups.migrations.0002_audience_gin_and_return_visit_records"
    )
    migration.records_to_visits(apps, None)

    visits = {v.status: v for v in CallbackVisit.objects.all()}
    assert set(visits) == {"done", "scheduled"}
    assert visits["done"].reached is True and visits["done"].assignee == agent
    assert "安装后电话回访" in visits["done"].notes and "客户很满意" in visits["done"].notes
    assert visits["scheduled"].method == "on_site" and visits["scheduled"].due_at == due
    assert visits["scheduled"].audience == {f"d{department.pk}": True}
    # the records, their log and the category are gone; the timeline shows each visit once
    assert list(ServiceRecord.objects.all()) == [kept]
    assert not StatusChange.objects.filter(object_id__in=[done.pk, waiting.pk]).exists()
    assert not ServiceCategory.objects.filter(code="return-visit").exists()
    # running it again changes nothing
    migration.records_to_visits(apps, None)
    assert CallbackVisit.objects.count() == 2
