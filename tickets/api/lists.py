"""The records' and complaints' API lists read as values (servicedesk.core.api.lean): the same
items as RecordOutputSerializer / ComplaintOutputSerializer give for those rows, held equal by
tests/tickets/test_api_fast.py."""

from collections import defaultdict

from servicedesk.core.api.lean import (
    Shape,
    department_columns,
    department_of,
    department_ref,
    user_columns,
    user_of,
)

from ..complaints.models import ComplaintAction, ComplaintStepEntry, step_due
from ..models import ServiceRecord
from ..rows import due_state
from .complaints import ActionSerializer, ComplaintOutputSerializer, EntrySerializer
from .serializers import RecordOutputSerializer

# --- service records -----------------------------------------------------------------------------

RECORD_SHAPE = Shape(
    RecordOutputSerializer,
    computed=(
        "reference",
        "customer",
        "category",
        "lead_department",
        "collaborating_departments",
        "assignee",
        "breached",
        "due_state",
    ),
)
RECORD_COLUMNS = (
    "id",
    "contact",
    "stage",
    "nature",
    "place",
    "fee",
    "fee_amount",
    "frequency",
    "duration",
    "subject",
    "description",
    "priority",
    "status",
    "agreed_date",
    "first_response_due",
    "resolution_due",
    "first_responded_at",
    "resolved_at",
    "closed_at",
    "created_at",
    "updated_at",
    "version",
    "customer__id",
    "customer__name",
    "customer__management_tier",
    "category__code",
    *department_columns("lead_department"),
    *user_columns("assignee"),
)


def collaborating_departments(record_ids) -> dict[int, list[dict]]:
    """Each record's collaborating departments, in Department's order (name_en), as refs."""
    through = ServiceRecord.collaborating_departments.through
    rows = (
        through.objects.filter(servicerecord_id__in=record_ids)
        .order_by("department__name_en", "department_id")
        .values_list("servicerecord_id", *department_columns("department"))
    )
    found = defaultdict(list)
    for record_id, *department in rows:
        found[record_id].append(department_ref(*department))
    return found


def record_items(rows: list[dict], now) -> list[dict]:
    """RecordOutputSerializer's items for rows of RECORD_COLUMNS; the due state by the rule of
    selectors.with_due_state, worked out per row (tickets.rows.due_state, held equal to it)."""
    departments = collaborating_departments([r["id"] for r in rows]) if rows else {}
    for row in rows:
        state = due_state(row, now)
        row["reference"] = ServiceRecord.reference_of(row["id"])
        row["customer"] = {
            "id": row["customer__id"],
            "name": row["customer__name"],
            "management_tier": row["customer__management_tier"],
        }
        row["category"] = row["category__code"]
        row["lead_department"] = department_of(row, "lead_department")
        row["collaborating_departments"] = departments.get(row["id"], [])
        row["assignee"] = user_of(row, "assignee")
        row["breached"] = state in ("breached", "response_late")
        row["due_state"] = state
    return RECORD_SHAPE.items(rows)


def record_item(qs, pk: int, now) -> dict | None:
    """One record's item (as record_items gives it) if `qs` holds it, else None."""
    rows = list(qs.filter(pk=pk).values(*RECORD_COLUMNS))
    return record_items(rows, now)[0] if rows else None


# --- complaints ----------------------------------------------------------------------------------

ENTRY_SHAPE = Shape(EntrySerializer, computed=("by",))
ENTRY_COLUMNS = (
    "complaint_id",
    "step",
    "round",
    "data",
    "started_at",
    "taken_at",
    "version",
    *user_columns("by"),
)
ACTION_SHAPE = Shape(ActionSerializer, computed=("owner",))
ACTION_COLUMNS = (
    "complaint_id",
    "id",
    "round",
    "description",
    "due_date",
    "record",
    "done_at",
    "told_at",
    "original_due_date",
    *user_columns("owner"),
)
COMPLAINT_SHAPE = Shape(
    ComplaintOutputSerializer,
    computed=(
        "record",
        "customer",
        "about_record",
        "responsible_department",
        "steps",
        "actions",
    ),
)
_RECORD_REF = ("id", "reference", "subject", "stage")
COMPLAINT_COLUMNS = (
    "id",
    "channel",
    "severity",
    "wants_manager",
    "step",
    "step_since",
    "outcome",
    "close_reason",
    "closed_at",
    "version",
    "created_at",
    "record__id",
    "record__subject",
    "record__stage",
    "record__customer__id",
    "record__customer__name",
    "about_record__id",
    "about_record__subject",
    "about_record__stage",
    *department_columns("responsible_department"),
)


def _record_ref(row, prefix) -> dict | None:
    pk = row[f"{prefix}__id"]
    if pk is None:
        return None
    return {
        "id": pk,
        "reference": ServiceRecord.reference_of(pk),
        "subject": row[f"{prefix}__subject"],
        "stage": row[f"{prefix}__stage"],
    }


def _children(model, columns, shape, prefix, complaint_ids) -> dict[int, list[dict]]:
    rows = list(model.objects.filter(complaint_id__in=complaint_ids).values(*columns))
    for row in rows:
        row[prefix] = user_of(row, prefix)
    found = defaultdict(list)
    for row, item in zip(rows, shape.items(rows), strict=True):
        found[row["complaint_id"]].append(item)
    return found


def complaint_items(rows: list[dict]) -> list[dict]:
    """ComplaintOutputSerializer's items for rows of COMPLAINT_COLUMNS, with their steps and
    actions in their models' order (two queries, as the prefetches did)."""
    ids = [r["id"] for r in rows]
    entries = _children(ComplaintStepEntry, ENTRY_COLUMNS, ENTRY_SHAPE, "by", ids) if ids else {}
    actions = _children(ComplaintAction, ACTION_COLUMNS, ACTION_SHAPE, "owner", ids) if ids else {}
    for row in rows:
        row["record"] = _record_ref(row, "record")
        row["customer"] = {"id": row["record__customer__id"], "name": row["record__customer__name"]}
        row["about_record"] = _record_ref(row, "about_record")
        row["responsible_department"] = department_of(row, "responsible_department")
        row["steps"] = entries.get(row["id"], [])
        row["actions"] = actions.get(row["id"], [])
        row["step_due_at"] = step_due(row["step"], row["step_since"])
    return COMPLAINT_SHAPE.items(rows)
