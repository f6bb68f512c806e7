"""Reads for service records. Visibility is applied here, in the querysets, for pages and API."""

from datetime import timedelta

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet
from django.utils import timezone

from servicedesk.core.roles import Role, user_role
from servicedesk.core.selectors import user_department_ids

from .models import (
    ACTIVE_STATUSES,
    RecordAttachment,
    RecordMessage,
    ServiceCategory,
    ServiceRecord,
)

# A target is "due soon" when it falls within this window; tickets code owns the default.
DUE_SOON = timedelta(hours=4)

LIST_RELATED = ("customer", "category", "lead_department", "assignee")


def _collaborates(department_ids) -> Exists:
    # Exists, not a join: a join on the M2M would repeat a record once per collaborating department.
    through = ServiceRecord.collaborating_departments.through
    return Exists(
        through.objects.filter(servicerecord_id=OuterRef("pk"), department_id__in=department_ids)
    )


def record_visible(user) -> QuerySet[ServiceRecord]:
    """Records the user may see: administrators all; others their departments' and their own."""
    qs = ServiceRecord.objects.all()
    role = user_role(user)
    if role == Role.ADMINISTRATOR:
        return qs
    if role is None:
        return qs.none()
    depts = user_department_ids(user)
    return qs.filter(Q(lead_department_id__in=depts) | _collaborates(depts) | Q(assignee=user))


def _running() -> Q:
    return Q(status__in=ACTIVE_STATUSES)


def breached_q(now=None) -> Q:
    """A running record past a target it has not met. Served by the partial due-time indexes."""
    now = now or timezone.now()
    return _running() & (
        Q(first_responded_at__isnull=True, first_response_due__lt=now) | Q(resolution_due__lt=now)
    )


def due_soon_q(now=None) -> Q:
    now = now or timezone.now()
    soon = now + DUE_SOON
    return _running() & (
        Q(first_responded_at__isnull=True, first_response_due__gte=now, first_response_due__lt=soon)
        | Q(resolution_due__gte=now, resolution_due__lt=soon)
    )


def record_list(*, user, filters: dict | None = None) -> QuerySet[ServiceRecord]:
    """The list's rows; filtering is done by tickets.filters.RecordFilter on top of this."""
    return record_visible(user).select_related(*LIST_RELATED).order_by("-created_at", "-pk")


def record_get(*, user, pk: int) -> ServiceRecord:
    """One visible record with everything its page shows, in a fixed number of queries."""
    from customers.models import Contact

    return (
        record_visible(user)
        .select_related(*LIST_RELATED, "contact", "created_by", "customer__owner")
        .prefetch_related(
            "collaborating_departments",
            Prefetch("messages", queryset=RecordMessage.objects.select_related("author")),
            Prefetch(
                "attachments", queryset=RecordAttachment.objects.select_related("uploaded_by")
            ),
            Prefetch(
                "customer__contacts",
                queryset=Contact.objects.prefetch_related("points"),
            ),
        )
        .get(pk=pk)
    )


def record_history(record):
    from servicedesk.core.audit import history_entries

    return history_entries(
        record.history.all(), exclude_fields=("updated_at", "version", "created_at")
    )


def my_work(user, *, limit: int = 10) -> dict:
    """The My work panel: five bounded lists, one query each (plus one for the user's departments).

    Each filter is backed by an index on ServiceRecord (see its Meta.indexes).
    """
    now = timezone.now()
    depts = user_department_ids(user)
    base = ServiceRecord.objects.select_related(*LIST_RELATED)
    mine = Q(assignee=user) | Q(lead_department_id__in=depts)
    return {
        # record_assignee_status_idx
        "assigned": list(
            base.filter(assignee=user, status__in=ACTIVE_STATUSES).order_by("resolution_due", "pk")[
                :limit
            ]
        ),
        # record_dept_status_idx
        "unassigned": list(
            base.filter(
                lead_department_id__in=depts, assignee__isnull=True, status__in=ACTIVE_STATUSES
            ).order_by("created_at", "pk")[:limit]
        ),
        "department": list(
            base.filter(lead_department_id__in=depts, status__in=ACTIVE_STATUSES).order_by(
                "-created_at", "-pk"
            )[:limit]
        ),
        # record_resolution_due_idx / record_first_response_due_idx (partial, running only)
        "due_soon": list(base.filter(mine & due_soon_q(now)).order_by("resolution_due")[:limit]),
        "breached": list(base.filter(mine & breached_q(now)).order_by("resolution_due")[:limit]),
        "now": now,
    }


def category_list(*, stage: str | None = None, active_only: bool = True):
    qs = ServiceCategory.objects.select_related("lead_department").prefetch_related(
        "collaborating_departments"
    )
    if active_only:
        qs = qs.filter(is_active=True)
    if stage:
        qs = qs.filter(stage=stage)
    return qs


def customer_records(customer, *, user, limit: int = 20) -> list[ServiceRecord]:
    """The customer's records that this user may see (the 360° page applies record visibility)."""
    return list(
        record_visible(user)
        .filter(customer=customer)
        .select_related("category", "lead_department", "assignee")
        .order_by("-created_at", "-pk")[:limit]
    )


def department_assignable_users(department_ids):
    """Active members of these departments, for assignment choices."""
    from django.contrib.auth import get_user_model

    return (
        get_user_model()
        .objects.filter(is_active=True, department_memberships__department_id__in=department_ids)
        .distinct()
        .order_by("username")
    )


def target_state(record, now=None) -> dict:
    """Countdown facts for one record's targets: 'met', 'breached', 'due_soon' or 'running'."""
    now = now or timezone.now()

    def state(due, met_at):
        if due is None:
            return None
        if met_at is not None:
            return {"due": due, "state": "met" if met_at <= due else "late", "left": None}
        if record.status not in ACTIVE_STATUSES:
            return {"due": due, "state": "stopped", "left": None}
        left = due - now
        if left.total_seconds() < 0:
            return {"due": due, "state": "breached", "left": -left}
        return {"due": due, "state": "due_soon" if left <= DUE_SOON else "running", "left": left}

    return {
        "first_response": state(record.first_response_due, record.first_responded_at),
        "resolution": state(record.resolution_due, record.resolved_at),
    }
