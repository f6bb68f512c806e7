"""Daily sums of the records for the dashboard's breakdowns (per week, stage and department),
kept as surveys.rollups keeps the answers'.

A closed day (desk time zone, an hour after it ends: surveys.rollups.last_closed_day) is summed
once into RecordDay per stage and audience, and RecordRolledDay marks it. A read takes the rolled
days from the sums and counts every other day (today, a day a change reopened, a day the beat has
not reached) from the records, so the breakdowns are exact whether or not the beat has run.

A record saved or deleted, or a complaint made or deleted, reopens its record's day after commit
(servicedesk.dashboard.apps); rolling a day and reopening it take the same advisory lock, so a
change made while its day is summed is never lost.

Only counts are summed. The headline's distinct customers, time percentiles and target
compliance (which turns on `now`) cannot be added up from days and are counted live
(kpis._records_pass); the agent, category and tier filters are not in the sums either, so a
breakdown with one of them counts the records throughout.
"""

import json
import secrets
from datetime import date, datetime, timedelta

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Min, Q, QuerySet, Sum, TextField
from django.db.models.functions import Cast, TruncWeek
from django.utils import timezone

from servicedesk.core.periods import day_bounds, day_runs
from surveys.rollups import last_closed_day
from tickets.models import ServiceRecord
from tickets.visibility import audience_visible, department_key

from .filters import Filters, records_in
from .models import RecordDay, RecordRolledDay, RetentionMark

ROLL_PER_RUN = 60  # days summed per beat run, newest first
_LOCK_SPACE = 0x5D42  # pg_advisory_xact_lock(space, day ordinal): surveys.rollups uses 0x5D41


def _desk_tz():
    return timezone.get_default_timezone()


def _lock(day: date) -> None:
    """Serialise rolling a day with reopening it (PostgreSQL; SQLite serialises every write)."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s, %s)", [_LOCK_SPACE, day.toordinal()])


# --- rolling and reopening ------------------------------------------------------------------------


def roll_day(day: date) -> int:
    """Sum one day again from its records (idempotent); returns the records summed."""
    start, end = day_bounds(day, day, _desk_tz())
    with transaction.atomic():
        _lock(day)
        RecordDay.objects.filter(day=day).delete()
        rows = list(
            ServiceRecord.objects.filter(created_at__gte=start, created_at__lt=end)
            .values("stage", "audience")
            .annotate(records=Count("pk"), complaints=Count("complaint"))
            .order_by()
        )
        RecordDay.objects.bulk_create(RecordDay(day=day, **row) for row in rows)
        RecordRolledDay.objects.update_or_create(day=day, defaults={"rolled_at": timezone.now()})
    return sum(row["records"] for row in rows)


def days_to_roll(now: datetime | None = None, limit: int = ROLL_PER_RUN) -> list[date]:
    """Closed days not yet rolled, from the first record on, newest first: two queries."""
    first = ServiceRecord.objects.aggregate(first=Min("created_at"))["first"]
    if first is None:
        return []
    since, until = timezone.localtime(first, _desk_tz()).date(), last_closed_day(now)
    rolled = set(
        RecordRolledDay.objects.filter(day__range=(since, until)).values_list("day", flat=True)
    )
    days = []
    day = until
    while day >= since and len(days) < limit:
        if day not in rolled:
            days.append(day)
        day -= timedelta(days=1)
    return days


def roll_pending(now: datetime | None = None, limit: int = ROLL_PER_RUN) -> int:
    """The beat's sweep: rolls up to `limit` closed days; returns how many it rolled."""
    days = days_to_roll(now, limit)
    for day in days:
        roll_day(day)
    return len(days)


def desk_day(moment: datetime) -> date:
    return timezone.localtime(moment, _desk_tz()).date()


def reopen(created_at: datetime) -> None:
    """A record created at this moment changed: its day is counted from the records until rolled
    again. Runs after the change commits, under the day's lock, so a roll in progress that
    missed the change finishes first and is then undone."""
    day = desk_day(created_at)
    if day > last_closed_day():
        return  # not rolled yet, nothing to undo

    def undo():
        with transaction.atomic():
            _lock(day)
            RecordRolledDay.objects.filter(day=day).delete()

    transaction.on_commit(undo)


def retention_moved() -> None:
    """A record that may have retained a complainant stopped counting (models.RetentionMark):
    a new token once the change commits, so the retained pairs kept under the old one are no
    longer read."""

    def mark():
        token = secrets.randbits(63)
        RetentionMark.objects.bulk_create(
            [RetentionMark(pk=1, token=token)],
            update_conflicts=True,
            unique_fields=["id"],
            update_fields=["token"],
        )

    transaction.on_commit(mark)


def retention_token() -> int:
    """The current RetentionMark token (0 before the first change)."""
    return RetentionMark.objects.filter(pk=1).values_list("token", flat=True).first() or 0


# --- reading --------------------------------------------------------------------------------------


def _days_q(spans) -> Q:
    q = Q(pk__in=[])
    for a, b in spans:
        q |= Q(day__range=(a, b))
    return q


def moments_q(spans, field: str = "created_at") -> Q:
    """`field` falls on one of the runs of desk days `spans` (periods.day_runs)."""
    q = Q(pk__in=[])
    for a, b in spans:
        start, end = day_bounds(a, b)
        q |= Q(**{f"{field}__gte": start, f"{field}__lt": end})
    return q


def summable(f: Filters) -> bool:
    """Whether the sums can answer: the filters they hold (department, stage), and days that
    are the desk's (a user in another time zone has days starting at other hours)."""
    same_days = timezone.get_current_timezone_name() == settings.TIME_ZONE
    return same_days and not (f.agent_id or f.category_id or f.tier)


def week_parts(
    f: Filters, user, rolled_all: dict | None = None
) -> tuple[QuerySet | None, dict[date, datetime], QuerySet | None]:
    """The period's records and complaints grouped by week (its Monday), stage and audience
    (group_query's rows), in two parts: (the rolled days' sums, {rolled day: when rolled},
    every other day's records), either part None when it has no days. One query, for the roll
    marks unless `rolled_all` holds them ({day: when rolled}, a span covering the period); the
    parts are read by the caller. Only when summable(f)."""
    since, until = f.period.since, f.period.until
    if rolled_all is None:
        marks = RecordRolledDay.objects.filter(day__range=(since, until))
        rolled_all = dict(marks.values_list("day", "rolled_at"))
    rolled = {day: at for day, at in rolled_all.items() if since <= day <= until}
    every = (since + timedelta(days=n) for n in range((until - since).days + 1))
    live = day_runs(d for d in every if d not in rolled)
    cold = warm = None
    if rolled:
        sums = audience_visible(RecordDay.objects.filter(_days_q(day_runs(rolled))), user)
        cold = group_query(_narrowed(sums, f), TruncWeek("day"), Sum("records"), Sum("complaints"))
    if live:
        warm = records_by_week(records_in(f, user).filter(moments_q(live)))
    return cold, rolled, warm


def records_by_week(records: QuerySet) -> QuerySet:
    """group_query over records themselves, by their week in the current time zone."""
    week = TruncWeek("created_at", tzinfo=timezone.get_current_timezone())
    return group_query(records, week, Count("pk"), Count("complaint"))


def _narrowed(sums: QuerySet, f: Filters) -> QuerySet:
    """The sums narrowed as filters.narrow_records narrows the records (department by the
    audience, as the record list does; stage)."""
    if f.department_id:
        sums = sums.filter(audience__has_key=department_key(f.department_id))
    return sums.filter(stage=f.stage) if f.stage else sums


def group_query(qs: QuerySet, week, records, complaints) -> QuerySet:
    """Rows of (week, stage, audience_text) with their records and complaints. The audience is
    grouped as text: comparing JSON values to sort or hash them costs several times more."""
    return (
        qs.annotate(week=week, audience_text=Cast("audience", TextField()))
        .values("week", "stage", "audience_text")
        .annotate(records=records, complaints=complaints)
        .order_by()
    )


def read_rows(part: QuerySet) -> list[dict]:
    """group_query's rows with the week as a date and the audience as keys."""
    rows = list(part)
    for row in rows:
        if isinstance(row["week"], datetime):
            row["week"] = timezone.localdate(row["week"])
        row["audience"] = json.loads(row.pop("audience_text"))
    return rows
