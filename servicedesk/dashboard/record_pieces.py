"""The records' headline figures that cannot be added up by day (distinct customers served, the
time percentiles, target compliance), read from a cached part and a live part, exactly.

A period's records split by day, as the daily sums split them (rollups, RecordRolledDay):

- the cold part, the days rolled and not reopened since: read once into a Piece (the sorted
  customer ids, the sorted durations, the due times still pending) and kept in Django's cache
  under a key naming the exact query (viewer's visibility and filters included) and each day's
  roll stamp. A change to one of those records reopens its day (dashboard.apps, a merge's hook),
  which changes the key: a stale piece is never read again;
- the warm part, every other day (today, a reopened day): read on each request, a few thousand
  rows at most.

The figures are then taken over both pieces as if they were one: counts added, the customers'
union counted, each percentile picked from the two sorted lists by rank, and the pending due
times compared with `now` at read time (compliance turns on it). The dashboard then scans today's
records instead of both periods', and a cold period costs one cache read.

PostgreSQL only (array_agg); the SQLite path counts everything live (kpis._records_pass). A tier
filter is counted live too: a customer's tier can change without touching their records. If the
cache is unreachable the cold part is read from the records, and the page is only slower.
"""

from array import array
from bisect import bisect_left
from collections import OrderedDict
from collections.abc import Callable
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from math import floor

from django.conf import settings
from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import Count, F, Func, IntegerField, Q, QuerySet
from django.utils import timezone

from servicedesk.core import exact_cache
from servicedesk.core.periods import day_runs
from servicedesk.core.roles import user_role
from servicedesk.core.selectors import rate
from tickets.selectors import record_visible
from tickets.visibility import user_audience_keys

from .filters import Filters, narrow_records
from .models import RecordRolledDay
from .record_figures import PERCENTILES, TIMES, _seconds_between, hours
from .rollups import moments_q

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_DUES = {"first_response": "first_response_due", "resolution": "resolution_due"}
_MET_AT = {name: end for name, (_start, end) in TIMES.items()}


@dataclass
class Piece:
    """Some days' records, as what the figures need of them. Arrays are sorted."""

    records: int = 0
    customers: array = field(default_factory=lambda: array("q"))  # distinct ids
    durations: dict = field(default_factory=dict)  # time name → array("d") of seconds
    met: dict = field(default_factory=dict)  # time name → met by its due time
    done: dict = field(default_factory=dict)  # time name → due set and reached: judged already
    pending: dict = field(default_factory=dict)  # time name → array("q"): due (µs), not reached


def microseconds(column: str) -> Func:
    """A timestamp as whole microseconds since 1970, exact (EXTRACT is numeric)."""
    return Func(
        F(column),
        template="(EXTRACT(EPOCH FROM %(expressions)s) * 1000000)::bigint",
        output_field=IntegerField(),
    )


def _aggregates() -> dict:
    out = {
        "records": Count("pk"),
        "customers": ArrayAgg("customer_id", distinct=True, order_by="customer_id"),
    }
    for name, (start, end) in TIMES.items():
        due = _DUES[name]
        seconds = _seconds_between(start, end)
        out[f"{name}_durations"] = ArrayAgg(
            seconds, filter=Q(**{f"{end}__isnull": False}), order_by=seconds
        )
        out[f"{name}_met"] = Count("pk", filter=Q(**{f"{end}__lte": F(due)}))
        out[f"{name}_done"] = Count(
            "pk", filter=Q(**{f"{due}__isnull": False, f"{end}__isnull": False})
        )
        out[f"{name}_pending"] = ArrayAgg(
            microseconds(due),
            filter=Q(**{f"{due}__isnull": False, f"{end}__isnull": True}),
            order_by=due,
        )
    return out


def read_piece(records: QuerySet) -> Piece:
    """One query: the records' Piece."""
    row = records.aggregate(**_aggregates())
    return Piece(
        records=row["records"],
        customers=array("q", row["customers"] or ()),
        durations={n: array("d", row[f"{n}_durations"] or ()) for n in TIMES},
        met={n: row[f"{n}_met"] for n in TIMES},
        done={n: row[f"{n}_done"] for n in TIMES},
        pending={n: array("q", row[f"{n}_pending"] or ()) for n in TIMES},
    )


# --- figures over two pieces ----------------------------------------------------------------------


def _count_in(sorted_values, value) -> bool:
    i = bisect_left(sorted_values, value)
    return i < len(sorted_values) and sorted_values[i] == value


def union_size(a, b) -> int:
    """How many distinct values two sorted, distinct sequences hold together (b the shorter)."""
    if len(b) > len(a):
        a, b = b, a
    return len(a) + sum(1 for v in b if not _count_in(a, v))


def kth(a, b, k: int):
    """The k-th smallest (0-based) of two sorted sequences taken together, without merging them:
    a binary search for how many of the k + 1 smallest come from `a`."""
    take = k + 1
    low, high = max(0, take - len(b)), min(take, len(a))
    while low < high:
        from_a = (low + high) // 2
        from_b = take - from_a
        if from_b > 0 and a[from_a] < b[from_b - 1]:
            low = from_a + 1  # a's next value is below b's last taken one: take more from a
        else:
            high = from_a
    from_a, from_b = low, take - low
    return max(([a[from_a - 1]] if from_a else []) + ([b[from_b - 1]] if from_b else []))


def percentile_of(a, b, fraction: float) -> float | None:
    """percentile_cont(fraction) of two sorted sequences taken together (record_figures.percentile
    over their union, the same interpolation)."""
    n = len(a) + len(b)
    if not n:
        return None
    at = (n - 1) * fraction
    low = floor(at)
    first = kth(a, b, low)
    if at == low:
        return first
    second = kth(a, b, low + 1)
    return first + (second - first) * (at - low)


def figures(cold: Piece, warm: Piece, now: datetime) -> dict:
    """The period's figures (record_figures.record_values' keys) and the raw counts the complaint
    figures divide by, over both pieces."""
    now_us = (now - EPOCH) // timedelta(microseconds=1)
    out = {
        "records": cold.records + warm.records,
        "customers_served": union_size(cold.customers, warm.customers),
    }
    for name in TIMES:
        a, b = cold.durations.get(name, ()), warm.durations.get(name, ())
        for p, fraction in PERCENTILES.items():
            out[f"{name}_{p}"] = hours(percentile_of(a, b, fraction))
        judged = sum(
            piece.done.get(name, 0) + bisect_left(piece.pending.get(name, ()), now_us)
            for piece in (cold, warm)
        )
        met = cold.met.get(name, 0) + warm.met.get(name, 0)
        out[f"{name}_compliance"] = rate(met, judged)
    return out


# --- which days are cold, and the cache -----------------------------------------------------------


def usable(f: Filters) -> bool:
    """Whether the cold part may be cached: days that are the desk's (the roll stamps are per
    desk day) and no tier filter (a tier changes on the customer, not the records)."""
    return timezone.get_current_timezone_name() == settings.TIME_ZONE and not f.tier


def stamps(since: date, until: date) -> dict[date, datetime]:
    """{rolled day: when} over [since, until]: one query for the span of both periods."""
    rows = RecordRolledDay.objects.filter(day__range=(since, until)).values_list("day", "rolled_at")
    return dict(rows)


def viewer_of(user) -> tuple:
    """What the visibility rules' SQL turns on for `user` (tickets.visibility): their role and
    audience keys (their departments' and their own)."""
    return (user_role(user), tuple(user_audience_keys(user)))


# (prefix, inputs, time zone, days) → the digest of the query those inputs build, per process.
_QUERY_DIGESTS: OrderedDict = OrderedDict()
_QUERY_DIGESTS_KEPT = 512


def piece_key(
    prefix: str, build: Callable[[], QuerySet], rolled: dict, inputs: tuple, *, also=()
) -> str:
    """The cache key of a cold piece: the exact query `build()` returns, each of its days' roll
    stamps, and `also` (what else the kept value turns on). `inputs` is all the query is built
    from besides its days and the time zone (the viewer_of, the filters): within a process the
    same inputs build the same SQL, so it is compiled once and its digest reused (six
    compilations a dashboard request, 2-3 ms in all)."""
    memo = (prefix, inputs, timezone.get_current_timezone_name(), tuple(rolled))
    digest = _QUERY_DIGESTS.get(memo)
    if digest is None:
        sql, params = build().query.sql_with_params()
        digest = _QUERY_DIGESTS[memo] = exact_cache.key_of(prefix, sql, params)
        if len(_QUERY_DIGESTS) > _QUERY_DIGESTS_KEPT:
            _QUERY_DIGESTS.popitem(last=False)
    else:
        _QUERY_DIGESTS.move_to_end(memo)
    stamps = [
        (day.toordinal(), (at - EPOCH) // timedelta(microseconds=1)) for day, at in rolled.items()
    ]
    return exact_cache.key_of(prefix, digest, stamps, also)


def period_stamps(periods: dict[str, Filters]) -> dict[date, datetime]:
    """stamps() over every part's days: one query."""
    firsts = [f.period.since for f in periods.values()]
    lasts = [f.period.until for f in periods.values()]
    return stamps(min(firsts), max(lasts))


def split_days(f: Filters, rolled_all: dict[date, datetime]) -> tuple[dict, list[date]]:
    """(the period's rolled days with their roll stamps, its other days) of `rolled_all`
    (period_stamps): the cold part's days and the warm part's."""
    every = [f.period.since + timedelta(days=n) for n in range(f.period.days)]
    rolled = {d: rolled_all[d] for d in every if d in rolled_all}
    return rolled, [d for d in every if d not in rolled]


def period_figures(
    periods: dict[str, Filters], user, now: datetime, rolled_all: dict[date, datetime]
) -> dict[str, dict]:
    """{part: figures} for each part's filters, `rolled_all` their days' roll stamps
    (period_stamps): one cache round trip (and one query per part missing from it), one query
    per part with warm days."""
    reads, warm_qs, keys = {}, {}, {}
    viewer = viewer_of(user)
    for part, f in periods.items():
        rolled, warm = split_days(f, rolled_all)
        records = narrow_records(record_visible(user), f)
        if rolled:

            def cold(records=records, rolled=rolled):
                return records.filter(moments_q(day_runs(rolled)))

            keys[part] = piece_key("dash:cold", cold, rolled, (viewer, f))
            reads[keys[part]] = lambda cold=cold: read_piece(cold())
        if warm:
            warm_qs[part] = records.filter(moments_q(day_runs(warm)))
    cold = exact_cache.read_through(reads, "dashboard cold pieces")
    return {
        part: figures(
            cold[keys[part]] if part in keys else Piece(),
            read_piece(warm_qs[part]) if part in warm_qs else Piece(),
            now,
        )
        for part in periods
    }


@contextmanager
def joins_by_key():
    """Nested loops only, for one statement of the dashboard's transaction. The planner prices a
    hash join over every record of the span (read from record_dashboard_idx) below one index
    look-up per complaint of the span; at 1M records the hash join took 130-180 ms, the
    look-ups about 50 (tests/dashboard/test_plans.py pins the plan)."""
    _join_methods("off")
    try:
        yield
    finally:
        _join_methods("on")


def _join_methods(state: str) -> None:
    """Hash and merge joins on or off until the transaction ends (set_config's `true`: SET LOCAL),
    in one round trip."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT set_config('enable_hashjoin', %s, true), "
            "set_config('enable_mergejoin', %s, true)",
            [state, state],
        )
