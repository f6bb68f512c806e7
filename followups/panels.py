"""What followups contributes to other apps' pages: My work, the customer 360° page, the record."""

import functools
from dataclasses import dataclass, field
from datetime import UTC, datetime

from django.contrib.postgres.expressions import ArraySubquery
from django.db import connection
from django.db.models import OuterRef
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.models import ContactPoint
from customers.rows import phone_text
from customers.timeline import TimelineEntry
from servicedesk.core.choices import label
from servicedesk.core.selectors import user_department_ids
from servicedesk.core.users import display_name
from tickets.models import ServiceRecord

from . import selectors
from .models import CallbackVisit, VisitStatus, visit_timing
from .rows import RowScope, phones_of

PANEL_ROWS = 10

# The columns a panel row shows (templates/jinja2/followups/panel_my_work.html): the lists'
# rows (followups.rows) without the record's subject and the assignee, which the panel leaves out.
PANEL_FIELDS = (
    "id",
    "due_at",
    "window_end",
    "status",
    "attempts",
    "purpose",
    "method",
    "assignee_id",
    "customer_id",
    "customer__name",
    "source_record_id",
)


@dataclass(slots=True)
class PanelRow:
    pk: int
    due_at: datetime
    due_at_iso: str  # as Django's |date:"c"
    due_at_text: str  # as Django's |date:"SHORT_DATETIME_FORMAT", in the user's zone
    timing: str
    attempts: int
    purpose: str
    method: str
    customer_id: int
    customer_name: str
    source_record_id: int | None
    # (value, as shown) of the customer's primary phones (followups.rows.phones_of)
    phones: list = field(default_factory=list)

    @property
    def reference(self) -> str:
        return CallbackVisit.reference_of(self.pk)

    @property
    def source_record_reference(self) -> str:
        return ServiceRecord.reference_of(self.source_record_id) if self.source_record_id else ""


def panel_row(values: dict, scope: RowScope) -> PanelRow:
    due_local = values["due_at"].astimezone(scope.zone)
    return PanelRow(
        pk=values["id"],
        due_at=values["due_at"],
        due_at_iso=due_local.isoformat(),
        due_at_text=scope.short_datetime(due_local),
        timing=visit_timing(
            status=values["status"],
            due_at=values["due_at"],
            window_end=values["window_end"],
            now=scope.now,
        ),
        attempts=values["attempts"],
        purpose=label(CallbackVisit, "purpose", values["purpose"], scope.language),
        method=label(CallbackVisit, "method", values["method"], scope.language),
        customer_id=values["customer_id"],
        customer_name=values["customer__name"],
        source_record_id=values["source_record_id"],
    )


def panel_lists(user_id: int, department_ids: list[int], until: datetime, phones=False) -> tuple:
    """The two lists as selectors.agent_callbacks reads them (the same filters, each the walk of
    its partial index: visit_assignee_due_idx, visit_queue_due_idx), as values of PANEL_FIELDS
    (tests/followups/test_panels.py holds them equal to agent_callbacks); with `phones` (on
    PostgreSQL), each row's customer's primary phones too, as followups.rows.phones_of reads
    them."""
    scheduled = CallbackVisit.objects.filter(status=VisitStatus.SCHEDULED, due_at__lt=until)
    mine = scheduled.filter(assignee_id=user_id)
    queue = scheduled.filter(assignee__isnull=True, department_id__in=department_ids)
    fields = PANEL_FIELDS
    if phones:
        primary_phones = ContactPoint.objects.filter(
            customer_id=OuterRef("customer_id"),
            is_primary=True,
            contact__is_primary=True,
            kind="phone",
        )
        phone_list = ArraySubquery(primary_phones.order_by("pk").values("value"))
        mine, queue = (qs.annotate(phones=phone_list) for qs in (mine, queue))
        fields = (*PANEL_FIELDS, "phones")
    return tuple(qs.order_by("due_at", "id").values(*fields)[:PANEL_ROWS] for qs in (mine, queue))


# As tickets.panels: the union's SQL is the same for every user with as many departments, and
# building it through the ORM cost more CPU than running it; so it is compiled once per
# department count with these stand-ins, which each request swaps for its own.
_USER = -1
_UNTIL = datetime(1901, 1, 1, tzinfo=UTC)


def _department_stand_in(i: int) -> int:
    return -2 - i


@functools.lru_cache(maxsize=16)
def _panel_sql(department_count: int) -> tuple[str, tuple]:
    departments = [_department_stand_in(i) for i in range(department_count)]
    mine, queue = panel_lists(_USER, departments, _UNTIL, phones=True)
    # With no department the queue is empty: Django leaves it out of the union.
    return mine.union(queue, all=True).query.sql_with_params()


def panel_values(user_id: int, department_ids: list[int], until: datetime) -> list[dict]:
    """Both lists' values and their customers' phones in one query (a UNION ALL of the two
    index walks)."""
    sql, params = _panel_sql(len(department_ids))
    swap = {_USER: user_id, _UNTIL: until}
    swap.update((_department_stand_in(i), d) for i, d in enumerate(department_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, [swap.get(p, p) for p in params])
        return [dict(zip((*PANEL_FIELDS, "phones"), r, strict=True)) for r in cursor.fetchall()]


def my_work_panel(user) -> dict:
    """Today's callbacks: the agent's own due by tonight (late ones first) and the queue's, in
    one query (both lists and their customers' phones)."""
    now = timezone.now()
    until = selectors.end_of_today(now)
    department_ids = user_department_ids(user)
    if connection.features.supports_slicing_ordering_in_compound:
        values = panel_values(user.pk, department_ids, until)
        phones = {v["customer_id"]: [(p, phone_text(p)) for p in v["phones"]] for v in values}
    else:
        # SQLite (`make run`) allows no LIMIT inside a UNION, nor arrays: a query per list, and
        # one for the phones.
        mine, queue = panel_lists(user.pk, department_ids, until)
        values = [*mine, *queue]
        phones = phones_of(v["customer_id"] for v in values) if values else {}
    lists: dict[str, list[PanelRow]] = {"mine": [], "queue": []}
    scope = RowScope.current(now)
    for v in sorted(values, key=lambda v: (v["due_at"], v["id"])):
        row = panel_row(v, scope)
        row.phones = phones.get(row.customer_id, [])
        lists["queue" if v["assignee_id"] is None else "mine"].append(row)
    return lists


def customer_section(customer, user) -> dict:
    return {"visits": selectors.customer_visits(customer, user)}


def record_section(record, user) -> dict:
    return {"visits": selectors.record_visits(record, user)}


def customer_timeline(customer, limit: int, user):
    """Each visit once, at its completion if done, else at its due time."""
    rows = (
        selectors.visit_visible(user)
        .filter(customer=customer)
        .select_related("assignee", "completed_by")
        .order_by("-due_at", "-id")[:limit]
    )
    # Sorted by the time shown, so the merge with the other sources stays newest first.
    for v in sorted(rows, key=lambda v: v.completed_at or v.due_at, reverse=True):
        detail = v.get_status_display()
        if v.satisfaction:
            detail += " · " + _("satisfaction %(n)s/5") % {"n": v.satisfaction}
        yield TimelineEntry(
            when=v.completed_at or v.due_at,
            kind="callback",
            title=_("%(ref)s %(purpose)s, %(method)s")
            % {
                "ref": v.reference,
                "purpose": v.get_purpose_display(),
                "method": v.get_method_display(),
            },
            url=v.get_absolute_url(),
            actor=display_name(v.completed_by or v.assignee),
            detail=detail,
        )
