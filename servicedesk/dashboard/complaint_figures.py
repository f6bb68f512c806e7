"""The complaints' figures of both periods, each table read once for the two: the complaints
(counts, complainants, recovery, retention, the current period's steps), their actions (overdue,
surprise breaches) and their step log (average time in each step, as a window over the log rather
than a sub-query per change). The definitions are tickets.complaints' own."""

from dataclasses import replace
from datetime import datetime, timedelta

from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.models import BooleanField, Count, Exists, OuterRef, Q
from django.db.models.expressions import RawSQL
from django.utils import timezone

from servicedesk.core.pg_arrays import int_array
from servicedesk.core.selectors import rate
from tickets.complaints.models import (
    STEPS,
    Complaint,
    ComplaintAction,
    Outcome,
    Step,
    overdue_actions,
)
from tickets.complaints.rootcause.selectors import bone_counts, complaints_closed_in
from tickets.complaints.selectors import (
    SILENT_PER_COMPLAINT,
    WORD_OF_MOUTH,
    complaint_visible,
    surprise_breaches,
)
from tickets.models import ServiceRecord

from .filters import PARTS, Filters, narrow_records
from .record_figures import hours

RETENTION_DAYS = 365  # "a later record within 12 months"
ALL_STEPS = [*STEPS, Step.CLOSED]


def complaint_aggregates(when: Q) -> dict:
    """Aggregates over records (their complaint joined) of the complaints of the records `when`
    holds for: counts, complainants, recovery and retention after recovery."""
    later = ServiceRecord.objects.filter(
        customer_id=OuterRef("customer_id"),
        complaint__isnull=True,
        created_at__gt=OuterRef("complaint__closed_at"),
        created_at__lte=OuterRef("complaint__closed_at") + timedelta(days=RETENTION_DAYS),
    )
    complained = when & Q(complaint__isnull=False)
    closed = complained & Q(complaint__step=Step.CLOSED)
    recovered = closed & Q(complaint__outcome=Outcome.SATISFIED)
    return {
        "complaints": Count("complaint", filter=complained),
        "closed": Count("complaint", filter=closed),
        "recovered": Count("complaint", filter=recovered),
        "complainants": Count("customer_id", distinct=True, filter=complained),
        "recovered_customers": Count("customer_id", distinct=True, filter=recovered),
        # The EXISTS last: only recovered complaints pay for the look-up of a later record.
        "retained": Count("customer_id", distinct=True, filter=recovered & Exists(later)),
    }


def step_aggregates(when: Q) -> dict:
    """Complaints per step they are on now, of the records `when` holds for."""
    return {f"step_{s}": Count("complaint", filter=when & Q(complaint__step=s)) for s in ALL_STEPS}


def among(column: str, ids: list[int]) -> Q:
    """The action's complaint is one of `ids` (`column` names it in SQL)."""
    sql, params = in_ids(ids)
    # noqa below: `column` is a constant of this module and the ids are parameters.
    return Q(RawSQL(f"{column} {sql}", params, output_field=BooleanField()))  # noqa: S611


def _action_counts(ids: list[int]) -> tuple[int, int]:
    """(overdue, surprise breaches) of the actions of these complaints: one query over the
    surprise breaches, of which the overdue actions are the ones still open."""
    column = '"tickets_complaintaction"."complaint_id"'
    actions = surprise_breaches(ComplaintAction.objects.filter(among(column, ids)))
    row = actions.aggregate(overdue=Count("pk", filter=overdue_actions()), surprise=Count("pk"))
    return row["overdue"], row["surprise"]


def _seconds_sql(later: str, earlier: str) -> str:
    if connection.vendor == "postgresql":
        return f"({later} - {earlier})"  # an interval, summed exactly and read as a timedelta
    return f"((julianday({later}) - julianday({earlier})) * 86400.0)"


def in_ids(ids: list[int]) -> tuple[str, list]:
    """SQL for "is one of ids" (bigint columns) and its parameters: on PostgreSQL one array
    literal (servicedesk.core.pg_arrays), typed as the columns are: bigint = ANY(integer[]) can
    be neither an index condition nor hashed, and the step log's ids were then tested one by one
    against every complaint's log (35 ms at 100k records; as bigint[], 4 ms)."""
    if connection.vendor == "postgresql":
        return "= ANY(%s::bigint[])", [int_array(ids)]
    return "IN ({})".format(", ".join(["%s"] * len(ids)) or "NULL"), list(ids)


def step_log(ids: list[int]) -> tuple[str, list]:
    """SQL (and its parameters) for these complaints' step changes, each with the moment of the
    complaint's next change (next_at, NULL while it is still on that step)."""
    among, among_params = in_ids(ids)
    sql = f"""
        SELECT s.to_state, s.at,
               LEAD(s.at) OVER (PARTITION BY s.object_id ORDER BY s.at, s.id) AS next_at
        FROM core_statuschange s
        WHERE s.content_type_id = %s AND s.field = %s AND s.object_id {among}
    """  # noqa: S608 - only placeholders are pasted in; every value is a parameter
    return sql, [ContentType.objects.get_for_model(Complaint).pk, "step", *among_params]


def _time_in_steps(ids: list[int], now: datetime) -> dict:
    """{step: average timedelta} from the step log of these complaints: each change runs until
    the complaint's next one (or now), a step taken twice after a loop counted each time, as
    servicedesk.core.selectors.time_in_states counts it; one window over the log, read through
    statuschange_object_idx by the complaints' ids (a join to the records instead walks the
    whole flow's log and looks up a record per change)."""
    spent = _seconds_sql("COALESCE(next_at, %s)", "at")
    log, log_params = step_log(ids)
    # noqa below: only placeholders are pasted in; every value is a parameter.
    sql = f"SELECT to_state, SUM({spent}), COUNT(*) FROM ({log}) AS log GROUP BY to_state"  # noqa: S608
    params = [connection.ops.adapt_datetimefield_value(now), *log_params]
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        rows = cursor.fetchall()
    out = {}
    for step, total, entered in rows:
        if step in STEPS and entered:
            total = total if isinstance(total, timedelta) else timedelta(seconds=float(total))
            out[step] = total / entered
    return out


def complaint_figures(
    *, counts: dict, ids: dict[str, list[int]], now: datetime | None = None
) -> dict[str, dict]:
    """{"now": figures, "before": the previous period's}, from `counts` (by part: the records'
    and complaint_aggregates' values, read in the records' pass) and `ids` (by part, the
    complaints'): the complaint rate beside
    complaints per 1,000 records, recovery, retention after recovery, overdue actions, surprise
    breaches and the TARP estimates. Three more queries (each period's actions, the current
    period's step log), none where `counts` holds them already (complaint_pieces' "overdue",
    "surprise" and "_average_time_in_step"); "now" also holds "_average_time_in_step"."""
    now = now or timezone.now()
    out = {}
    for part in PARTS:
        c = counts[part]
        total, unrecovered = c["complaints"], c["closed"] - c["recovered"]
        if "overdue" in c:  # counted already (complaint_pieces)
            overdue, surprises = c["overdue"], c["surprise"]
        else:
            overdue, surprises = _action_counts(ids[part])
        low, high = (n * unrecovered for n in WORD_OF_MOUTH)
        out[part] = {
            "complaints": total,
            "complaint_rate": rate(c["complainants"], c["customers_served"]),
            "complaints_per_1000": (
                round(total / c["records"] * 1000, 1) if c["records"] else None
            ),
            "recovery_rate": rate(c["recovered"], c["closed"]),
            "retention_after_recovery": rate(c["retained"], c["recovered_customers"]),
            "overdue_actions": overdue,
            "surprise_breaches": surprises,
            "estimated_silent_dissatisfied": total * SILENT_PER_COMPLAINT,
            "estimated_word_of_mouth_low": low,
            "estimated_word_of_mouth_high": high,
        }
    averages = counts["now"].get("_average_time_in_step")
    out["now"]["_average_time_in_step"] = (
        averages if averages is not None else _time_in_steps(ids["now"], now)
    )
    return out


def complaints_by_step(steps: dict, average_time: dict) -> list[dict]:
    """Complaints by the step they are on now, with the average time spent in each step."""
    labels = dict(Step.choices)
    return [
        {
            "step": step,
            "label": str(labels[step]),
            "count": steps.get(step, 0),
            "average_hours": (
                hours(average_time[step].total_seconds()) if step in average_time else None
            ),
        }
        for step in ALL_STEPS
    ]


def fishbone(f: Filters, user) -> list[dict]:
    """The fishbone's counts as tickets' own fishbone page counts them (rootcause.selectors
    .complaints_closed_in): complaints closed in the period, by their responsible department,
    with a filed cause on each bone; the other filters narrow by the complaint's record."""
    start, end = f.period.bounds()
    visible = narrow_records(
        complaint_visible(user), replace(f, department_id=None), prefix="record__"
    )
    closed = complaints_closed_in(visible, since=start, until=end, department_id=f.department_id)
    return [{"bone_id": b.pk, "label": b.name, "count": b.n} for b in bone_counts(closed)]
