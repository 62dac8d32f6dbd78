"""Business-time arithmetic: add working seconds to an instant, measure working time between two.

Pure Python (no Django). A calendar has a time zone, weekly opening intervals (several per
day for split shifts), holiday dates, or is open 24×7. Opening hours are wall-clock times
in the calendar's zone; every computation converts the day's intervals to UTC first, so a
DST change shortens or lengthens that day's working time exactly as the wall clock does.
(Comparing aware datetimes that share one ZoneInfo compares wall time, which is why
nothing here compares local datetimes.)
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from foundation.parsing import parse_int

MAX_DAYS = 3 * 366  # a calendar open less than once in three years is a configuration error


class CalendarError(ValueError):
    pass


@dataclass(frozen=True)
class Calendar:
    time_zone: str = "UTC"
    weekly: Mapping[int, Sequence[tuple[time, time]]] = field(default_factory=dict)  # Monday = 0
    holidays: frozenset[date] = frozenset()
    always_open: bool = False

    def __post_init__(self) -> None:
        ZoneInfo(self.time_zone)  # raises for an unknown zone
        for weekday, intervals in self.weekly.items():
            if not 0 <= weekday <= 6:
                raise CalendarError(f"weekday {weekday} is not 0 (Monday) … 6 (Sunday)")
            for start, end in intervals:
                if end <= start and end != time(0):
                    raise CalendarError(f"interval {start}–{end} ends before it starts")
        if not self.always_open and not any(self.weekly.values()):
            raise CalendarError("a calendar needs opening hours or 24×7")

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.time_zone)

    def intervals_on(self, day: date) -> list[tuple[datetime, datetime]]:
        """The day's opening intervals as UTC instants (empty on holidays)."""
        if day in self.holidays:
            return []
        zone = self.zone
        result = []
        for start, end in sorted(self.weekly.get(day.weekday(), ())):
            opens = datetime.combine(day, start, tzinfo=zone).astimezone(UTC)
            # 00:00 as an end means midnight at the end of the day.
            closes_day = day + timedelta(days=1) if end == time(0) else day
            closes = datetime.combine(closes_day, end, tzinfo=zone).astimezone(UTC)
            if closes > opens:
                result.append((opens, closes))
        return result

    def _intervals_from(self, instant: datetime) -> Iterator[tuple[datetime, datetime]]:
        day = instant.astimezone(self.zone).date() - timedelta(days=1)  # yesterday may run past midnight
        for offset in range(MAX_DAYS):
            yield from self.intervals_on(day + timedelta(days=offset))
        raise CalendarError("no opening hours within three years")

    def add(self, start: datetime, seconds: float) -> datetime:
        """The instant after ``seconds`` of business time counted from ``start``."""
        _aware(start)
        start = start.astimezone(UTC)
        if seconds <= 0:
            return start
        if self.always_open:
            return start + timedelta(seconds=seconds)
        remaining = float(seconds)
        for opens, closes in self._intervals_from(start):
            if closes <= start:
                continue
            begin = max(opens, start)
            span = (closes - begin).total_seconds()
            if span >= remaining:
                return begin + timedelta(seconds=remaining)
            remaining -= span
        raise CalendarError("unreachable")  # _intervals_from raises first

    def elapsed(self, start: datetime, end: datetime) -> float:
        """Business seconds between two instants (0 when ``end`` is not after ``start``)."""
        _aware(start)
        _aware(end)
        start, end = start.astimezone(UTC), end.astimezone(UTC)
        if end <= start:
            return 0.0
        if self.always_open:
            return (end - start).total_seconds()
        total = 0.0
        for opens, closes in self._intervals_from(start):
            if opens >= end:
                break
            overlap = (min(closes, end) - max(opens, start)).total_seconds()
            if overlap > 0:
                total += overlap
        return total

    def is_business_day(self, day: date) -> bool:
        """The calendar opens on ``day`` (every day for 24×7; not on holidays or days without hours)."""
        return self.always_open or bool(self.intervals_on(day))

    def add_business_days(self, start: datetime, days: int) -> datetime:
        """The same local time of day on the ``days``-th business day after ``start``'s day (auto-close waits so)."""
        _aware(start)
        local = start.astimezone(self.zone)
        day, counted = local.date(), 0
        for _ in range(MAX_DAYS):
            if counted >= days:
                break
            day += timedelta(days=1)
            counted += self.is_business_day(day)
        else:
            raise CalendarError("no business days within three years")
        return datetime.combine(day, local.timetz().replace(tzinfo=None), tzinfo=self.zone).astimezone(UTC)

    def is_open(self, instant: datetime) -> bool:
        if self.always_open:
            return True
        instant = instant.astimezone(UTC)
        day = instant.astimezone(self.zone).date()
        return any(opens <= instant < closes for d in (day - timedelta(days=1), day) for opens, closes in self.intervals_on(d))


def _aware(value: datetime) -> None:
    if value.tzinfo is None or value.utcoffset() is None:
        raise CalendarError("business-time arithmetic needs timezone-aware datetimes")


ALWAYS_OPEN = Calendar(always_open=True)


def parse_ical_holidays(text: str) -> list[tuple[date, str]]:
    """All-day events (``DTSTART;VALUE=DATE:YYYYMMDD``) of an iCalendar file as (date, summary).

    Multi-day events (``DTEND`` after the next day) yield one entry per day. Lines folded per
    RFC 5545 (continuation lines start with a space) are unfolded first.
    """
    unfolded = text.replace("\r\n ", "").replace("\n ", "").replace("\r\n\t", "").replace("\n\t", "")
    events: list[tuple[date, str]] = []
    current: dict[str, str] | None = None
    for raw in unfolded.splitlines():
        line = raw.strip()
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT" and current is not None:
            start = _ical_date(current.get("DTSTART", ""))
            if start is not None:
                end = _ical_date(current.get("DTEND", "")) or start + timedelta(days=1)
                day = start
                while day < max(end, start + timedelta(days=1)) and (day - start).days < 366:
                    events.append((day, current.get("SUMMARY", "Holiday")))
                    day += timedelta(days=1)
            current = None
        elif current is not None and ":" in line:
            key, value = line.split(":", 1)
            current[key.split(";", 1)[0].upper()] = value.strip()
    return events


def _ical_date(value: str) -> date | None:
    digits = value[:8]
    if len(digits) != 8 or parse_int(digits, minimum=0, maximum=99_999_999) is None:  # ASCII digits only
        return None
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8]))
    except ValueError:
        return None
