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
