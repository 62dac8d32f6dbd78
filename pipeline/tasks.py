"""The pipeline's task: a new ticket's steps in the worker (the name is the one it always had)."""

from __future__ import annotations

from foundation.retry import retrying_task
from pipeline import new_ticket


@retrying_task("tickets.triage_ticket")
def triage_ticket(ticket_id: int) -> None:
    """Classify, score and explain one ticket, route it and check it for escalation (one transaction).

    A redelivered task finds the ticket either untouched or fully processed; a ticket
    triaged some other way is still routed and checked (both idempotent).
    """
    new_ticket.process_new_ticket(ticket_id)
