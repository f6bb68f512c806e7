"""Reads for root cause: bones, a complaint's filed cause, the fishbone's counts, workshops."""

from datetime import datetime

from django.contrib.auth import get_user_model
from django.db.models import Count, OuterRef, Prefetch, Q, QuerySet, Subquery
from django.db.models.functions import Coalesce

from servicedesk.core.roles import Role

from ..models import Complaint, Step
from ..selectors import complaint_visible
from .models import (
    CauseBone,
    ComplaintCause,
    CorrectiveAction,
    FishboneWorkshop,
    WorkshopCause,
    WorkshopSolution,
)


def bone_list(*, active_only: bool = True) -> QuerySet[CauseBone]:
    qs = CauseBone.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def desk_users() -> QuerySet:
    """Active people holding a desk role: who may own a corrective action or join a workshop."""
    return (
        get_user_model()
        .objects.filter(is_active=True)
        .filter(Q(is_superuser=True) | Q(groups__name__in=Role.values))
        .distinct()
        .order_by("username")
    )


def complaints_closed_in(
    qs: QuerySet[Complaint],
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    department_id: int | None = None,
) -> QuerySet[Complaint]:
    """Closed complaints, by when they closed ([since, until)) and their responsible department.
    The fishbone counts with this and its links list with it, so a bone's count is its list's."""
    qs = qs.filter(step=Step.CLOSED)
    if since is not None:
        qs = qs.filter(closed_at__gte=since)
    if until is not None:
        qs = qs.filter(closed_at__lt=until)
    if department_id is not None:
        qs = qs.filter(responsible_department_id=department_id)
    return qs


def complaints_on_bone(qs: QuerySet[Complaint], bone_id: int) -> QuerySet[Complaint]:
    """The complaint list's `?bone=ID` filter: complaints whose filed cause is on that bone."""
    return qs.filter(cause__bone_id=bone_id)


def fishbone_counts(
    user, *, since: datetime, until: datetime, department_id: int | None = None
) -> list[CauseBone]:
    """Every active bone (and a retired one still holding causes in the period), each with `n`,
    the visible complaints closed in the period whose cause is on it (bone_counts)."""
    closed = complaints_closed_in(
        complaint_visible(user), since=since, until=until, department_id=department_id
    )
    return bone_counts(closed)


def bone_counts(closed) -> list[CauseBone]:
    """Every active bone (and a retired one still holding causes among `closed`), each with `n`,
    the complaints of `closed` whose cause is on it: two queries. The causes are counted from
    their own few rows, each complaint checked by key; counted from the bones' side, PostgreSQL
    listed every closed complaint of the period, twice (the count and the retired bones' test)."""
    counts = dict(
        ComplaintCause.objects.filter(complaint__in=closed)
        .values("bone_id")
        .annotate(n=Count("id"))
        .values_list("bone_id", "n")
        .order_by()
    )
    bones = []
    for bone in CauseBone.objects.order_by("order", "pk"):
        bone.n = counts.get(bone.pk, 0)
        if bone.is_active or bone.n:
            bones.append(bone)
    return bones


def cause_get(complaint_id: int) -> ComplaintCause | None:
    """A complaint's filed cause with its bone, filer and actions, or None (two queries)."""
    return (
        ComplaintCause.objects.select_related("bone", "filed_by")
        .prefetch_related(
            Prefetch(
                "actions", queryset=CorrectiveAction.objects.select_related("owner", "done_by")
            )
        )
        .filter(complaint_id=complaint_id)
        .first()
    )


def workshop_list() -> QuerySet[FishboneWorkshop]:
    """Newest meeting first, with how many causes and solutions each listed (a sub-query per row
    shown, not a GROUP BY over every workshop)."""

    def counted(model):
        return Coalesce(
            Subquery(
                model.objects.filter(workshop=OuterRef("pk"))
                .values("workshop")
                .annotate(n=Count("id"))
                .values("n")
            ),
            0,
        )

    return FishboneWorkshop.objects.select_related("facilitator", "department").annotate(
        cause_count=counted(WorkshopCause), solution_count=counted(WorkshopSolution)
    )


def workshop_get(pk: int) -> FishboneWorkshop:
    """One workshop with everything its page shows, in a fixed number of queries."""
    return (
        FishboneWorkshop.objects.select_related("facilitator", "department", "created_by")
        .prefetch_related(
            Prefetch("participants", queryset=get_user_model().objects.order_by("username")),
            Prefetch("causes", queryset=WorkshopCause.objects.select_related("bone", "added_by")),
            Prefetch(
                "solutions",
                queryset=WorkshopSolution.objects.select_related("added_by", "action__owner"),
            ),
            Prefetch(
                "actions",
                queryset=CorrectiveAction.objects.select_related("owner", "done_by", "solution"),
            ),
        )
        .get(pk=pk)
    )
