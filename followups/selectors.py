"""Reads for callback visits: who sees which, the agent's lists, the calendar and the rates.

Visibility is the records' rule (tickets.visibility): a visit's audience holds its department and
assignee, so one indexed predicate decides, and each list walks the index that matches its order.
"""

from datetime import datetime, time, timedelta

from django.contrib.auth import get_user_model
from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import (
    Count,
    DateTimeField,
    F,
    Func,
    IntegerField,
    Prefetch,
    Q,
    QuerySet,
    Value,
)
from django.db.models.functions import TruncDate
from django.utils import timezone

from customers.models import ContactPoint
from servicedesk.core.models import Department
from servicedesk.core.roles import Role, user_role
from servicedesk.core.selectors import rate, user_department_ids
from tickets.visibility import audience_visible

from .models import CallbackAttempt, CallbackVisit, VisitStatus
from .rows import ROW_FIELDS

User = get_user_model()


def visit_visible(user) -> QuerySet[CallbackVisit]:
    return audience_visible(CallbackVisit.objects.all(), user)


def visible_by_columns(user) -> QuerySet[CallbackVisit]:
    """visit_visible, tested on the columns a visit's audience is made of: its department and
    its assignee (services write `audience` from exactly these two). For the grouped counts of a
    period, which read every visit of it anyway: the covering visit_due_counts_idx holds both
    columns, so the count is an index-only range instead of ~30k heap rows at a million visits.
    tests/followups/test_views.py holds the two rules equal."""
    role = user_role(user)
    if role == Role.ADMINISTRATOR:
        return CallbackVisit.objects.all()
    if role is None:
        return CallbackVisit.objects.none()
    return CallbackVisit.objects.filter(
        Q(department_id__in=user_department_ids(user)) | Q(assignee_id=user.pk)
    )


def with_list_data(qs: QuerySet) -> QuerySet:
    """What a row shows: customer and their primary phone, the record it follows, who has it."""
    return qs.select_related(
        "customer", "source_record", "assignee", "department"
    ).prefetch_related(
        Prefetch(
            "customer__contact_points",
            queryset=ContactPoint.objects.filter(
                is_primary=True, contact__is_primary=True, kind="phone"
            ),
            to_attr="primary_phones",
        )
    )


def visit_list(user) -> QuerySet[CallbackVisit]:
    return with_list_data(visit_visible(user)).order_by("due_at", "id")


def _listed(qs: QuerySet, as_rows: bool) -> QuerySet:
    """A list in due order: as models with what a row shows (the API, the panels), or as_rows as
    the values of followups.rows.ROW_FIELDS, for the pages' rows (followups.rows says why)."""
    qs = qs.order_by("due_at", "id")
    return qs.values(*ROW_FIELDS) if as_rows else with_list_data(qs)


def visit_get(user, pk: int) -> CallbackVisit:
    """One visible visit with its attempts; raises DoesNotExist for anyone else's."""
    return (
        with_list_data(visit_visible(user))
        .select_related("rule", "new_issue_record", "new_need_record", "completed_by", "contact")
        .prefetch_related(
            Prefetch("attempt_log", queryset=CallbackAttempt.objects.select_related("by"))
        )
        .get(pk=pk)
    )


def end_of_today(now: datetime | None = None) -> datetime:
    local = timezone.localtime(now or timezone.now())
    return local.replace(hour=0, minute=0, second=0, microsecond=0) + timedelta(days=1)


def agent_callbacks(
    user, *, until: datetime, limit: int | None = None, as_rows: bool = False
) -> dict:
    """An agent's scheduled visits due before `until` (late ones first), and the unclaimed ones
    in their departments' queues: two walks of two partial indexes, none of the whole table."""
    mine = CallbackVisit.objects.filter(
        status=VisitStatus.SCHEDULED, assignee=user, due_at__lt=until
    )
    queue = CallbackVisit.objects.filter(
        status=VisitStatus.SCHEDULED,
        assignee__isnull=True,
        department_id__in=user_department_ids(user),
        due_at__lt=until,
    )
    mine, queue = (_listed(q, as_rows) for q in (mine, queue))
    if limit is not None:
        mine, queue = mine[:limit], queue[:limit]
    return {"mine": mine, "queue": queue}


def customer_visits(customer, user, *, limit: int = 10) -> list[CallbackVisit]:
    return list(
        visit_visible(user)
        .filter(customer=customer)
        .select_related("assignee", "source_record")
        .order_by("-due_at", "-id")[:limit]
    )


def record_visits(record, user) -> list[CallbackVisit]:
    return list(
        visit_visible(user)
        .filter(source_record=record)
        .select_related("assignee")
        .order_by("-due_at", "-id")[:10]
    )


def visits_of_day(
    user, *, start: datetime, end: datetime, as_rows: bool = False
) -> QuerySet[CallbackVisit]:
    """The calendar day's list: the visits its count covers (every visible one due in [start,
    end) but cancelled ones, as calendar_counts), in due order."""
    qs = (
        visit_visible(user)
        .filter(due_at__gte=start, due_at__lt=end)
        .exclude(status=VisitStatus.CANCELLED)
    )
    return _listed(qs, as_rows)


def visits_late(
    user, *, since: datetime, until: datetime, now: datetime, as_rows: bool = False
) -> QuerySet:
    """The manager's list: visits due in [since, until) that were missed or whose window closed
    while they were still scheduled, in due order."""
    qs = (
        visit_visible(user)
        .filter(due_at__gte=since, due_at__lt=until)
        .filter(Q(status=VisitStatus.MISSED) | Q(status=VisitStatus.SCHEDULED, window_end__lt=now))
    )
    return _listed(qs, as_rows)


def _local_midnights(start: datetime, end: datetime) -> list[datetime]:
    """The local midnights from `start` to `end` (both local midnights), as aware datetimes."""
    tz = timezone.get_current_timezone()
    first, last = timezone.localtime(start, tz).date(), timezone.localtime(end, tz).date()
    return [
        timezone.make_aware(datetime.combine(first + timedelta(days=i), time.min), tz)
        for i in range((last - first).days + 1)
    ]


def calendar_counts(user, *, start: datetime, end: datetime) -> dict:
    """{local date: {status: count}} of the visible visits due in [start, end) (local midnights):
    one grouped query, an index-only range of visit_due_counts_idx, however many visits a month
    holds. On PostgreSQL a visit's day is its bucket among the days' midnights (width_bucket, a
    binary search), which costs less per row than converting every due time to a local date."""
    qs = (
        visible_by_columns(user)
        .filter(due_at__gte=start, due_at__lt=end)
        .exclude(status=VisitStatus.CANCELLED)
    )
    days: dict = {}
    if connection.vendor == "postgresql":
        midnights = _local_midnights(start, end)
        bucket = Func(
            F("due_at"),
            Value(midnights, output_field=ArrayField(DateTimeField())),
            function="width_bucket",
            output_field=IntegerField(),
        )
        # COUNT(*), not of a column the index does not hold: the scan stays index-only.
        rows = qs.annotate(bucket=bucket).values("bucket", "status").annotate(n=Count("*"))
        for row in rows.order_by():
            day = timezone.localtime(midnights[row["bucket"] - 1]).date()
            days.setdefault(day, {})[row["status"]] = row["n"]
        return days
    rows = (
        qs.annotate(day=TruncDate("due_at", tzinfo=timezone.get_current_timezone()))
        .values("day", "status")
        .annotate(n=Count("id"))
        .order_by()
    )
    for row in rows:
        days.setdefault(row["day"], {})[row["status"]] = row["n"]
    return days


# --- rates ----------------------------------------------------------------------------------------
# One definition, reused by the manager's view and later by the dashboards:
#   on-time rate    = done by the end of the window ÷ visits due
#   reach rate      = reached ÷ (done + missed)
#   issue-find rate = new issues ÷ reached
# "Visits due" are those not cancelled whose due time fell in the period and has passed (the
# issue's definition: a visit still inside its window counts as due and not yet on time).

# Of `due_at` (never null), not `id`: visit_due_counts_idx holds every column these read but the
# key, so the counts stay an index-only scan. (Django refuses COUNT(*) with a filter.)
RATE_COUNTS = {
    "due": Count("due_at"),
    "on_time": Count("due_at", filter=Q(status="done", completed_at__lte=F("window_end"))),
    "done": Count("due_at", filter=Q(status="done")),
    "missed": Count("due_at", filter=Q(status="missed")),
    "reached": Count("due_at", filter=Q(reached=True)),
    "new_issues": Count("due_at", filter=Q(new_issue_record__isnull=False)),
}


def with_rates(counts: dict) -> dict:
    return {
        **counts,
        "on_time_rate": rate(counts["on_time"], counts["due"]),
        "reach_rate": rate(counts["reached"], counts["done"] + counts["missed"]),
        "issue_find_rate": rate(counts["new_issues"], counts["reached"]),
    }


def _counts(now: datetime) -> dict:
    return {
        **RATE_COUNTS,
        "overdue": Count("due_at", filter=Q(status="scheduled", window_end__lt=now)),
    }


def visits_due(qs: QuerySet, *, since: datetime, until: datetime, now: datetime | None = None):
    now = now or timezone.now()
    return qs.exclude(status=VisitStatus.CANCELLED).filter(
        due_at__gte=since, due_at__lt=min(until, now)
    )


def visit_rates(
    qs: QuerySet, *, since: datetime, until: datetime, now: datetime | None = None
) -> dict:
    now = now or timezone.now()
    return with_rates(visits_due(qs, since=since, until=until, now=now).aggregate(**_counts(now)))


# The keys a breakdown groups by, and the names a row shows of them (read apart, for the few keys
# found, so the grouped read joins nothing).
BREAKDOWN_NAMES = {
    "department_id": (Department, ["name_en", "name_zh"]),
    "assignee_id": (User, ["username", "first_name", "last_name"]),
}


def visit_rates_breakdown(
    user, *, since: datetime, until: datetime, now: datetime | None = None
) -> dict:
    """The rates overall, per department and per assignee, of the visits the user may see: one
    read grouped by (department, assignee), summed here, instead of one aggregate per breakdown,
    since each reads every visit due in the period. Rows carry `department__name_en` etc."""
    now = now or timezone.now()
    counts = _counts(now)
    rows = list(
        # Grouped by the two columns visibility is made of: an index-only range of
        # visit_due_counts_idx (visible_by_columns).
        visits_due(visible_by_columns(user), since=since, until=until, now=now)
        .values("department_id", "assignee_id")
        .annotate(**counts)
        .order_by()
    )

    def total(group: list[dict]) -> dict:
        return with_rates({name: sum(r[name] for r in group) for name in counts})

    def split(key: str) -> list[dict]:
        model, fields = BREAKDOWN_NAMES[key]
        prefix = key.removesuffix("_id")
        groups: dict = {}
        for row in rows:
            groups.setdefault(row[key], []).append(row)
        names = {
            n.pop("pk"): {f"{prefix}__{f}": v for f, v in n.items()}
            for n in model.objects.filter(pk__in=[k for k in groups if k]).values("pk", *fields)
        }
        empty = {f"{prefix}__{f}": None for f in fields}
        result = [{key: k, **names.get(k, empty), **total(group)} for k, group in groups.items()]
        # By name, the unassigned last (as ORDER BY puts NULL).
        order = f"{prefix}__{fields[0]}"
        return sorted(result, key=lambda r: (r[order] is None, r[order] or ""))

    return {
        "overall": total(rows),
        "by_department": split("department_id"),
        "by_assignee": split("assignee_id"),
    }
