"""Routing tasks: route one ticket after triage; re-offer waiting tickets when capacity frees."""

from __future__ import annotations

from agents import services
from foundation.retry import retrying_task
from tickets.models import Ticket


@retrying_task("agents.route_ticket", backoff_max=120)
def route_ticket(ticket_id: int) -> None:
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is not None:
        services.route_ticket(ticket=ticket)


@retrying_task("agents.route_waiting", backoff_max=120, max_retries=5)
def route_waiting(team_ids: list[int] | None = None) -> int:
    """Offer queued tickets again (an agent came online or freed capacity; also every minute)."""
    assigned = 0
    for ticket_id in services.waiting_tickets(team_ids=team_ids):
        ticket = services.route_ticket(ticket=Ticket(pk=ticket_id))
        assigned += ticket.assignee_id is not None
    return assigned
