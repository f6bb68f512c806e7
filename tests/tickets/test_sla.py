from datetime import UTC, date, datetime, time
from zoneinfo import ZoneInfo

import pytest

from tests.tickets.factories import CalendarFactory, HolidayFactory, PolicyFactory
from tickets import services
from tickets.business_time import WorkCalendar, add_business_minutes

SH = ZoneInfo("Asia/Shanghai")
CAL = WorkCalendar()  # Mon–Fri 09:00–18:00 Asia/Shanghai


def at(y, m, d, hh, mm=0):
    return datetime(y, m, d, hh, mm, tzinfo=SH)


def test_add_business_minutes_within_a_day():
    assert add_business_minutes(at(2026, 3, 4, 10), 120, CAL) == at(2026, 3, 4, 12)


def test_add_business_minutes_across_evening():
    # Wednesday 17:00 + 2 h: one hour today, one tomorrow from opening.
    assert add_business_minutes(at(2026, 3, 4, 17), 120, CAL) == at(2026, 3, 5, 10)


def test_add_business_minutes_across_a_weekend():
    # Friday 16:00 + 4 h: two hours Friday, the weekend does not count, two hours Monday.
    assert add_business_minutes(at(2026, 3, 6, 16), 240, CAL) == at(2026, 3, 9, 11)


def test_add_business_minutes_started_on_a_saturday_starts_monday():
    assert add_business_minutes(at(2026, 3, 7, 11), 30, CAL) == at(2026, 3, 9, 9, 30)


def test_add_business_minutes_across_a_weekend_and_a_holiday():
    # Friday 30 Apr 2026 17:00, then the weekend and Labour Day on Mon 4 and Tue 5 May.
    cal = WorkCalendar(holidays=frozenset({date(2026, 5, 4), date(2026, 5, 5)}))
    assert add_business_minutes(datetime(2026, 5, 1, 17, tzinfo=SH), 120, cal) == at(2026, 5, 6, 10)


def test_make_up_working_day_counts():
    # Sunday 10 May 2026 declared a working day (调休).
    cal = WorkCalendar(make_up_days=frozenset({date(2026, 5, 10)}))
    assert add_business_minutes(at(2026, 5, 8, 17), 120, cal) == at(2026, 5, 10, 10)


def test_utc_input_is_counted_in_calendar_time():
    # 01:00 UTC is 09:00 in Shanghai.
    start = datetime(2026, 3, 4, 1, 0, tzinfo=UTC)
    assert add_business_minutes(start, 60, CAL) == at(2026, 3, 4, 10)


def test_naive_start_is_refused():
    with pytest.raises(ValueError):
        add_business_minutes(datetime(2026, 3, 4, 10), 60, CAL)  # noqa: DTZ001


@pytest.mark.django_db
def test_record_targets_use_the_calendar_holidays_from_the_database(category):
    calendar = CalendarFactory()
    HolidayFactory(calendar=calendar, date=date(2026, 10, 1), name="National Day")
    PolicyFactory(first_response_minutes=60, resolution_minutes=540, calendar=calendar)
    # Wednesday 30 Sep 17:30: 30 minutes today, Thursday is the holiday, then Friday.
    first, resolution = services.record_targets(
        priority="normal",
        tier="regular",
        category_id=category.pk,
        start=at(2026, 9, 30, 17, 30),
        agreed_date=None,
    )
    assert first == at(2026, 10, 2, 9, 30)
    assert resolution == at(2026, 10, 2, 17, 30)


@pytest.mark.django_db
def test_most_specific_policy_wins(category):
    PolicyFactory(name="any", first_response_minutes=240, resolution_minutes=2000)
    PolicyFactory(name="urgent", priority="urgent", first_response_minutes=30)
    best = PolicyFactory(
        name="urgent key", priority="urgent", customer_tier="key", first_response_minutes=10
    )
    PolicyFactory(name="category", category=category, first_response_minutes=20)
    assert (
        services.target_policy_for(priority="urgent", tier="key", category_id=category.pk) == best
    )
    chosen = services.target_policy_for(priority="low", tier="regular", category_id=category.pk)
    assert chosen.name == "category"


@pytest.mark.django_db
def test_scheduled_service_is_due_at_close_of_the_agreed_day(category):
    PolicyFactory()
    _first, resolution = services.record_targets(
        priority="normal",
        tier="regular",
        category_id=category.pk,
        start=at(2026, 3, 2, 10),
        agreed_date=date(2026, 3, 12),
    )
    assert resolution == datetime.combine(date(2026, 3, 12), time(18), SH)
