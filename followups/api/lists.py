"""The callback visits' API list read as values (servicedesk.core.api.lean): the same items as
VisitOutputSerializer gives for those rows, held equal by tests/followups/test_api_fast.py."""

from servicedesk.core.api.lean import (
    Shape,
    department_columns,
    department_of,
    user_columns,
    user_of,
)
from servicedesk.core.jinja_env import id_url
from tickets.models import ServiceRecord

from ..models import CallbackVisit, visit_timing
from ..rows import phones_of
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


def visit_items(rows: list[dict], now) -> list[dict]:
    """VisitOutputSerializer's items for rows of VISIT_COLUMNS, with their timing at `now`
    (CallbackVisit.timing's rule on the row's columns)."""
    phones = phones_of({r["customer__id"] for r in rows}) if rows else {}
    detail = id_url("followups:detail")  # as get_absolute_url, reversed once a page
    for row in rows:
        pk = row["id"]
        timing = visit_timing(
            status=row["status"], due_at=row["due_at"], window_end=row["window_end"], now=now
        )
        row["reference"] = CallbackVisit.reference_of(pk)
        row["customer"] = {"id": row["customer__id"], "name": row["customer__name"]}
        # The first of the primary phones (value, as shown), as the serializer answers it.
        row["phone"] = next(iter(phones.get(row["customer__id"], ())), (None,))[0]
        row["timing"] = timing
        row["department"] = department_of(row, "department")
        row["assignee"] = user_of(row, "assignee")
        row["source_record"] = _record_ref(row["source_record"])
        row["new_issue_record"] = _record_ref(row["new_issue_record"])
        row["new_need_record"] = _record_ref(row["new_need_record"])
        row["url"] = detail(pk)
    return VISIT_SHAPE.items(rows)
