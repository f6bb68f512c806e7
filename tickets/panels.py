"""What tickets contributes to other apps' pages: the My work panel and the customer 360° page."""

import functools
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db import connection
from django.db.models import F, Q, Value
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.timeline import TimelineEntry
from servicedesk.core.choices import label
from servicedesk.core.models import bilingual
from servicedesk.core.selectors import user_department_ids
from servicedesk.core.users import person_of

from . import selectors
from .models import ACTIVE_STATUSES, ServiceRecord
from .rows import ROW_FIELDS, due_state

PANEL_ROWS = 10

# The columns a panel row shows (templates/jinja2/tickets/panel_my_work.html): the record list's
# (tickets.rows.ROW_FIELDS, due times included) without the stage, priority and department.
PANEL_FIELDS = tuple(
    f
    for f in ROW_FIELDS
    if f not in ("stage", "priority", "lead_department__name_en", "lead_department__name_zh")
)

# next_due's "never": a target already met, or none, is never what makes a record urgent.
NEVER = datetime.max.replace(tzinfo=UTC)


@dataclass(slots=True)
class PanelRow:
    """A record as a panel shows it: the record list's row (tickets.rows.RecordRow) without the
    columns the panel leaves out (stage, priority, department)."""

    pk: int
    subject: str
    status: str
    customer_name: str
    category_name: str
    assignee_name: str
    resolution_due: datetime | None
    due_state: str

    @property
    def reference(self) -> str:
        return ServiceRecord.reference_of(self.pk)


def panel_row(values: dict, now) -> PanelRow:
    return PanelRow(
        pk=values["id"],
        subject=values["subject"],
        status=label(ServiceRecord, "status", values["status"]),
        customer_name=values["customer__name"],
        category_name=bilingual(values["category__name_en"], values["category__name_zh"]),
        assignee_name=person_of(values, "assignee"),
        resolution_due=values["resolution_due"],
        due_state=due_state(values, now),
    )


def next_due(values: dict) -> datetime:
    """selectors.next_due for one record: the earliest target it has still to meet."""
    response = values["first_response_due"] if values["first_responded_at"] is None else None
    resolution = values["resolution_due"] if values["resolved_at"] is None else None
    return min(response or NEVER, resolution or NEVER)


def _branch(qs, panel: str, key, order: tuple[str, ...]):
    """One panel's first PANEL_ROWS ids, tagged with the panel and the key it is ordered by."""
    return (
        qs.annotate(panel=Value(panel), key=key)
        .order_by(*order)
        .values_list("pk", "panel", "key")[:PANEL_ROWS]
    )


def panel_branches(user_id: int, department_ids: list[int], now) -> list:
    """The panels as ordered, limited id lists, each the shape of one partial index on
    ServiceRecord (its Meta.indexes) so its cost follows the panel, not the table;
    tests/tickets/test_panels_plans.py pins each plan on PostgreSQL.

    "Breached" is two walks, one per target, each ordered by that target's due time: a record's
    next_due is the due time of the target that put it among the breached, and every record
    ahead of it on that target's walk is at least as urgent, so the panel's first rows are among
    the first rows of the two walks. (One walk ordered by next_due cannot use an index: it read
    and sorted every breached record of the departments.) "Due soon" is bounded by its window:
    one bitmap read of the two due-time ranges, ordered by next_due.
    """
    records = ServiceRecord.objects.all()
    running = Q(status__in=ACTIVE_STATUSES)
    urgent = records.filter(Q(assignee_id=user_id) | Q(lead_department_id__in=department_ids))
    branches = [
        # record_assignee_due_idx
        _branch(
            records.filter(running, assignee_id=user_id),
            "assigned",
            F("resolution_due"),
            ("resolution_due", "pk"),
        ),
        # record_resolution_due_idx + record_first_response_due_idx
        _branch(
            urgent.filter(selectors.due_soon_q(now)),
            "due_soon",
            selectors.next_due(),
            ("key", "pk"),
        ),
        # record_first_response_due_idx
        _branch(
            urgent.filter(selectors.target_breached_q("response", now)),
            "breached",
            selectors.next_due(),
            ("first_response_due", "pk"),
        ),
        # record_resolution_due_idx
        _branch(
            urgent.filter(selectors.target_breached_q("resolution", now)),
            "breached",
            selectors.next_due(),
            ("resolution_due", "pk"),
        ),
    ]
    if department_ids:
        queue = records.filter(running, lead_department_id__in=department_ids)
        branches += [
            # record_unassigned_idx
            _branch(
                queue.filter(assignee__isnull=True),
                "unassigned",
                F("created_at"),
                ("created_at", "pk"),
            ),
            # record_running_idx
            _branch(queue, "department", F("created_at"), ("-created_at", "-pk")),
        ]
    return branches


# The panels' SQL is the same for every user with as many departments; building it through the
# ORM (six querysets, the due rule's expressions, the union, the rows' joins) cost more CPU than
# running it. So it is compiled once per department count with these stand-ins, which each
# request swaps for its own user, departments and time (tests/tickets/test_panels.py holds it
# equal to a fresh build).
_USER = -1
_NOW = datetime(1901, 1, 1, tzinfo=UTC)


def _department_stand_in(i: int) -> int:
    return -2 - i


def _swapped(params: tuple, user_id: int, department_ids: list[int], now) -> list:
    swap = {_USER: user_id, _NOW: now, _NOW + selectors.DUE_SOON: now + selectors.DUE_SOON}
    swap.update((_department_stand_in(i), d) for i, d in enumerate(department_ids))
    return [swap.get(p, p) for p in params]


@functools.lru_cache(maxsize=16)
def _ids_sql(department_count: int) -> tuple[str, tuple]:
    departments = [_department_stand_in(i) for i in range(department_count)]
    branches = panel_branches(_USER, departments, _NOW)
    return branches[0].union(*branches[1:], all=True).query.sql_with_params()


@functools.lru_cache(maxsize=16)
def _panels_sql(department_count: int) -> tuple[str, tuple]:
    """The union of index walks, and each id it finds joined to its row's values: one statement
    (the rows' read was a second query). The join is on the primary key: a lookup per id."""
    ids_sql, ids_params = _ids_sql(department_count)
    rows_sql, rows_params = (
        ServiceRecord.objects.order_by().values(*PANEL_FIELDS).query.sql_with_params()
    )
    # Both parts are SQL compiled by Django; every value stays a parameter.
    sql = (
        f"WITH panel_ids AS ({ids_sql}) "  # noqa: S608
        f'SELECT panel_ids."panel", panel_ids."key", panel_rows.* '
        f"FROM panel_ids INNER JOIN ({rows_sql}) panel_rows "
        f'ON panel_rows."id" = panel_ids."pk"'
    )
    return sql, (*ids_params, *rows_params)


def panel_ids(user_id: int, department_ids: list[int], now) -> list[tuple]:
    """(pk, panel, key) for each panel's first rows, in one query."""
    sql, params = _ids_sql(len(department_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, _swapped(params, user_id, department_ids, now))
        return cursor.fetchall()


def panel_values(user_id: int, department_ids: list[int], now) -> list[tuple[str, object, dict]]:
    """(panel, key, the row's PANEL_FIELDS values) for each panel's first rows, in one query."""
    sql, params = _panels_sql(len(department_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, _swapped(params, user_id, department_ids, now))
        return [
            (panel, key, dict(zip(PANEL_FIELDS, values, strict=True)))
            for panel, key, *values in cursor.fetchall()
        ]


def _order_key(entry: tuple):
    # As PostgreSQL orders a column: NULLs after every value (first when descending), then pk.
    pk, key = entry
    return (key is None, key or NEVER, pk)


def my_work_panel(user) -> dict:
    """My work's five lists in one query whatever the size of the table: the panels' ids (one
    UNION ALL of index walks) joined to their rows' values."""
    now = timezone.now()
    if not connection.features.supports_slicing_ordering_in_compound:
        # SQLite (`make run`) allows no LIMIT inside a UNION: one query per panel, through the
        # reference querysets the union is held equal to.
        return {
            name: [panel_row(values, now) for values in qs.values(*PANEL_FIELDS)]
            for name, qs in selectors.my_work_panels(user, now=now).items()
        }
    by_panel: dict[str, set[tuple]] = {}
    rows: dict[int, PanelRow] = {}
    for panel, key, values in panel_values(user.pk, user_department_ids(user), now):
        pk = values["id"]
        # A set: a record late on both targets comes from both of "breached"'s walks.
        by_panel.setdefault(panel, set()).add((pk, key))
        if pk not in rows:
            rows[pk] = panel_row(values, now)
    lists = {}
    for name in ("breached", "due_soon", "assigned", "unassigned", "department"):
        entries = sorted(by_panel.get(name, ()), key=_order_key, reverse=name == "department")
        lists[name] = [rows[pk] for pk, _key in entries[:PANEL_ROWS]]
    return lists


def customer_section(customer, user) -> dict:
    return {"records": selectors.customer_records(customer, user=user)}


def customer_timeline(customer, limit: int, user):
    for r in selectors.customer_records(customer, user=user, limit=limit):
        yield TimelineEntry(
            when=r.created_at,
            kind="record",
            title=_("%(ref)s %(subject)s") % {"ref": r.reference, "subject": r.subject},
            url=reverse("tickets:detail", args=[r.pk]),
            actor=r.created_by_name,
            detail=f"{r.category_name} · {r.status}",
        )
