from datetime import timedelta

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from followups.models import (
    AssignTo,
    CallbackRule,
    CallbackVisit,
    GreetingDate,
    Method,
    Purpose,
    Trigger,
)
from tests.factories import CustomerFactory, DepartmentFactory
from tickets.visibility import record_audience


class RuleFactory(DjangoModelFactory):
    class Meta:
        model = CallbackRule
        django_get_or_create = ["code"]
        skip_postgeneration_save = True

    code = factory.Sequence(lambda n: f"rule-{n}")
    name_en = factory.Sequence(lambda n: f"Rule {n}")
    name_zh = factory.Sequence(lambda n: f"规则{n}")
    trigger = Trigger.RECORD_RESOLVED
    method = Method.PHONE
    assign_to = AssignTo.DEPARTMENT_QUEUE
    department = factory.SubFactory(DepartmentFactory)
    delay_days = 3
    window_days = 2

    @factory.post_generation
    def categories(self, create, extracted, **kwargs):
        if create and extracted:
            self.categories.set(extracted)


class GreetingDateFactory(DjangoModelFactory):
    class Meta:
        model = GreetingDate

    name_en = "Spring Festival"
    name_zh = "春节"


class VisitFactory(DjangoModelFactory):
    """A visit written directly (no rule evaluation); services schedule the real ones."""

    class Meta:
        model = CallbackVisit

    customer = factory.SubFactory(CustomerFactory)
    purpose = Purpose.AD_HOC
    method = Method.PHONE
    department = factory.SubFactory(DepartmentFactory)
    assignee = None
    due_at = factory.LazyFunction(lambda: timezone.now() + timedelta(hours=1))
    window_end = factory.LazyAttribute(lambda v: v.due_at + timedelta(days=2))
    remind_at = factory.LazyAttribute(lambda v: v.due_at - timedelta(hours=1))
    audience = factory.LazyAttribute(
        lambda v: record_audience(
            lead_department_id=v.department.pk,
            assignee_id=v.assignee.pk if v.assignee else None,
        )
    )
