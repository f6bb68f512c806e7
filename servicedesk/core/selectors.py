"""Reads for the core."""

from django.db.models import Prefetch, QuerySet

from .models import ApiToken, Department, DepartmentMembership, WorkerPing


def department_list(*, active_only: bool = True) -> QuerySet[Department]:
    qs = Department.objects.all()
    return qs.filter(is_active=True) if active_only else qs


def user_department_ids(user) -> list[int]:
    """Departments the user belongs to, cached on the user for the request."""
    if not hasattr(user, "_desk_department_ids"):
        user._desk_department_ids = list(
            DepartmentMembership.objects.filter(user=user).values_list("department_id", flat=True)
        )
    return user._desk_department_ids


def user_departments(user) -> QuerySet[Department]:
    return Department.objects.filter(memberships__user=user).distinct()


def department_managers(department_id: int):
    return DepartmentMembership.objects.filter(
        department_id=department_id, is_manager=True, user__is_active=True
    ).select_related("user")


def department_list_with_members() -> QuerySet[Department]:
    return Department.objects.prefetch_related(
        Prefetch("memberships", queryset=DepartmentMembership.objects.select_related("user"))
    )


def api_token_list(*, user) -> QuerySet[ApiToken]:
    return ApiToken.objects.filter(user=user)


def worker_ping_list(*, limit: int = 10) -> QuerySet[WorkerPing]:
    return WorkerPing.objects.select_related("created_by")[:limit]


def status_changes(obj, *, field: str = "status"):
    """One object's transition log, oldest first."""
    from django.contrib.contenttypes.models import ContentType

    from .models import StatusChange

    return StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(type(obj)), object_id=obj.pk, field=field
    ).select_related("by")


def time_in_states(model, *, field: str = "status", object_ids=None, now=None) -> dict:
    """Total time spent in each state over a flow's log, as one SQL aggregate.

    Each change is paired with the next change of the same object (a correlated sub-query served
    by statuschange_object_idx); the last state runs until `now`. Returns {state: timedelta}.
    """
    from django.contrib.contenttypes.models import ContentType
    from django.db.models import DateTimeField, DurationField, F, OuterRef, Q, Subquery, Sum, Value
    from django.db.models.functions import Coalesce
    from django.utils import timezone

    from .models import StatusChange

    now = now or timezone.now()
    log = StatusChange.objects.filter(
        content_type=ContentType.objects.get_for_model(model), field=field
    )
    if object_ids is not None:
        log = log.filter(object_id__in=object_ids)
    following = (
        StatusChange.objects.filter(
            content_type=OuterRef("content_type"),
            object_id=OuterRef("object_id"),
            field=OuterRef("field"),
        )
        .filter(Q(at__gt=OuterRef("at")) | Q(at=OuterRef("at"), pk__gt=OuterRef("pk")))
        .order_by("at", "pk")
        .values("at")[:1]
    )
    rows = (
        log.annotate(
            until=Coalesce(
                Subquery(following, output_field=DateTimeField()),
                Value(now, output_field=DateTimeField()),
            )
        )
        .values("to_state")
        .annotate(spent=Sum(F("until") - F("at"), output_field=DurationField()))
        .order_by()
    )
    return {row["to_state"]: row["spent"] for row in rows}


def rate(part: int, whole: int) -> float | None:
    """A KPI's share, rounded to 4 places; None for a zero divisor, which pages show as "—"
    (never 0%): callback rates, the complaint recovery rate and the dashboards use it."""
    return round(part / whole, 4) if whole else None
