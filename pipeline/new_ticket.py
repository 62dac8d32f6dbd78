"""A new ticket's steps, in order: triage and article suggestions, the SLA clock, routing, incident detection, the escalation check.

The one place that chains the layers for a new ticket (``tickets.triage_ticket`` runs it in
the worker). Each step belongs to its layer; this module only orders them inside one
transaction, so a worker that dies midway leaves the ticket untouched and the redelivered
task does all of it.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from agents import services as routing
from escalation_engine import incidents, sla, sweep
from helpcenter.suggestions import suggest_for_ticket
from tickets import events as ticket_events
from tickets.models import OPEN_STATUSES, Ticket, TicketEvent, lock_ticket
from tickets.triage_service import apply_triage


def triage_locked(ticket: Ticket) -> None:
    """Triage a locked ticket, suggest articles, and set its SLA clocks: started now, or moved to the priority triage decided."""
    triaged = apply_triage(ticket)
    suggest_for_ticket(ticket, text=triaged.text, label=triaged.label, confident=triaged.confident, config=triaged.settings)
    if ticket.sla_policy_id is None:
        sla.apply_start(ticket, now=ticket.triaged_at or timezone.now())  # the priority is known now
        if ticket.sla_status in ("at_risk", "breached"):
            # Triaged late (a backlog, an outage of the worker): warn now, as the check would on the way there.
            TicketEvent.objects.create(ticket=ticket, kind=f"sla_{ticket.sla_status}", detail={"from": "ok", "at": "triage"})
    else:
        # Triaged again with a clock already running: the clocks follow the new priority.
        sla.apply_priority_change(ticket, priority=triaged.priority, now=timezone.now(), source="triage")
    ticket.save()
    ticket_events.ticket_triaged.announce(ticket=ticket)


def triage_ticket(*, ticket_id: int, force: bool = False) -> Ticket | None:
    """Triage one ticket (no routing, no check). Idempotent: a triaged ticket is left alone unless ``force``.

    The ticket row is locked for the whole triage (a few milliseconds), so a parallel run
    waits and then finds it done.
    """
    with transaction.atomic():
        locked = lock_ticket(ticket_id)
        if locked is None or (locked.triaged_at is not None and not force):
            return locked
        triage_locked(locked)
    return locked


def process_new_ticket(ticket_id: int) -> Ticket | None:
    """The triage task: classify, route and check a new ticket in one transaction.

    One locked load and one commit instead of four: triage, routing (assign or queue),
    burst detection and the escalation check commit together. A ticket triaged before (by an
    older task or by hand) is routed and checked in their own transactions.
    """
    with transaction.atomic():
        ticket = lock_ticket(ticket_id)
        if ticket is None:
            return None
        fresh = ticket.triaged_at is None
        if fresh:
            triage_locked(ticket)
            if ticket.status in OPEN_STATUSES:
                routing.route_locked(ticket)
                if (
                    incidents.detect_burst(ticket_id=ticket.pk, now=timezone.now(), ticket=ticket) is not None
                    and ticket.incident_id is None
                ):
                    ticket.incident_id = Ticket.objects.filter(pk=ticket.pk).values_list("incident_id", flat=True).first()
                sweep.recheck_locked(ticket, fresh=True)
    if not fresh and ticket.status in OPEN_STATUSES:
        route_and_check(ticket)
    return ticket


def route_and_check(ticket: Ticket) -> None:
    """Route and check a ticket triaged before its task ran (by hand, or by an older task), each in its own transaction.

    Both steps are idempotent (an assigned ticket is not routed again; a second check only
    re-scores), so a retried task may repeat them safely.
    """
    if not ticket.needs_triage:
        ticket = routing.route_ticket(ticket=ticket)
    sweep.recheck_now(ticket.pk, known=ticket)
