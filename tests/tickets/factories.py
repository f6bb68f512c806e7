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
from tickets.visibility import record_audience


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
        skip_postgeneration_save = True

    customer = factory.SubFactory(CustomerFactory)
    category = factory.SubFactory(CategoryFactory)
    stage = factory.LazyAttribute(lambda r: r.category.stage)
    lead_department = factory.LazyAttribute(lambda r: r.category.lead_department)
    nature = factory.LazyAttribute(lambda r: r.category.default_nature)
    place = factory.LazyAttribute(lambda r: r.category.default_place)
    frequency = factory.LazyAttribute(lambda r: r.category.default_frequency)
    duration = factory.LazyAttribute(lambda r: r.category.default_duration)
    subject = factory.Sequence(lambda n: f"Request {n}")
    assignee = None
    # The services keep the audience; a record written directly gets it from the same function.
    audience = factory.LazyAttribute(
        lambda r: record_audience(
            lead_department_id=r.lead_department.pk,
            assignee_id=r.assignee.pk if r.assignee else None,
        )
    )

    @factory.post_generation
    def collaborators(self, create, departments, **kwargs):
        """RecordFactory(collaborators=[dept, …]): collaborators, kept in the audience too."""
        if not departments:
            return
        self.collaborating_departments.set(departments)
        self.audience = record_audience(
            lead_department_id=self.lead_department_id,
            collaborator_ids=[d.pk for d in departments],
            assignee_id=self.assignee_id,
        )
        ServiceRecord.objects.filter(pk=self.pk).update(audience=self.audience)


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


def installation_category(department):
    """An after-sale installation led by `department` (the tickets and followups fixture)."""
    return CategoryFactory(
        code="installation",
        stage=Stage.AFTER_SALE,
        name_en="Installation & commissioning",
        name_zh="安装调试",
        lead_department=department,
        default_nature="technical",
        default_place="on_site",
    )


def customer_li_wei():
    from tests.factories import ContactFactory

    return ContactFactory(name="Li Wei", customer__name="Li Wei").customer


def complaint_open(by, category, **fields):
    """A complaint on a new record of `category`, for a new customer (phone, 一般 unless given)."""
    from tests.factories import CustomerFactory
    from tickets.complaints import services

    return services.complaint_open(
        by=by,
        customer_id=CustomerFactory().pk,
        stage=category.stage,
        category_id=category.pk,
        **{"subject": "安装师傅迟到", "channel": "phone", "severity": "general", **fields},
    )
