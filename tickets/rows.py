"""The record list's rows, read as plain values rather than model instances.

A page of 25 records through select_related builds five model instances per row and compiles
three CASE annotations for the due state; together that was most of the list's time at any scale
(bench/where_time_goes.py). The rows read only the columns the list shows, and the due state is
worked out here from those columns by `due_state`, the same rule as selectors.with_due_state
(tests/tickets/test_record_rows.py holds the two equal on every combination).
"""

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime

from servicedesk.core.choices import label
from servicedesk.core.models import bilingual
from servicedesk.core.users import person_name, person_of

from .models import ACTIVE_STATUSES, ServiceRecord
from .selectors import DUE_SOON

ROW_FIELDS = (
    "id",
    "subject",
    "stage",
    "priority",
    "status",
    "first_response_due",
    "first_responded_at",
    "resolution_due",
    "resolved_at",
    "customer__name",
    "category__name_en",
    "category__name_zh",
    "lead_department__name_en",
    "lead_department__name_zh",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
)


def due_state(values: Mapping, now) -> str:
    """selectors.with_due_state's due_state for one record read as values: "breached"
    (resolution), "response_late", "due_soon", "running", or "" once it is no longer running."""
    status = values["status"]
    first_response_due, first_responded_at = (
        values["first_response_due"],
        values["first_responded_at"],
    )
    resolution_due, resolved_at = values["resolution_due"], values["resolved_at"]
    if status not in ACTIVE_STATUSES:
        return ""
    response_open = first_responded_at is None and first_response_due is not None
    resolution_open = resolved_at is None and resolution_due is not None
    if resolution_open and resolution_due < now:
        return "breached"
    if response_open and first_response_due < now:
        return "response_late"
    soon = now + DUE_SOON
    if (response_open and now <= first_response_due < soon) or (
        resolution_open and now <= resolution_due < soon
    ):
        return "due_soon"
    return "running"


def target_state(due, met, status: str, now) -> str:
    """selectors.with_due_state's response_state / resolution_state for one target read as
    values: "met", "late" (met after the due time), "stopped" (no longer running), "breached",
    "due_soon", "running", or "" (no target)."""
    if due is None:
        return ""
    if met is not None:
        return "met" if met <= due else "late"
    if status not in ACTIVE_STATUSES:
        return "stopped"
    if due < now:
        return "breached"
    if due < now + DUE_SOON:
        return "due_soon"
    return "running"


@dataclass(slots=True)
class RecordRow:
    pk: int
    subject: str
    stage: str
    priority: str
    status: str
    customer_name: str
    category_name: str
    department_name: str
    assignee_name: str
    resolution_due: datetime | None
    due_state: str

    @property
    def reference(self) -> str:
        return ServiceRecord.reference_of(self.pk)


def record_row(values: dict, now) -> RecordRow:
    return RecordRow(
        pk=values["id"],
        subject=values["subject"],
        stage=label(ServiceRecord, "stage", values["stage"]),
        priority=label(ServiceRecord, "priority", values["priority"]),
        status=label(ServiceRecord, "status", values["status"]),
        customer_name=values["customer__name"],
        category_name=bilingual(values["category__name_en"], values["category__name_zh"]),
        department_name=bilingual(
            values["lead_department__name_en"], values["lead_department__name_zh"]
        ),
        assignee_name=person_name(
            values["assignee__first_name"],
            values["assignee__last_name"],
            values["assignee__username"],
        ),
        resolution_due=values["resolution_due"],
        due_state=due_state(values, now),
    )


# --- the 360° page -------------------------------------------------------------------------------

CUSTOMER_ROW_FIELDS = (
    "id",
    "subject",
    "status",
    "created_at",
    "category__name_en",
    "category__name_zh",
    "created_by__first_name",
    "created_by__last_name",
    "created_by__username",
)


@dataclass(slots=True)
class CustomerRecordRow:
    """One of a customer's records as the 360° page's panel and timeline show it."""

    pk: int
    subject: str
    status: str
    created_at: datetime
    category_name: str
    created_by_name: str

    @property
    def reference(self) -> str:
        return ServiceRecord.reference_of(self.pk)


def customer_record_row(values: dict) -> CustomerRecordRow:
    return CustomerRecordRow(
        pk=values["id"],
        subject=values["subject"],
        status=label(ServiceRecord, "status", values["status"]),
        created_at=values["created_at"],
        category_name=bilingual(values["category__name_en"], values["category__name_zh"]),
        created_by_name=person_of(values, "created_by"),
    )
