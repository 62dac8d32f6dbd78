"""Routing tasks: re-offer waiting tickets when capacity frees (a new ticket is routed by the pipeline, in its transaction)."""

from __future__ import annotations

from agents import services
from foundation.retry import retrying_task
from tickets.models import Ticket


@retrying_task("agents.route_waiting", backoff_max=120, max_retries=5)
def route_waiting(team_ids: list[int] | None = None) -> int:
    """Offer queued tickets again (an agent came online or freed capacity; also every minute)."""
    assigned = 0
    for ticket_id in services.waiting_tickets(team_ids=team_ids):
        ticket = services.route_ticket(ticket=Ticket(pk=ticket_id))
        assigned += ticket.assignee_id is not None
    return assigned
