"""Measured outcomes in business time: first response, pauses, resolution, reopening."""

from datetime import UTC, datetime, time

import pytest

from escalation_engine import sla
from escalation_engine.models import SlaPolicy
from foundation import config_cache
from foundation.models import BusinessCalendar, BusinessHours
from tests.factories import TicketFactory

# Runs on 1 December 2026, whatever today is.
pytestmark = [pytest.mark.django_db, pytest.mark.travel(datetime(2026, 12, 1, 21, 0, tzinfo=UTC))]


def utc(day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(2026, 11 if day >= 27 else 12, day, hour, minute, tzinfo=UTC)  # 27–30 Nov, 1–3 Dec


@pytest.fixture
def office_policy() -> SlaPolicy:
    """Mon–Fri 09:00–17:00 UTC; P2: first response 2 business hours, resolution 16 business hours."""
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="Office (outcome tests)", time_zone="UTC")
    for weekday in range(5):
        BusinessHours.objects.create(calendar=calendar, weekday=weekday, opens_at=time(9), closes_at=time(17))
    config_cache.clear()
    return SlaPolicy.objects.create(
        name="P2 office", priority=2, first_response_minutes=120, next_response_minutes=120, resolution_minutes=960, calendar=calendar
    )


def test_business_time_outcomes_exclude_nights_weekends_and_pauses(office_policy: SlaPolicy) -> None:
    created = utc(27, 16)  # Friday 16:00
    ticket = TicketFactory.create(priority=2, status="triaged", created_at=created)
    sla.apply_start(ticket, now=created)
    assert ticket.sla_policy == office_policy and ticket.sla_first_response_due_at == utc(30, 10)  # Monday 10:00

    sla.apply_agent_reply(ticket, at=utc(30, 9, 30))  # Monday 09:30: Fri 60 min + Mon 30 min
    assert ticket.first_response_seconds == 90 * 60 and ticket.first_response_met is True

    sla.apply_pause(ticket, at=utc(30, 10))  # pending the customer from Monday 10:00 …
    sla.apply_resume(ticket, at=utc(30, 14))  # … to 14:00: 4 business hours paused
    assert ticket.sla_paused_seconds == 240 * 60
    assert ticket.sla_resolution_due_at == utc(2, 12)  # Tue 16:00 due, pushed 4 business hours: Wed 12:00

    sla.apply_resolve(ticket, at=utc(1, 12))  # Tuesday 12:00: Fri 60 + Mon 480 + Tue 180 = 720 − 240 paused
    assert ticket.resolution_seconds == 480 * 60 and ticket.resolution_met is True


def test_late_first_response_and_resolution_are_breaches(office_policy: SlaPolicy) -> None:
    ticket = TicketFactory.create(priority=2, status="triaged", created_at=utc(30, 9))
    sla.apply_start(ticket, now=ticket.created_at)
    sla.apply_agent_reply(ticket, at=utc(30, 11, 1))
    assert ticket.first_response_seconds == 121 * 60 and ticket.first_response_met is False
    sla.apply_resolve(ticket, at=utc(2, 9, 30))  # Mon 480 + Tue 480 + Wed 30 = 990 > 960
    assert ticket.resolution_seconds == 990 * 60 and ticket.resolution_met is False


def test_resolving_while_paused_counts_the_pause_and_compares_what_was_left(office_policy: SlaPolicy) -> None:
    ticket = TicketFactory.create(priority=2, status="triaged", created_at=utc(30, 9))
    sla.apply_start(ticket, now=ticket.created_at)
    sla.apply_pause(ticket, at=utc(30, 10))  # 1 h used, 15 h left when paused
    sla.apply_resolve(ticket, at=utc(3, 10))  # resolved while pending, Thursday 10:00
    assert ticket.resolution_seconds == 60 * 60 and ticket.resolution_met is True


def test_time_spent_resolved_before_a_reopening_is_not_work_time(office_policy: SlaPolicy) -> None:
    ticket = TicketFactory.create(priority=2, status="triaged", created_at=utc(30, 9))
    sla.apply_start(ticket, now=ticket.created_at)
    sla.apply_resolve(ticket, at=utc(30, 11))
    sla.apply_reopen(ticket, at=utc(30, 15), resolved_at=utc(30, 11))  # 4 h resolved
    assert ticket.reopen_count == 1 and ticket.resolution_seconds is None and ticket.resolution_met is None
    sla.apply_resolve(ticket, at=utc(30, 16))  # 7 h since creation − 4 h resolved
    assert ticket.resolution_seconds == 3 * 3600 and ticket.resolution_met is True


def test_without_a_policy_durations_are_wall_clock_and_unjudged() -> None:
    SlaPolicy.objects.all().delete()
    ticket = TicketFactory.create(priority=2, status="triaged", created_at=utc(28, 12))  # Saturday
    sla.apply_start(ticket, now=ticket.created_at)
    sla.apply_agent_reply(ticket, at=utc(28, 13))
    assert ticket.first_response_seconds == 3600 and ticket.first_response_met is None
