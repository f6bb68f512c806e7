import factory
from factory.django import DjangoModelFactory

from tests.factories import CustomerFactory, DepartmentFactory, UserFactory
from tickets.models import (
    BusinessCalendar,
    Holiday,
    MessageKind,
    RecordMessage,
    ServiceCategory,
    ServiceRecord,
    Stage,
    TargetPolicy,
)


class CategoryFactory(DjangoModelFactory):
    class Meta:
        model = ServiceCategory
        django_get_or_create = ["code"]

    code = factory.Sequence(lambda n: f"category-{n}")
    stage = Stage.AFTER_SALE
    name_en = factory.Sequence(lambda n: f"Category {n}")
    name_zh = factory.Sequence(lambda n: f"类别{n}")
    lead_department = factory.SubFactory(DepartmentFactory)


class RecordFactory(DjangoModelFactory):
    """A record written directly (no routing, no targets); use services.record_create for those."""

    class Meta:
        model = ServiceRecord

    customer = factory.SubFactory(CustomerFactory)
    category = factory.SubFactory(CategoryFactory)
    stage = factory.LazyAttribute(lambda r: r.category.stage)
    lead_department = factory.LazyAttribute(lambda r: r.category.lead_department)
    nature = factory.LazyAttribute(lambda r: r.category.default_nature)
    place = factory.LazyAttribute(lambda r: r.category.default_place)
    frequency = factory.LazyAttribute(lambda r: r.category.default_frequency)
    duration = factory.LazyAttribute(lambda r: r.category.default_duration)
    subject = factory.Sequence(lambda n: f"Request {n}")


class MessageFactory(DjangoModelFactory):
    class Meta:
        model = RecordMessage

    record = factory.SubFactory(RecordFactory)
    kind = MessageKind.REPLY
    body = factory.Sequence(lambda n: f"Message {n}")
    author = factory.SubFactory(UserFactory)


class CalendarFactory(DjangoModelFactory):
    class Meta:
        model = BusinessCalendar
        django_get_or_create = ["name"]

    name = "Office hours"
    is_default = True


class HolidayFactory(DjangoModelFactory):
    class Meta:
        model = Holiday

    calendar = factory.SubFactory(CalendarFactory)


class PolicyFactory(DjangoModelFactory):
    class Meta:
        model = TargetPolicy

    name = factory.Sequence(lambda n: f"Policy {n}")
    first_response_minutes = 60
    resolution_minutes = 540
