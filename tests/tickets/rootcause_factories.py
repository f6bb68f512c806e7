"""Factories for root cause. Bones are the six the migration seeds (made again after a flush)."""

import importlib

import factory
from django.utils import timezone
from factory.django import DjangoModelFactory

from tests.factories import UserFactory
from tests.tickets.factories import complaint_open
from tickets.complaints.models import Complaint, Outcome, Step
from tickets.complaints.rootcause.models import (
    CauseBone,
    ComplaintCause,
    FishboneWorkshop,
    WorkshopCause,
    WorkshopSolution,
)

SHIPPED_BONES = importlib.import_module("tickets.migrations.0007_root_cause").BONES


def bone(code: str) -> CauseBone:
    """One of the bones the migration ships; made again if a transactional test before this one
    flushed the table (live-server and browser tests are transactional)."""
    found = CauseBone.objects.filter(code=code).first()
    if found is not None:
        return found
    order, (_code, name_en, name_zh) = next(
        (n, b) for n, b in enumerate(SHIPPED_BONES, start=1) if b[0] == code
    )
    return CauseBone.objects.create(code=code, name_en=name_en, name_zh=name_zh, order=order)


def closed_complaint(by, category, *, closed_at=None, department=None, **fields) -> Complaint:
    """A complaint opened by the service and written straight to closed (the six steps are
    tested in test_complaints; here only being closed, and when, matters)."""
    complaint = complaint_open(
        by, category, responsible_department_id=department.pk if department else None, **fields
    )
    Complaint.objects.filter(pk=complaint.pk).update(
        step=Step.CLOSED, outcome=Outcome.SATISFIED, closed_at=closed_at or timezone.now()
    )
    complaint.refresh_from_db()
    return complaint


class ComplaintCauseFactory(DjangoModelFactory):
    """A filed cause written directly (no service): for the fishbone's counts."""

    class Meta:
        model = ComplaintCause

    bone = factory.LazyFunction(lambda: bone("process"))
    whys = factory.LazyFunction(lambda: ["派单没有留路程时间"])
    summary = "派单规则不考虑路程"
    filed_at = factory.LazyFunction(timezone.now)


class WorkshopFactory(DjangoModelFactory):
    class Meta:
        model = FishboneWorkshop

    problem = "上门服务迟到"
    held_on = factory.LazyFunction(timezone.localdate)
    facilitator = factory.SubFactory(UserFactory, role="manager")


class WorkshopCauseFactory(DjangoModelFactory):
    class Meta:
        model = WorkshopCause

    workshop = factory.SubFactory(WorkshopFactory)
    bone = factory.LazyFunction(lambda: bone("people"))
    text = factory.Sequence(lambda n: f"Cause {n}")
    whys = factory.LazyFunction(lambda: ["Why one", "Why two"])


class WorkshopSolutionFactory(DjangoModelFactory):
    class Meta:
        model = WorkshopSolution

    workshop = factory.SubFactory(WorkshopFactory)
    text = factory.Sequence(lambda n: f"Solution {n}")


def solutions(workshop, n: int) -> list[WorkshopSolution]:
    return WorkshopSolutionFactory.create_batch(n, workshop=workshop)
