"""The callback lists' rows, read as plain values rather than model instances.

A row of the lists (today's, the week's, a calendar day's, the manager's late ones) was a visit
with its customer, record, assignee and department built as model instances, then rendered by an
include of Django templates; that was most of the page's time (bench/where_time_goes.py). The rows
read only the columns they show, work out the timing badge here (`timing`, the model's
CallbackVisit.timing, held equal to it by tests/followups/test_visit_rows.py) and are rendered by
Jinja2 (templates/jinja2/followups/visit_rows.html), as the record list's are (tickets.rows).
"""

import unicodedata
from dataclasses import dataclass, field
from datetime import datetime

from django.template.defaultfilters import truncatechars
from django.utils import timezone, translation

from customers.models import ContactPoint
from customers.rows import phone_text
from servicedesk.core import datefmt
from servicedesk.core.choices import label
from servicedesk.core.users import person_of
from tickets.models import ServiceRecord

from .models import CallbackVisit, visit_timing

ROW_FIELDS = (
    "id",
    "due_at",
    "window_end",
    "status",
    "attempts",
    "purpose",
    "method",
    "version",
    "satisfaction",
    "customer_id",
    "customer__name",
    "source_record_id",
    "source_record__subject",
    "assignee_id",
    "assignee__first_name",
    "assignee__last_name",
    "assignee__username",
)


@dataclass(slots=True)
class VisitRow:
    pk: int
    due_at: datetime
    due_at_iso: str  # as Django's |date:"c"
    due_at_text: str  # as Django's |date:"SHORT_DATETIME_FORMAT", in the user's zone
    timing: str
    status: str
    status_label: str
    attempts: int
    purpose: str
    method: str
    version: int
    satisfaction: int | None
    customer_id: int
    customer_name: str
    source_record_id: int | None
    source_record_subject: str
    assignee_id: int | None
    assignee_name: str
    # (value, as shown) of the customer's primary phones: with_phones fills them in.
    phones: list = field(default_factory=list)

    @property
    def reference(self) -> str:
        return CallbackVisit.reference_of(self.pk)

    @property
    def source_record_reference(self) -> str:
        return ServiceRecord.reference_of(self.source_record_id) if self.source_record_id else ""


SUBJECT_CHARS = 60


def short_subject(text: str) -> str:
    """As |truncatechars:60, whose Truncator (a lazy object, a translated ellipsis) cost more than
    the rest of a row: a subject already short and NFC-normalised is returned as it is, which is
    what truncatechars returns for it; any other goes through truncatechars."""
    if len(text) <= SUBJECT_CHARS and unicodedata.is_normalized("NFC", text):
        return text
    return truncatechars(text, SUBJECT_CHARS)


@dataclass(frozen=True, slots=True)
class RowScope:
    """What every row of a page shares, asked for once: the time, the user's zone and language,
    the date format (per row they were a fifth of the rows' time)."""

    now: datetime
    zone: object
    language: str
    short_datetime: object

    @classmethod
    def current(cls, now: datetime) -> "RowScope":
        language = translation.get_language() or ""
        return cls(
            now=now,
            zone=timezone.get_current_timezone(),
            language=language,
            short_datetime=datefmt.formatter("SHORT_DATETIME_FORMAT", language),
        )


def visit_row(values: dict, now: "datetime | RowScope") -> VisitRow:
    scope = now if isinstance(now, RowScope) else RowScope.current(now)
    status = values["status"]
    language = scope.language
    due_local = values["due_at"].astimezone(scope.zone)
    return VisitRow(
        pk=values["id"],
        due_at=values["due_at"],
        due_at_iso=due_local.isoformat(),
        due_at_text=scope.short_datetime(due_local),
        timing=visit_timing(
            status=status, due_at=values["due_at"], window_end=values["window_end"], now=scope.now
        ),
        status=status,
        status_label=label(CallbackVisit, "status", status, language),
        attempts=values["attempts"],
        purpose=label(CallbackVisit, "purpose", values["purpose"], language),
        method=label(CallbackVisit, "method", values["method"], language),
        version=values["version"],
        satisfaction=values["satisfaction"],
        customer_id=values["customer_id"],
        customer_name=values["customer__name"],
        source_record_id=values["source_record_id"],
        source_record_subject=short_subject(values["source_record__subject"] or ""),
        assignee_id=values["assignee_id"],
        assignee_name=person_of(values, "assignee"),
    )


def values_of(visit: CallbackVisit) -> dict:
    """ROW_FIELDS of a visit already read as a model (an htmx row after visit_get), so the one
    row template serves it too without reading the visit again."""

    def walk(name: str):
        obj = visit
        for part in name.split("__"):
            obj = getattr(obj, "pk" if part == "id" else part) if obj is not None else None
        return obj

    return {name: walk(name) for name in ROW_FIELDS}


def phones_of(customer_ids) -> dict[int, list]:
    """{customer id: [(value, shown)]} of the customers' primary phones, in one query: as
    selectors.with_list_data's prefetch (the primary contact's primary phone)."""
    phones: dict[int, list] = {}
    points = (
        ContactPoint.objects.filter(
            customer_id__in=set(customer_ids),
            is_primary=True,
            contact__is_primary=True,
            kind="phone",
        )
        .order_by("pk")
        .values_list("customer_id", "value")
    )
    for customer_id, value in points:
        phones.setdefault(customer_id, []).append((value, phone_text(value)))
    return phones


def with_phones(*lists) -> None:
    """Fill in the phones of every row of the given lists (or window pages), with one query for
    all of them."""
    rows = [row for rows in lists for row in rows]
    if not rows:
        return
    phones = phones_of(row.customer_id for row in rows)
    for row in rows:
        row.phones = phones.get(row.customer_id, [])


def instance_row(visit: CallbackVisit, now: datetime) -> VisitRow:
    """The row of a visit read by selectors.visit_get (its customer's primary_phones prefetched)."""
    row = visit_row(values_of(visit), now)
    row.phones = [(point.value, phone_text(point.value)) for point in visit.customer.primary_phones]
    return row
