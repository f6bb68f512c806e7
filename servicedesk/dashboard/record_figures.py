"""The records' figures: the aggregates of counts, customers served, the time percentiles and
target compliance (read for both periods in one pass, kpis._records_pass); the current period's
breakdowns per week, stage and department (from the daily sums where they answer, rollups); the
backlog now.

Distinct customers, percentiles and compliance (which turns on `now`) cannot be summed from daily
parts. On PostgreSQL they are taken over a cached cold part and a live warm part
(record_pieces); elsewhere, and with a tier filter, from one pass over the records here, on an
index-only scan of record_dashboard_idx, each time's median and 90th percentile from one sort."""

import math
from contextlib import nullcontext
from datetime import date, datetime, timedelta

from django.contrib.postgres.fields import ArrayField
from django.db import connection
from django.db.models import Aggregate, Count, F, FloatField, Func, Q, QuerySet
from django.utils import timezone

from servicedesk.core import exact_cache
from servicedesk.core.selectors import rate
from tickets.models import ACTIVE_STATUSES
from tickets.selectors import record_visible
from tickets.visibility import department_key

from . import rollups
from .filters import Filters, narrow_records, records_in

# Open records by age, in days: [low, high) with None for no upper bound.
AGE_BUCKETS = ((0, 1), (1, 3), (3, 7), (7, 30), (30, None))


# --- time percentiles -----------------------------------------------------------------------------


class PercentileCont(Aggregate):
    """PostgreSQL's percentile_cont: the continuous percentile, interpolated between values;
    given several fractions, all of them from one sort (an array, in their order)."""

    function = "percentile_cont"
    template = "%(function)s(%(fraction)s) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()
    allow_distinct = False

    def __init__(self, expression, fraction: float | tuple[float, ...], **extra):
        if isinstance(fraction, tuple):
            extra.setdefault("output_field", ArrayField(FloatField()))
            fraction = f"ARRAY[{', '.join(repr(float(x)) for x in fraction)}]::float8[]"
        else:
            fraction = float(fraction)
        super().__init__(expression, fraction=fraction, **extra)


def _seconds_between(start: str, end: str) -> Func:
    return Func(
        F(end),
        F(start),
        # date_part gives a float8; EXTRACT a numeric (PostgreSQL 14+), twice as slow to sort.
        template="date_part('epoch', %(expressions)s)",
        arg_joiner=" - ",
        output_field=FloatField(),
    )


def percentile(values: list[float], fraction: float) -> float | None:
    """percentile_cont in Python (the SQLite fallback, and the tests' recount)."""
    if not values:
        return None
    ordered = sorted(values)
    k = (len(ordered) - 1) * fraction
    low, high = math.floor(k), math.ceil(k)
    return ordered[low] + (ordered[high] - ordered[low]) * (k - low)


def hours(seconds: float | None) -> float | None:
    return None if seconds is None else round(seconds / 3600, 1)


TIMES = {
    "first_response": ("created_at", "first_responded_at"),
    "resolution": ("created_at", "resolved_at"),
}
PERCENTILES = {"median": 0.5, "p90": 0.9}


def _percentile_aggregates(when: Q) -> dict:
    """PostgreSQL's median and 90th percentile of each of TIMES, in seconds, of the rows `when`
    holds for, as aggregates read in the same query as the counts: one sort per time."""
    fractions = tuple(PERCENTILES.values())
    return {
        name: PercentileCont(_seconds_between(start, end), fractions, filter=when)
        for name, (start, end) in TIMES.items()
    }


def _percentiles_of(row: dict) -> dict:
    """The aggregates' arrays (None when no row had the time) by f"{name}_{p}"."""
    out = {}
    for name in TIMES:
        values = row[name] or [None] * len(PERCENTILES)
        out |= {f"{name}_{p}": v for p, v in zip(PERCENTILES, values, strict=True)}
    return out


def _time_percentiles_in_python(records: QuerySet) -> dict:
    """SQLite has no percentile: the two durations read as values, percentile_cont in Python."""
    durations: dict[str, list[float]] = {name: [] for name in TIMES}
    columns = sorted({c for pair in TIMES.values() for c in pair})
    any_end = Q()
    for _start, end in TIMES.values():
        any_end |= Q(**{f"{end}__isnull": False})
    for row in records.filter(any_end).values(*columns):
        for name, (start, end) in TIMES.items():
            if row[end] is not None:
                durations[name].append((row[end] - row[start]).total_seconds())
    return {
        f"{name}_{p}": percentile(values, fraction)
        for name, values in durations.items()
        for p, fraction in PERCENTILES.items()
    }


# --- the headline figures of both periods ---------------------------------------------------------


def _counts(now: datetime, when: Q) -> dict:
    def judged(due: str, met_at: str) -> Q:
        return Q(**{f"{due}__isnull": False}) & (
            Q(**{f"{met_at}__isnull": False}) | Q(**{f"{due}__lt": now})
        )

    return {
        "records": Count("pk", filter=when),
        "customers_served": Count("customer_id", distinct=True, filter=when),
        "first_response_judged": Count(
            "pk", filter=when & judged("first_response_due", "first_responded_at")
        ),
        "first_response_met": Count(
            "pk", filter=when & Q(first_responded_at__lte=F("first_response_due"))
        ),
        "resolution_judged": Count("pk", filter=when & judged("resolution_due", "resolved_at")),
        "resolution_met": Count("pk", filter=when & Q(resolved_at__lte=F("resolution_due"))),
    }


def record_aggregates(now: datetime, when: Q, *, in_sql: bool) -> dict:
    """The aggregates of the records `when` holds for (over records, the complaint joined)."""
    return _counts(now, when) | (_percentile_aggregates(when) if in_sql else {})


def record_values(row: dict, records: QuerySet | None = None) -> dict:
    """One period's figures from its aggregates; on SQLite, which has no percentile, the times
    are read from `records` (that period's) and their percentiles taken in Python."""
    seconds = _percentiles_of(row) if records is None else _time_percentiles_in_python(records)
    return {
        "records": row["records"],
        "customers_served": row["customers_served"],
        **{f"{n}_{p}": hours(seconds[f"{n}_{p}"]) for n in TIMES for p in PERCENTILES},
        "first_response_compliance": rate(row["first_response_met"], row["first_response_judged"]),
        "resolution_compliance": rate(row["resolution_met"], row["resolution_judged"]),
    }


def backlog(f: Filters, user, *, now: datetime | None = None) -> dict:
    """Records created by the end of the period that are still running, by age now."""
    now = now or timezone.now()
    _start, end = f.period.bounds()
    running = narrow_records(
        record_visible(user).filter(status__in=ACTIVE_STATUSES, created_at__lt=end), f
    )
    buckets = {}
    for low, high in AGE_BUCKETS:
        q = Q(created_at__lte=now - timedelta(days=low))
        if high is not None:
            q &= Q(created_at__gt=now - timedelta(days=high))
        buckets[f"age_{low}"] = Count("pk", filter=q)
    row = running.aggregate(backlog=Count("pk"), **buckets)
    ageing = [{"low": low, "high": high, "count": row[f"age_{low}"]} for low, high in AGE_BUCKETS]
    return {"backlog": row["backlog"], "ageing": ageing}


# --- the current period's breakdowns --------------------------------------------------------------


def breakdown(f: Filters, user, department_ids, *, rolled_all=None) -> dict:
    """Records and complaints of the period per week, per stage and per department as the record
    list counts them (a department's records are those whose audience holds it: lead or
    collaborating). Read grouped by week, stage and audience (a few thousand groups at 1M
    records, where a count per department would test every department's key on every row),
    then totalled: from the daily sums where they can answer (rollups.week_parts), their totals
    kept in the cache under the days' roll stamps as record_pieces keeps its cold part; else
    from the records."""
    departments = {department_key(pk): pk for pk in department_ids}
    if not rollups.summable(f):
        return _totals(rollups.records_by_week(records_in(f, user)), departments)
    cold, rolled, warm = rollups.week_parts(f, user, rolled_all)
    out = _totals(warm, departments, few=True)
    if cold is not None:
        from .record_pieces import piece_key, viewer_of  # it imports this module

        key = piece_key(
            "dash:weeks", lambda: cold, rolled, (viewer_of(user), f), also=sorted(departments)
        )
        reads = {key: lambda: _totals(cold, departments)}
        kept = exact_cache.read_through(reads, "dashboard week totals")[key]
        for table, totals in kept.items():
            for k, row in totals.items():
                into = out[table].setdefault(k, {"records": 0, "complaints": 0})
                into["records"] += row["records"]
                into["complaints"] += row["complaints"]
    return out


def _totals(part: QuerySet | None, departments: dict[str, int], *, few: bool = False) -> dict:
    """One grouped part (rollups.group_query) totalled per week, stage and department. `few`:
    the warm days' records, few enough to find each one's complaint by key."""
    out: dict = {"weeks": {}, "stages": {}, "departments": {}}
    if part is None:
        return out
    if connection.vendor == "postgresql":
        return _totals_in_sql(part, departments, out, few=few)

    def add(table: str, key, row) -> None:
        total = out[table].setdefault(key, {"records": 0, "complaints": 0})
        total["records"] += row["records"]
        total["complaints"] += row["complaints"]

    for row in rollups.read_rows(part):
        add("weeks", row["week"], row)
        add("stages", row["stage"], row)
        for key in row["audience"]:
            if key in departments:
                add("departments", departments[key], row)
    return out


_TOTALS = """
    WITH grouped AS (
        SELECT part.week::date AS week, part.stage, part.audience_text::jsonb AS audience,
               part.records, part.complaints
        FROM ({part}) AS part
    )
    SELECT 'weeks', week::text, SUM(records), SUM(complaints) FROM grouped GROUP BY week
    UNION ALL
    SELECT 'stages', stage, SUM(records), SUM(complaints) FROM grouped GROUP BY stage
    UNION ALL
    SELECT 'departments', key, SUM(records), SUM(complaints)
    FROM grouped CROSS JOIN LATERAL jsonb_object_keys(audience) AS key
    WHERE key = ANY(%s)
    GROUP BY key
"""


def _totals_in_sql(part: QuerySet, departments: dict[str, int], out: dict, *, few: bool) -> dict:
    """_totals in one statement: a few dozen rows instead of the few thousand groups (reading
    and adding those up in Python took ~45 ms a request at 100k records). With `few`, joins by
    key: the planner hashed all 30k complaints at 1M for today's hundred records (7.4 ms; 1.7)."""
    from .record_pieces import joins_by_key  # it imports this module

    sql, params = part.query.sql_with_params()
    with joins_by_key() if few else nullcontext(), connection.cursor() as cursor:
        # Built from a queryset's SQL; every value is a parameter.
        cursor.execute(_TOTALS.format(part=sql), [*params, list(departments)])  # noqa: S608
        rows = cursor.fetchall()
    for table, key, records, complaints in rows:
        if table == "weeks":
            key = date.fromisoformat(key)
        elif table == "departments":
            key = departments[key]
        out[table][key] = {"records": int(records), "complaints": int(complaints)}
    return out
