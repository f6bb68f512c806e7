"""The complaints' figures of both periods read as record_pieces reads the records': a cold part
(the days rolled and not reopened since) kept in Django's cache under a key naming the exact query
and each day's roll stamp, and a warm part (every other day) read on each request.

A complaint belongs to its record's day (Complaint.record_created_at, which never changes). Saving
a complaint, its record or one of its actions reopens that day (dashboard.apps), and a step change
saves the complaint, so a stale piece is never read again. What turns on the moment of reading is
kept in a form that is finished then, exactly:

- overdue actions and surprise breaches: the open actions' due dates, compared with today;
- the average time in each step: the step log's finished intervals summed, and the start of each
  open one, which runs until `now`;
- retention after recovery: the recovered complaints' (customer, closed) pairs, checked for a later
  record in one query over both periods' pairs, since a record made today can retain a customer
  whose complaint closed months ago; a cold piece's pairs once found retained are kept apart
  (models.RetentionMark says until when), so only the others are checked again.

PostgreSQL only (array_agg), under record_pieces.usable's conditions; elsewhere kpis counts live.
"""

from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.contrib.postgres.aggregates import ArrayAgg
from django.db import connection
from django.db.models import Count, F, Q, QuerySet
from django.db.models.functions import TruncDate
from django.utils import timezone

from servicedesk.core import exact_cache
from servicedesk.core.periods import day_runs
from servicedesk.core.pg_arrays import int_array
from tickets.complaints.models import STEPS, ComplaintAction, Outcome, Step
from tickets.selectors import record_visible

from . import rollups
from .complaint_figures import ALL_STEPS, RETENTION_DAYS, among, step_log
from .filters import Filters, narrow_records
from .record_pieces import (
    EPOCH,
    joins_by_key,
    microseconds,
    period_figures,
    period_stamps,
    piece_key,
    split_days,
    union_size,
    viewer_of,
)
from .rollups import moments_q


@dataclass
class ComplaintPiece:
    """Some days' complaints, as the figures need them. Arrays are sorted."""

    complaints: int = 0
    closed: int = 0
    recovered: int = 0
    complainants: array = field(default_factory=lambda: array("q"))  # distinct customer ids
    recovered_customers: array = field(default_factory=lambda: array("q"))
    recovered_pairs: list = field(default_factory=list)  # (customer id, closed µs since 1970)
    steps: dict = field(default_factory=dict)  # step → complaints on it now
    done_late: int = 0  # actions done after their date
    open_due: array = field(default_factory=lambda: array("l"))  # open actions' due, ordinals
    step_log: dict = field(default_factory=dict)  # step → [finished µs, entered, open, open µs]


def _read_piece(complained: QuerySet, *, with_log: bool) -> ComplaintPiece:
    """Three queries: the complaints (through their records), their actions and (with_log)
    their step log. Run under record_pieces.joins_by_key: the complaints of these days are
    found by their own index and each joined to its record by key."""
    closed = Q(complaint__step=Step.CLOSED)
    recovered = closed & Q(complaint__outcome=Outcome.SATISFIED)
    pair_order = ("customer_id", "complaint__closed_at")
    row = complained.aggregate(
        complaints=Count("complaint"),
        closed=Count("complaint", filter=closed),
        recovered=Count("complaint", filter=recovered),
        complainants=ArrayAgg("customer_id", distinct=True, order_by="customer_id"),
        recovered_customers=ArrayAgg(
            "customer_id", distinct=True, filter=recovered, order_by="customer_id"
        ),
        pair_customers=ArrayAgg("customer_id", filter=recovered, order_by=pair_order),
        pair_closed=ArrayAgg(
            microseconds("complaint__closed_at"), filter=recovered, order_by=pair_order
        ),
        ids=ArrayAgg("complaint__id"),
        **{f"step_{s}": Count("complaint", filter=Q(complaint__step=s)) for s in ALL_STEPS},
    )
    ids = row["ids"] or []
    piece = ComplaintPiece(
        complaints=row["complaints"],
        closed=row["closed"],
        recovered=row["recovered"],
        complainants=array("q", row["complainants"] or ()),
        recovered_customers=array("q", row["recovered_customers"] or ()),
        recovered_pairs=list(
            zip(row["pair_customers"] or (), row["pair_closed"] or (), strict=True)
        ),
        steps={s: row[f"step_{s}"] for s in ALL_STEPS},
    )
    if ids:
        piece.done_late, piece.open_due = _actions(ids)
        if with_log:
            piece.step_log = _step_log(ids)
    return piece


def _actions(ids: list[int]) -> tuple[int, array]:
    """(actions done after their date, the open ones' due dates as sorted ordinals)."""
    done_day = TruncDate("done_at", tzinfo=timezone.get_current_timezone())
    row = (
        ComplaintAction.objects.filter(among('"tickets_complaintaction"."complaint_id"', ids))
        .annotate(done_day=done_day)
        .aggregate(
            done_late=Count("pk", filter=Q(done_at__isnull=False, done_day__gt=F("due_date"))),
            open_due=ArrayAgg("due_date", filter=Q(done_at=None), order_by="due_date"),
        )
    )
    return row["done_late"], array("l", (d.toordinal() for d in row["open_due"] or ()))


def _step_log(ids: list[int]) -> dict:
    """{step: [finished µs, times entered, still open, the open ones' starts in µs]} from the
    log of these complaints, each change running until the complaint's next one
    (complaint_figures._time_in_steps counts the same, to `now`)."""
    log, params = step_log(ids)
    sql = f"""
        SELECT to_state,
               COALESCE(SUM((EXTRACT(EPOCH FROM next_at - at) * 1000000)::bigint), 0),
               COUNT(*),
               COUNT(*) FILTER (WHERE next_at IS NULL),
               COALESCE(SUM((EXTRACT(EPOCH FROM at) * 1000000)::bigint)
                        FILTER (WHERE next_at IS NULL), 0)
        FROM ({log}) AS log
        GROUP BY to_state
    """  # noqa: S608 - only placeholders are pasted in; every value is a parameter
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    return {
        step: [int(done), entered, still, int(starts)]
        for step, done, entered, still, starts in rows
    }


# --- both parts, both periods ---------------------------------------------------------------------


def _complained(f: Filters, user, days) -> QuerySet:
    """The visible, narrowed records of these days that have a complaint, found from the
    complaints' side (complaint_record_created_idx), each joined to its record by key."""
    runs = day_runs(days)
    records = narrow_records(record_visible(user), f).filter(moments_q(runs))
    return records.filter(moments_q(runs, "complaint__record_created_at"))


def _pieces(periods: dict[str, Filters], user, rolled_all: dict) -> tuple[dict, dict]:
    """({part: [its cold piece, its warm piece]}, {part: its cold piece's cache key}): one cache
    round trip for the cold ones, and three queries per piece read (the step log for the current
    period only)."""
    reads, warm_qs, keys = {}, {}, {}
    viewer = viewer_of(user)
    for part, f in periods.items():
        rolled, warm = split_days(f, rolled_all)
        with_log = part == "now"
        if rolled:

            def cold(f=f, rolled=rolled):
                return _complained(f, user, rolled)

            # With or without the step log, the same query makes two pieces.
            prefix = "dash:complaints+log" if with_log else "dash:complaints"
            keys[part] = piece_key(prefix, cold, rolled, (viewer, f))
            reads[keys[part]] = lambda cold=cold, log=with_log: _read_piece(cold(), with_log=log)
        if warm:
            warm_qs[part] = _complained(f, user, warm)
    cold = exact_cache.read_through(reads, "dashboard complaint pieces")
    pieces = {
        part: [
            cold[keys[part]] if part in keys else ComplaintPiece(),
            _read_piece(warm_qs[part], with_log=part == "now")
            if part in warm_qs
            else ComplaintPiece(),
        ]
        for part in periods
    }
    return pieces, keys


def _retained(pieces: dict[str, list], cold_keys: dict[str, str]) -> dict[str, int]:
    """{part: distinct customers with a recovered complaint and a later record (not itself a
    complaint's) within RETENTION_DAYS of its closing}.

    A cold piece's pairs already found retained are kept in the cache under its key and the
    RetentionMark token, which changes when a record that retains could stop counting; until
    then they stay retained, so only the others and the warm pieces' pairs are checked, in one
    query (_later_records). What it finds retained among a cold piece's pairs is added to them."""
    token = rollups.retention_token()
    kept_keys = {
        part: exact_cache.key_of("dash:retained", key, token) for part, key in cold_keys.items()
    }
    kept = exact_cache.get_many(list(kept_keys.values()), "dashboard retained pairs")
    customers = {part: set() for part in pieces}
    checks = []  # (part, the pair's index in its cold piece or None when warm, customer, µs)
    for part, (cold, warm) in pieces.items():
        found_before = kept.get(kept_keys.get(part), frozenset())
        for n, (customer, closed_us) in enumerate(cold.recovered_pairs):
            if n in found_before:
                customers[part].add(customer)
            else:
                checks.append((part, n, customer, closed_us))
        checks.extend(
            (part, None, customer, closed_us) for customer, closed_us in warm.recovered_pairs
        )
    newly: dict[str, set] = {}
    for k in _later_records([(customer, at) for _, _, customer, at in checks]):
        part, n, customer, _at = checks[k]
        customers[part].add(customer)
        if n is not None:
            newly.setdefault(part, set()).add(n)
    if newly:
        exact_cache.set_many(
            {
                kept_keys[part]: kept.get(kept_keys[part], frozenset()) | found
                for part, found in newly.items()
            },
            "dashboard retained pairs",
        )
    return {part: len(found) for part, found in customers.items()}


def _later_records(pairs: list[tuple[int, int]]) -> list[int]:
    """The indexes of the (customer, closed µs) pairs whose customer has a record (not itself a
    complaint's) made within RETENTION_DAYS after the closing: one query, the pairs sent as two
    integer array literals (servicedesk.core.pg_arrays)."""
    if not pairs:
        return []
    customers, closed = array("q"), array("q")
    for customer, closed_us in pairs:
        customers.append(customer)
        closed.append(closed_us)
    sql = """
        SELECT p.n - 1
        FROM unnest(%s::bigint[], %s::bigint[]) WITH ORDINALITY AS p(customer, at_us, n),
             LATERAL (SELECT 'epoch'::timestamptz + p.at_us * interval '1 microsecond') AS c(closed)
        WHERE EXISTS (
            SELECT 1 FROM tickets_servicerecord r
            WHERE r.customer_id = p.customer
              AND r.created_at > c.closed AND r.created_at <= c.closed + %s
              AND NOT EXISTS (SELECT 1 FROM tickets_complaint x WHERE x.record_id = r.id)
        )
    """
    params = [int_array(customers), int_array(closed), timedelta(days=RETENTION_DAYS)]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]


def _average_time_in_step(pieces: list[ComplaintPiece], now: datetime) -> dict:
    """{step: average timedelta}, the open intervals run to `now`."""
    now_us = (now - EPOCH) // timedelta(microseconds=1)
    out = {}
    for step in STEPS:
        logs = [p.step_log[step] for p in pieces if step in p.step_log]
        entered = sum(log[1] for log in logs)
        if entered:
            total = sum(log[0] + log[2] * now_us - log[3] for log in logs)
            out[step] = timedelta(microseconds=total) / entered
    return out


def figures(periods: dict[str, Filters], user, rolled_all: dict, now: datetime) -> dict:
    """{part: complaint_figures' counts of that part, with the actions' "overdue" and
    "surprise" counted}, and for "now" its "_steps" and "_average_time_in_step"."""
    with joins_by_key():  # for the complaints' reads: each record by its key
        pieces, cold_keys = _pieces(periods, user, rolled_all)
    retained = _retained(pieces, cold_keys)
    today = timezone.localdate(now).toordinal()
    out = {}
    for part, (cold, warm) in pieces.items():
        overdue = sum(bisect_left(p.open_due, today) for p in (cold, warm))
        out[part] = {
            "complaints": cold.complaints + warm.complaints,
            "closed": cold.closed + warm.closed,
            "recovered": cold.recovered + warm.recovered,
            "complainants": union_size(cold.complainants, warm.complainants),
            "recovered_customers": union_size(cold.recovered_customers, warm.recovered_customers),
            "retained": retained[part],
            "overdue": overdue,
            "surprise": overdue + cold.done_late + warm.done_late,
        }
    now_pieces = pieces["now"]
    out["now"]["_steps"] = {s: sum(p.steps.get(s, 0) for p in now_pieces) for s in ALL_STEPS}
    out["now"]["_average_time_in_step"] = _average_time_in_step(now_pieces, now)
    return out


def records_and_complaints(
    f: Filters, user, now: datetime, rolled_all: dict | None = None
) -> dict[str, dict]:
    """kpis._records_pass' answer on PostgreSQL: {part: the records' figures (record_pieces)
    and the complaints' counts}, both from cold pieces and warm ones over the same days
    (`rolled_all`: both periods' roll stamps, read here if not given)."""
    periods = {"now": f, "before": f.previous()}
    rolled_all = period_stamps(periods) if rolled_all is None else rolled_all
    records = period_figures(periods, user, now, rolled_all)
    out = figures(periods, user, rolled_all, now)
    for part, values in out.items():
        kept = records[part]
        values |= {"records": kept["records"], "customers_served": kept["customers_served"]}
        values["figures"] = kept
    return out
