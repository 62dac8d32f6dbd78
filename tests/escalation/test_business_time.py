"""Business-time arithmetic across nights, weekends, holidays, split shifts and DST changes."""

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from foundation.business_time import ALWAYS_OPEN, Calendar, CalendarError, parse_ical_holidays

BERLIN = ZoneInfo("Europe/Berlin")
NINE_TO_FIVE = {day: [(time(9), time(17))] for day in range(5)}
OFFICE = Calendar(time_zone="Europe/Berlin", weekly=NINE_TO_FIVE)
HOUR = 3600
# Pure arithmetic on explicit instants; the clock is pinned anyway so nothing here can read today.
pytestmark = pytest.mark.travel(datetime(2026, 11, 24, 12, 0, tzinfo=UTC))


def berlin(*args: int) -> datetime:
    return datetime(*args, tzinfo=BERLIN)  # type: ignore[misc, arg-type]


def test_within_the_same_day() -> None:
    assert OFFICE.add(berlin(2026, 11, 24, 10, 0), 2 * HOUR) == berlin(2026, 11, 24, 12, 0)


def test_across_a_night() -> None:
    assert OFFICE.add(berlin(2026, 11, 24, 16, 0), 2 * HOUR) == berlin(2026, 11, 25, 10, 0)


def test_across_a_weekend() -> None:
    friday_afternoon = berlin(2026, 11, 27, 16, 30)
    assert OFFICE.add(friday_afternoon, 1 * HOUR) == berlin(2026, 11, 30, 9, 30)
    assert OFFICE.elapsed(friday_afternoon, berlin(2026, 11, 30, 9, 30)) == HOUR


def test_starting_outside_hours_counts_from_the_next_opening() -> None:
    saturday = berlin(2026, 11, 28, 13, 0)
    assert OFFICE.add(saturday, 15 * 60) == berlin(2026, 11, 30, 9, 15)
    assert OFFICE.add(berlin(2026, 11, 24, 6, 0), 60) == berlin(2026, 11, 24, 9, 1)


def test_holidays_are_skipped() -> None:
    with_holiday = Calendar(time_zone="Europe/Berlin", weekly=NINE_TO_FIVE, holidays=frozenset({date(2026, 12, 24), date(2026, 12, 25)}))
    assert with_holiday.add(berlin(2026, 12, 23, 16, 0), 2 * HOUR) == berlin(2026, 12, 28, 10, 0)
    assert with_holiday.elapsed(berlin(2026, 12, 23, 0, 0), berlin(2026, 12, 27, 0, 0)) == 8 * HOUR


def test_split_shifts() -> None:
    split = Calendar(time_zone="Europe/Berlin", weekly={0: [(time(9), time(12)), (time(13), time(17))]})
    monday = berlin(2026, 11, 23, 11, 0)
    assert split.add(monday, 2 * HOUR) == berlin(2026, 11, 23, 14, 0)
    assert split.elapsed(monday, berlin(2026, 11, 23, 14, 0)) == 2 * HOUR
    assert not split.is_open(berlin(2026, 11, 23, 12, 30)) and split.is_open(berlin(2026, 11, 23, 13, 0))


def test_dst_spring_forward_day_has_one_hour_less() -> None:
    # 29 March 2026: clocks jump from 02:00 to 03:00 in Berlin.
    sundays = Calendar(time_zone="Europe/Berlin", weekly={6: [(time(0), time(0))]})
    assert sundays.elapsed(berlin(2026, 3, 29, 0, 0), berlin(2026, 3, 30, 0, 0)) == 23 * HOUR
    night = Calendar(time_zone="Europe/Berlin", weekly={6: [(time(1), time(4))]})
    assert night.elapsed(berlin(2026, 3, 28, 0, 0), berlin(2026, 3, 30, 0, 0)) == 2 * HOUR
    assert night.add(berlin(2026, 3, 29, 1, 30), HOUR) == datetime(2026, 3, 29, 1, 30, tzinfo=UTC)  # 03:30 CEST


def test_dst_fall_back_day_has_one_hour_more() -> None:
    sundays = Calendar(time_zone="Europe/Berlin", weekly={6: [(time(0), time(0))]})
    assert sundays.elapsed(berlin(2026, 10, 25, 0, 0), berlin(2026, 10, 26, 0, 0)) == 25 * HOUR


def test_opening_hours_follow_the_wall_clock_after_dst() -> None:
    before = OFFICE.add(berlin(2026, 3, 27, 16, 0), 2 * HOUR)  # Friday before the change
    assert before == berlin(2026, 3, 30, 10, 0)
    assert before.astimezone(UTC).hour == 8  # CEST: UTC+2


def test_elapsed_and_add_are_inverse() -> None:
    start = berlin(2026, 11, 20, 15, 17)
    for seconds in (1, 59 * 60, 8 * HOUR, 41 * HOUR + 5):
        assert OFFICE.elapsed(start, OFFICE.add(start, seconds)) == pytest.approx(seconds)


def test_always_open_is_plain_time() -> None:
    start = datetime(2026, 11, 28, 23, 0, tzinfo=UTC)
    assert ALWAYS_OPEN.add(start, 2 * HOUR) == start + timedelta(hours=2)


def test_bad_calendars_and_naive_datetimes_are_refused() -> None:
    with pytest.raises(CalendarError, match="opening hours"):
        Calendar(time_zone="UTC", weekly={})
    with pytest.raises(CalendarError, match="ends before"):
        Calendar(weekly={0: [(time(17), time(9))]})
    with pytest.raises(CalendarError, match="timezone-aware"):
        OFFICE.add(datetime(2026, 1, 1, 10, 0), 60)
    with pytest.raises(Exception):  # noqa: B017 - ZoneInfo's own error type
        Calendar(time_zone="Mars/Olympus", always_open=True)


def test_ical_holidays_are_parsed_with_multi_day_events_and_folding() -> None:
    ics = (
        "BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20261224\r\nDTEND;VALUE=DATE:20261227\r\n"
        "SUMMARY:Christmas\r\n  break\r\nEND:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART;VALUE=DATE:20270101\r\nSUMMARY:New Year\r\n"
        "END:VEVENT\r\nBEGIN:VEVENT\r\nDTSTART:garbage\r\nEND:VEVENT\r\nEND:VCALENDAR\r\n"
    )
    assert parse_ical_holidays(ics) == [
        (date(2026, 12, 24), "Christmas break"),
        (date(2026, 12, 25), "Christmas break"),
        (date(2026, 12, 26), "Christmas break"),
        (date(2027, 1, 1), "New Year"),
    ]
