"""Business calendars as ``business_time.Calendar`` objects, cached per process until a calendar changes.

SLA clocks (the engine) and routing's business-hours condition (agents) both read them.
"""

from __future__ import annotations

from typing import Any

from foundation import config_cache
from foundation.business_time import Calendar
from foundation.models import BusinessCalendar


def build_calendar(calendar: BusinessCalendar) -> Calendar:
    if calendar.is_24x7:
        return Calendar(time_zone=calendar.time_zone, always_open=True)
    weekly: dict[int, list[Any]] = {}
    for hours in calendar.hours.all():
        weekly.setdefault(hours.weekday, []).append((hours.opens_at, hours.closes_at))
    holidays = frozenset(calendar.holidays.values_list("date", flat=True))
    return Calendar(time_zone=calendar.time_zone, weekly=weekly, holidays=holidays)


def cached_calendar(key: int | None) -> Calendar | None:
    """Calendar ``key`` (None: the default one), cached per process until a calendar changes; None if there is none."""

    def load() -> Calendar | None:
        records = BusinessCalendar.objects.prefetch_related("hours", "holidays")
        record = records.filter(pk=key).first() if key else records.filter(is_default=True).first()
        return build_calendar(record) if record is not None else None

    return config_cache.cached("calendar", f"calendar:{key}", load)


def default_calendar() -> Calendar | None:
    """The admin's default business calendar, or None."""
    return cached_calendar(None)
