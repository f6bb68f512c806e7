"""The callback visits' API list read as values (servicedesk.core.api.lean): the same items as
VisitOutputSerializer gives for those rows, held equal by tests/followups/test_api_fast.py."""

from customers.models import ContactPoint
from servicedesk.core.api.lean import (
    Shape,
    department_columns,
    department_of,
    user_columns,
    user_of,
)
from tickets.models import ServiceRecord

from ..models import VisitStatus
from .serializers import VisitOutputSerializer

VISIT_SHAPE = Shape(
    VisitOutputSerializer,
    computed=(
        "reference",
        "customer",
        "phone",
        "timing",
        "department",
        "assignee",
        "source_record",
        "new_issue_record",
        "new_need_record",
        "url",
    ),
)
VISIT_COLUMNS = (
    "id",
    "purpose",
    "method",
    "status",
    "due_at",
    "window_end",
    "attempts",
    "address",
    "reached",
    "reached_person",
    "product_state",
    "questions_answered",
    "satisfaction",
    "expectation",
    "notes",
    "completed_at",
    "created_at",
    "updated_at",
    "version",
    "customer__id",
    "customer__name",
    "source_record",
    "new_issue_record",
    "new_need_record",
    *department_columns("department"),
    *user_columns("assignee"),
)


def _record_ref(pk) -> dict | None:
    # serializers.record_ref's answer, without a model instance per link.
    return None if pk is None else {"id": pk, "reference": ServiceRecord.reference_of(pk)}


def _phones(customer_ids) -> dict[int, str]:
    # followups.selectors.with_list_data's prefetch: the primary contact's primary phones, in
    # ContactPoint's order; a row shows the first.
    rows = (
        ContactPoint.objects.filter(
            customer_id__in=customer_ids, is_primary=True, contact__is_primary=True, kind="phone"
        )
        .order_by("kind", "-is_primary", "pk")
        .values_list("customer_id", "value")
    )
    first = {}
    for customer_id, value in rows:
        first.setdefault(customer_id, value)
    return first


def visit_items(rows: list[dict], now) -> list[dict]:
    """VisitOutputSerializer's items for rows of VISIT_COLUMNS, with their timing at `now`
    (CallbackVisit.timing's rule on the row's columns)."""
    from django.urls import reverse

    phones = _phones({r["customer__id"] for r in rows}) if rows else {}
    # The visit's page, as get_absolute_url: reversed once, the key written in per row.
    detail = reverse("followups:detail", args=[0])
    base = detail.removesuffix("0/")
    for row in rows:
        pk = row["id"]
        status = row["status"]
        if status != VisitStatus.SCHEDULED:
            timing = status
        elif now < row["due_at"]:
            timing = "upcoming"
        else:
            timing = "due" if now < row["window_end"] else "overdue"
        row["reference"] = f"CV-{pk:06d}"
        row["customer"] = {"id": row["customer__id"], "name": row["customer__name"]}
        row["phone"] = phones.get(row["customer__id"])
        row["timing"] = timing
        row["department"] = department_of(row, "department")
        row["assignee"] = user_of(row, "assignee")
        row["source_record"] = _record_ref(row["source_record"])
        row["new_issue_record"] = _record_ref(row["new_issue_record"])
        row["new_need_record"] = _record_ref(row["new_need_record"])
        row["url"] = f"{base}{pk}/"
    return VISIT_SHAPE.items(rows)
