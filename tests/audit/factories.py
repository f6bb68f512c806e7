import factory
from factory.django import DjangoModelFactory

from servicedesk.audit import services
from servicedesk.audit.defaults import DEFAULT_KEY, seed_defaults
from servicedesk.audit.models import CheckForm, CheckItem
from tests.tickets.factories import RecordFactory
from tickets.complaints.models import Complaint


class CheckFormFactory(DjangoModelFactory):
    """A form with `items` items of `points` each: CheckFormFactory(items=3, points=10)."""

    class Meta:
        model = CheckForm
        django_get_or_create = ["key"]
        skip_postgeneration_save = True

    key = factory.Sequence(lambda n: f"form-{n}")
    name_en = factory.Sequence(lambda n: f"Form {n}")
    name_zh = factory.Sequence(lambda n: f"表格{n}")

    @factory.post_generation
    def items(self, create, extracted, points=5, **kwargs):
        count = 3 if extracted is None else extracted
        CheckItem.objects.bulk_create(
            CheckItem(form=self, position=p, label_en=f"Item {p}", label_zh=f"项目{p}",
                      max_points=points)
            for p in range(1, count + 1)
        )  # fmt: skip


def default_form() -> CheckForm:
    """The shipped six-steps form (a transactional test's flush removes the migration's rows)."""
    seed_defaults(CheckForm, CheckItem)
    return CheckForm.objects.get(key=DEFAULT_KEY)


def handled_record(department, assignee, *, status="resolved", **fields):
    """A record of `department`, handled by `assignee`."""
    return RecordFactory(
        category__lead_department=department, assignee=assignee, status=status, **fields
    )


class ComplaintFactory(DjangoModelFactory):
    """A complaint written directly at a step (use the complaint services for its flow)."""

    class Meta:
        model = Complaint

    record = factory.SubFactory(RecordFactory)
    channel = "phone"
    severity = "general"
    step = "act"
    outcome = factory.LazyAttribute(lambda c: "satisfied" if c.step == "closed" else "")


def full_marks(form, points=None) -> dict[int, int]:
    """A score for every item of the form: `points` each, or the item's maximum."""
    return {i.pk: i.max_points if points is None else points for i in form.items.all()}


def review(by, form, record=None, complaint=None, points=None, **kwargs):
    return services.review_create(
        by=by,
        form_id=form.pk,
        record_id=record.pk if record else None,
        complaint_id=complaint.pk if complaint else None,
        scores=full_marks(form, points),
        **kwargs,
    )
