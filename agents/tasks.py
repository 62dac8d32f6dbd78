"""Routing tasks: route one ticket after triage; re-offer waiting tickets when capacity frees."""

from __future__ import annotations

from celery import shared_task

from agents import services
from escalation.retry import TRANSIENT
from tickets.models import Ticket


@shared_task(
    name="agents.route_ticket",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=20,
)
def route_ticket(ticket_id: int) -> None:
    ticket = Ticket.objects.filter(pk=ticket_id).first()
    if ticket is not None:
        services.route_ticket(ticket=ticket)


@shared_task(
    name="agents.route_waiting",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=120,
    retry_jitter=True,
    max_retries=5,
)
def route_waiting(team_ids: list[int] | None = None) -> int:
    """Offer queued tickets again (an agent came online or freed capacity; also every minute)."""
    assigned = 0
    for ticket_id in services.waiting_tickets(team_ids=team_ids):
        ticket = services.route_ticket(ticket=Ticket(pk=ticket_id))
        assigned += ticket.assignee_id is not None
    return assigned
