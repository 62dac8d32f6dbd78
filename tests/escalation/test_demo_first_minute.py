"""`make run`'s first minute on a frozen clock: seed_demo, then one minute of beat, as a newcomer sees it."""

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine

from agents.models import Agent
from agents.services import open_ticket_count
from agents.tasks import route_waiting
from demo.seed import seed_demo
from escalation_engine.models import Escalation
from escalation_engine.sweep import sweep
from tickets.models import Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_the_demo_desk_assigns_warns_and_escalates_with_reasons_within_its_first_minute(settings: Any) -> None:
    # A Wednesday afternoon in the desk's own time zone: business hours, so every clock runs.
    start = datetime(2026, 11, 25, 14, 30, tzinfo=ZoneInfo(settings.TIME_ZONE))
    with time_machine.travel(start, tick=False) as clock:
        seed_demo(tickets=160, customers=40)
        clock.move_to(start + timedelta(minutes=1))
        route_waiting.run()
        sweep(now=start + timedelta(minutes=1))

    for agent in Agent.objects.all():
        assert open_ticket_count(agent) <= agent.capacity, agent
    open_tickets = Ticket.objects.exclude(status__in=["resolved", "closed"])
    assert open_tickets.exists() and not open_tickets.filter(triaged_at__isnull=True).exists()
    assert open_tickets.filter(category_confidence__isnull=False).count() == open_tickets.count()
    unexplained = [(t.priority, t.subject, t.body[:200]) for t in open_tickets.exclude(priority=2) if not t.priority_reasons]
    assert unexplained == [], "a priority off the default has its reasons"
    assert not open_tickets.filter(sla_policy__isnull=True).exists()
    assert TicketEvent.objects.filter(kind="assigned", detail__why__startswith="best available").exists()
    assert TicketEvent.objects.filter(kind__in=["sla_at_risk", "sla_breached"]).exists()
    escalation = Escalation.objects.order_by("-score").first()
    assert escalation is not None and any(part > 0 for part in escalation.contributions.values())
    assert TicketEvent.objects.filter(kind="escalated", ticket=escalation.ticket).exclude(detail__why="no signal").exists()
