"""When a visit is due: pure functions over the work calendar, tested with plain datetimes.

A visit is due at a moment that is business time (the desk's calendar, make-up working days
included) and, where the customer gave them, inside their preferred contact hours. Its window
then stays open for a number of working days; retries after "not reached" back off inside it.
"""

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from tickets.business_time import MAX_DAYS, WorkCalendar, add_business_minutes

# Periods of periodic rules are counted from this Monday, so "every 30 days" has the same
# boundaries whichever day the scan first ran.
PERIOD_EPOCH = date(2024, 1, 1)


@dataclass(frozen=True)
class ContactHours:
    start: time | None = None
    end: time | None = None

    @property
    def given(self) -> bool:
        return self.start is not None and self.end is not None and self.end > self.start


def day_minutes(calendar: WorkCalendar) -> int:
    start = datetime.combine(date.min, calendar.day_start)
    return int((datetime.combine(date.min, calendar.day_end) - start).total_seconds() // 60)


def next_slot(moment: datetime, calendar: WorkCalendar, hours: ContactHours) -> datetime:
    """The earliest moment at or after `moment` in business time and inside the contact hours.

    Contact hours that never overlap the working day (a customer reachable only at 20:00 by a desk
    closing at 18:00) are ignored rather than pushing the visit out for ever."""
    if moment.tzinfo is None:
        raise ValueError("moment must be timezone-aware")
    opens, closes = calendar.day_start, calendar.day_end
    if hours.given and max(opens, hours.start) < min(closes, hours.end):
        opens, closes = max(opens, hours.start), min(closes, hours.end)
    tz = ZoneInfo(calendar.time_zone)
    cursor = moment.astimezone(tz)
    day = cursor.date()
    for _ in range(MAX_DAYS):
        if calendar.is_working_day(day):
            start = max(cursor, datetime.combine(day, opens, tz))
            if start < datetime.combine(day, closes, tz):
                return start
        day += timedelta(days=1)
        cursor = datetime.combine(day, time(0, 0), tz)
    raise ValueError("the calendar has no working time in the next ten years")


def window_from(
    due: datetime, window_days: int, calendar: WorkCalendar
) -> tuple[datetime, datetime]:
    """(due, end of its window): the window lasts `window_days` working days of business time."""
    return due, add_business_minutes(due, window_days * day_minutes(calendar), calendar)


def after_working_days(
    start: datetime, days: int, calendar: WorkCalendar, hours: ContactHours
) -> datetime:
    """`days` working days of business time after `start`, moved into the contact hours."""
    moved = add_business_minutes(start, days * day_minutes(calendar), calendar)
    return next_slot(moved, calendar, hours)


def start_of_day(day: date, calendar: WorkCalendar) -> datetime:
    return datetime.combine(day, time(0, 0), ZoneInfo(calendar.time_zone))


def last_working_day(day: date, calendar: WorkCalendar) -> date:
    """`day` itself if worked, else the working day before it (a greeting goes out before the
    festival's days off, not after them)."""
    for _ in range(MAX_DAYS):
        if calendar.is_working_day(day):
            return day
        day -= timedelta(days=1)
    raise ValueError("the calendar has no working day in the last ten years")


def period_start(today: date, interval_days: int) -> date:
    elapsed = (today - PERIOD_EPOCH).days
    return PERIOD_EPOCH + timedelta(days=elapsed - elapsed % interval_days)


def periodic_due_day(
    period: date, *, interval_days: int, delay_days: int, customer_id: int
) -> date:
    """Which day of the period a customer's periodic visit falls on: spread over the period by
    customer, so a tier of thousands does not all fall due on its first morning."""
    return period + timedelta(days=(delay_days + customer_id) % interval_days)


def retry_at(
    now: datetime,
    *,
    attempt: int,
    retry_minutes: int,
    window_end: datetime,
    calendar: WorkCalendar,
    hours: ContactHours,
) -> datetime:
    """When to try again after attempt number `attempt` was not reached: the wait doubles each
    time, and halves again when the full wait would leave the window; a window already closed
    leaves the visit due now (due_at never passes window_end)."""
    wait = retry_minutes * 2 ** max(attempt - 1, 0)
    while wait >= 15:
        candidate = next_slot(now + timedelta(minutes=wait), calendar, hours)
        if candidate < window_end:
            return candidate
        wait //= 2
    return min(now, window_end)
