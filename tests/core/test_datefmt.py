"""The compiled date formats print exactly what Django's date_format prints."""

from datetime import UTC, date, datetime, timedelta

import pytest
from django.utils import formats, translation

from servicedesk.core import datefmt

NAMES = ["SHORT_DATETIME_FORMAT", "SHORT_DATE_FORMAT", "DATETIME_FORMAT", "DATE_FORMAT"]


@pytest.mark.parametrize("language", ["en", "zh-hans"])
@pytest.mark.parametrize("name", NAMES)
def test_every_minute_of_a_day_and_every_day_of_a_year_read_as_in_django(language, name):
    start = datetime(2024, 1, 1, tzinfo=UTC)
    moments = [start + timedelta(minutes=m) for m in range(24 * 60)]
    moments += [start + timedelta(days=d, hours=d % 24, minutes=d % 60) for d in range(366)]
    with translation.override(language):
        for moment in moments:
            assert datefmt.date_format(moment, name) == formats.date_format(moment, name)


def test_a_format_with_characters_it_does_not_compile_is_left_to_django():
    value = datetime(2025, 3, 9, 17, 5, tzinfo=UTC)
    for fmt in ("D, d M Y", r"\Y\e\s: Y", "l jS F Y h:i A", "U"):
        assert datefmt.date_format(value, fmt) == formats.date_format(value, fmt)


def test_dates_without_a_time():
    with translation.override("zh-hans"):
        assert datefmt.date_format(date(2025, 3, 9), "SHORT_DATE_FORMAT") == "2025年3月9日"
