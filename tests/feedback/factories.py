"""Factories for staff feedback. Rows are written directly (fast, for lists and counts); the
services are exercised by their own tests."""

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from servicedesk.feedback.models import (
    CaseKind,
    DailyCase,
    HandoverRating,
    Meeting,
    Suggestion,
)
from tests.factories import DepartmentFactory, UserFactory
from tests.tickets.factories import RecordFactory


class CaseFactory(DjangoModelFactory):
    class Meta:
        model = DailyCase

    kind = CaseKind.SUCCESS
    title = factory.Sequence(lambda n: f"Case {n}")
    happened = "The fitter called ahead and the customer changed the time."
    lesson = "Confirm an hour before."
    author = factory.SubFactory(UserFactory)
    case_date = factory.LazyFunction(timezone.localdate)

    class Params:
        shared = factory.Trait(shared_at=factory.LazyFunction(timezone.now))


class SuggestionFactory(DjangoModelFactory):
    class Meta:
        model = Suggestion

    title = factory.Sequence(lambda n: f"Suggestion {n}")
    body = "Send a text an hour before each visit."
    author = factory.SubFactory(UserFactory)


class MeetingFactory(DjangoModelFactory):
    class Meta:
        model = Meeting
        skip_postgeneration_save = True

    held_on = factory.LazyFunction(timezone.localdate)
    title = factory.Sequence(lambda n: f"Staff meeting {n}")
    notes = "We talked about the weekend calls."
    decisions = "One more person on Saturdays\nCall back missed calls within 30 minutes"

    @factory.post_generation
    def attendees(self, create, users, **kwargs):
        if create and users:
            self.attendees.set(users)


def shared_record(lead, *collaborators):
    """A record led by `lead` with `collaborators`: the departments a handover goes between."""
    from tests.tickets.factories import CategoryFactory

    return RecordFactory(
        category=CategoryFactory(lead_department=lead), collaborators=list(collaborators)
    )


class RatingFactory(DjangoModelFactory):
    class Meta:
        model = HandoverRating

    from_department = factory.SubFactory(DepartmentFactory)
    to_department = factory.SubFactory(DepartmentFactory)
    record = factory.LazyAttribute(lambda r: shared_record(r.from_department, r.to_department))
    score = 4
    rated_by = factory.SubFactory(UserFactory)
