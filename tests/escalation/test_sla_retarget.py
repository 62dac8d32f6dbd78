"""Every priority change re-targets the SLA clocks in the same transaction, keeping the time already spent."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.models import RoutingRule
from agents.services import route_ticket
from escalation_engine import sla
from escalation_engine.models import SlaPolicy
from escalation_engine.sweep import sweep
from tests.factories import TicketFactory, UserFactory
from tickets import services
from tickets.models import Ticket, TicketEvent

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.travel(MONDAY_9AM)]
MINUTE = 60


@pytest.fixture
def clock(clock: Any) -> Any:
    """The shared frozen clock (tests/conftest.py), starting at MONDAY_9AM."""
    clock.set(MONDAY_9AM)
    return clock


def started(priority: int = 2, **fields: Any) -> Ticket:
    ticket = TicketFactory.create(priority=priority, created_at=MONDAY_9AM, status="triaged", **fields)
    sla.apply_start(ticket, now=MONDAY_9AM)
    ticket.save()
    return ticket


def office(priority: int) -> Any:
    return sla.calendar_for(SlaPolicy.objects.get(priority=priority, customer_tier=""))


def test_a_routing_rule_that_sets_p0_moves_the_clocks_to_the_p0_policy(clock: Any) -> None:
    ticket = started(priority=2, subject="Production is down", body="Total outage since 9am")
    RoutingRule.objects.create(name="outages", order=1, keyword_pattern="outage", set_priority=0)
    clock.set(MONDAY_9AM + timedelta(minutes=5))
    route_ticket(ticket=ticket)
    routed = Ticket.objects.get(pk=ticket.pk)
    assert routed.priority == 0 and routed.sla_policy == SlaPolicy.objects.get(priority=0, customer_tier="")
    # 5 minutes were spent on a 15-minute P0 first response, and of a 4-hour P0 resolution.
    assert routed.sla_first_response_due_at == MONDAY_9AM + timedelta(minutes=15)
    assert routed.sla_resolution_due_at == MONDAY_9AM + timedelta(hours=4)
    event = TicketEvent.objects.get(ticket=routed, kind="reprioritized")
    assert event.detail["source"] == "routing rule outages" and (event.detail["from"], event.detail["to"]) == (2, 0)
    assert event.detail["sla"]["to"]["sla_first_response_due_at"] == routed.sla_first_response_due_at.isoformat()
    before = ticket.sla_first_response_due_at
    assert before is not None and event.detail["sla"]["from"]["sla_first_response_due_at"] == before.isoformat()


def test_a_priority_change_while_paused_keeps_the_paused_time(clock: Any) -> None:
    agent = UserFactory.create(role="agent")
    ticket = started(priority=2)
    clock.set(MONDAY_9AM + timedelta(hours=2))
    services.add_agent_reply(ticket=ticket, body="Could you send a screenshot?", by=agent)
    services.change_status(ticket=ticket, status="pending_customer", by=agent)
    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))  # Wednesday, still waiting for the customer
    services.reprioritize_ticket(ticket=ticket, priority=1, by=agent)
    paused = Ticket.objects.get(pk=ticket.pk)
    assert paused.sla_status == "paused" and paused.sla_resolution_remaining_seconds == (1440 - 120) * MINUTE
    clock.set(datetime(2026, 12, 2, 12, 0, tzinfo=UTC))
    services.change_status(ticket=paused, status="in_progress", by=agent)
    resumed = Ticket.objects.get(pk=ticket.pk)
    # 2 business hours were spent before the pause; P1 resolution is 24: 22 left from Wednesday noon.
    assert resumed.sla_resolution_due_at == office(1).add(datetime(2026, 12, 2, 12, 0, tzinfo=UTC), (1440 - 120) * MINUTE)
    assert resumed.sla_resolution_due_at != office(1).add(MONDAY_9AM, 1440 * MINUTE)  # not recomputed from creation


def test_a_priority_change_after_a_reopening_counts_from_the_reopening(clock: Any) -> None:
    agent = UserFactory.create(role="agent")
    ticket = started(priority=2)
    clock.set(MONDAY_9AM + timedelta(hours=1))
    services.change_status(ticket=ticket, status="resolved", by=agent)
    clock.set(datetime(2026, 12, 1, 9, 0, tzinfo=UTC))  # Tuesday: the customer writes again
    services.change_status(ticket=Ticket.objects.get(pk=ticket.pk), status="in_progress", by=agent)
    clock.set(datetime(2026, 12, 1, 10, 0, tzinfo=UTC))
    services.reprioritize_ticket(ticket=Ticket.objects.get(pk=ticket.pk), priority=1, by=agent)
    reopened = Ticket.objects.get(pk=ticket.pk)
    assert reopened.reopen_count == 1
    assert reopened.sla_resolution_due_at == office(1).add(datetime(2026, 12, 1, 10, 0, tzinfo=UTC), (1440 - 60) * MINUTE)


def test_raising_to_a_target_already_exceeded_makes_the_ticket_breached_now(clock: Any) -> None:
    ticket = started(priority=3)
    clock.set(MONDAY_9AM + timedelta(hours=3))
    services.reprioritize_ticket(ticket=ticket, priority=0, by=UserFactory.create(role="supervisor"))
    raised = Ticket.objects.get(pk=ticket.pk)
    assert raised.sla_status == "breached" and raised.sla_first_response_due_at == MONDAY_9AM + timedelta(hours=3)


def test_an_escalation_that_raises_the_priority_re_targets_the_clocks(clock: Any) -> None:
    ticket = started(priority=2, legal_score=1.0, frustration_score=0.95, sentiment_score=-0.9)
    Ticket.objects.filter(pk=ticket.pk).update(next_check_at=MONDAY_9AM)
    clock.set(MONDAY_9AM + timedelta(minutes=10))
    assert sweep(now=MONDAY_9AM + timedelta(minutes=10)).escalated == 1
    raised = Ticket.objects.get(pk=ticket.pk)
    assert raised.priority == 1 and raised.sla_policy == SlaPolicy.objects.get(priority=1, customer_tier="")
    assert raised.sla_first_response_due_at == MONDAY_9AM + timedelta(hours=1)  # P1: 60 minutes from 9:00
    assert TicketEvent.objects.get(ticket=raised, kind="reprioritized").detail["source"] == "escalation (immediate)"
