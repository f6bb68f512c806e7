"""Business-time arithmetic: pure functions, no database, so they are tested with plain datetimes.

A target of N business minutes started on Friday 17:00 with 09:00–18:00 working days ends on Monday
(or later, when Monday is a holiday): time only runs inside working hours on working days.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

MAX_DAYS = 3660  # ten years of calendar: a misconfigured calendar ends the loop instead of hanging


@dataclass(frozen=True)
class WorkCalendar:
    time_zone: str = "Asia/Shanghai"
    working_weekdays: frozenset[int] = frozenset({1, 2, 3, 4, 5})  # ISO: Monday = 1
    day_start: time = time(9, 0)
    day_end: time = time(18, 0)
    holidays: frozenset[date] = field(default_factory=frozenset)
    make_up_days: frozenset[date] = field(default_factory=frozenset)  # worked weekends (调休)

    def is_working_day(self, day: date) -> bool:
        if day in self.make_up_days:
            return True
        return day.isoweekday() in self.working_weekdays and day not in self.holidays


def add_business_minutes(start: datetime, minutes: int, calendar: WorkCalendar) -> datetime:
    """The aware datetime when `minutes` of business time have passed after `start`."""
    if start.tzinfo is None:
        raise ValueError("start must be timezone-aware")
    tz = ZoneInfo(calendar.time_zone)
    cursor = start.astimezone(tz)
    remaining = timedelta(minutes=minutes)
    day = cursor.date()
    for _ in range(MAX_DAYS):
        if calendar.is_working_day(day):
            opens = datetime.combine(day, calendar.day_start, tz)
            closes = datetime.combine(day, calendar.day_end, tz)
            cursor = max(cursor, opens)
            if cursor < closes:
                available = closes - cursor
                if remaining <= available:
                    return cursor + remaining
                remaining -= available
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0, 0), tz)
    raise ValueError("the calendar has no working time in the next ten years")


def end_of_business_day(day: date, calendar: WorkCalendar) -> datetime:
    """When a service promised for `day` must be done: the close of business that day."""
    return datetime.combine(day, calendar.day_end, ZoneInfo(calendar.time_zone))
