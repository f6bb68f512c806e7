"""Whole days as moments: the one rule for turning a range of calendar days into the aware
datetimes a query on a timestamp's index can use."""

from datetime import date, datetime, time, timedelta

from django.utils import timezone


def day_bounds(since: date, until: date, tz=None) -> tuple[datetime, datetime]:
    """[start of `since`, start of the day after `until`) in `tz` (the user's by default)."""
    tz = tz or timezone.get_current_timezone()
    return (
        timezone.make_aware(datetime.combine(since, time.min), tz),
        timezone.make_aware(datetime.combine(until + timedelta(days=1), time.min), tz),
    )


def day_runs(days) -> list[tuple[date, date]]:
    """Days merged into sorted, inclusive runs of consecutive days: one range condition per run
    instead of one per day (the rollups' rolled and live days)."""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and runs[-1][1] + timedelta(days=1) == day:
            runs[-1][1] = day
        else:
            runs.append([day, day])
    return [(a, b) for a, b in runs]
