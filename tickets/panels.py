"""What tickets contributes to other apps' pages: the My work panel and the customer 360° page."""

import functools
from datetime import UTC, datetime

from django.db import connection
from django.db.models import F, Q, Value
from django.utils import timezone
from django.utils.translation import gettext as _

from customers.timeline import TimelineEntry
from servicedesk.core.selectors import user_department_ids
from servicedesk.core.users import display_name

from . import selectors
from .models import ACTIVE_STATUSES, ServiceRecord
from .rows import ROW_FIELDS, record_row

PANEL_ROWS = 10

# The columns a panel row shows (tickets/panel_my_work.html), and the due times its state and
# its urgency are worked out from.
PANEL_FIELDS = (*ROW_FIELDS, "created_at")

# next_due's "never": a target already met, or none, is never what makes a record urgent.
NEVER = datetime.max.replace(tzinfo=UTC)


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
# ORM (six querysets, the due rule's expressions, the union) cost more CPU than running it. So it
# is compiled once per department count with these stand-ins, which each request swaps for its
# own user, departments and time (tests/tickets/test_panels.py holds it equal to a fresh build).
_USER = -1
_NOW = datetime(1901, 1, 1, tzinfo=UTC)


def _department_stand_in(i: int) -> int:
    return -2 - i


@functools.lru_cache(maxsize=16)
def _panels_sql(department_count: int) -> tuple[str, tuple]:
    departments = [_department_stand_in(i) for i in range(department_count)]
    branches = panel_branches(_USER, departments, _NOW)
    return branches[0].union(*branches[1:], all=True).query.sql_with_params()


def panel_ids(user_id: int, department_ids: list[int], now) -> list[tuple]:
    """(pk, panel, key) for each panel's first rows, in one query."""
    sql, params = _panels_sql(len(department_ids))
    swap = {_USER: user_id, _NOW: now, _NOW + selectors.DUE_SOON: now + selectors.DUE_SOON}
    swap.update((_department_stand_in(i), d) for i, d in enumerate(department_ids))
    with connection.cursor() as cursor:
        cursor.execute(sql, [swap.get(p, p) for p in params])
        return cursor.fetchall()


def _order_key(entry: tuple):
    # As PostgreSQL orders a column: NULLs after every value (first when descending), then pk.
    pk, key = entry
    return (key is None, key or NEVER, pk)


def my_work_panel(user) -> dict:
    """My work's five lists in two queries whatever the size of the table: the panels' ids (one
    UNION ALL of index walks), then their rows as values."""
    now = timezone.now()
    if not connection.features.supports_slicing_ordering_in_compound:
        # SQLite (`make run`) allows no LIMIT inside a UNION: one query per panel, through the
        # reference querysets the union is held equal to.
        return {
            name: [record_row(values, now) for values in qs.values(*PANEL_FIELDS)]
            for name, qs in selectors.my_work_panels(user, now=now).items()
        }
    tagged = panel_ids(user.pk, user_department_ids(user), now)
    by_panel: dict[str, set[tuple]] = {}
    for pk, panel, key in tagged:
        by_panel.setdefault(panel, set()).add((pk, key))
    ids = {pk for pk, _panel, _key in tagged}
    values = (
        ServiceRecord.objects.filter(pk__in=ids).order_by().values(*PANEL_FIELDS) if ids else ()
    )
    rows = {v["id"]: record_row(v, now) for v in values}
    lists = {}
    for name in ("breached", "due_soon", "assigned", "unassigned", "department"):
        entries = sorted(by_panel.get(name, ()), key=_order_key, reverse=name == "department")
        lists[name] = [rows[pk] for pk, _key in entries[:PANEL_ROWS] if pk in rows]
    return lists


def customer_section(customer, user) -> dict:
    return {"records": selectors.customer_records(customer, user=user)}


def customer_timeline(customer, limit: int, user):
    rows = (
        selectors.record_visible(user)
        .filter(customer=customer)
        .select_related("category", "created_by")
        .order_by("-created_at", "-pk")[:limit]
    )
    for r in rows:
        yield TimelineEntry(
            when=r.created_at,
            kind="record",
            title=_("%(ref)s %(subject)s") % {"ref": r.reference, "subject": r.subject},
            url=r.get_absolute_url(),
            actor=display_name(r.created_by),
            detail=f"{r.category.name} · {r.get_status_display()}",
        )
