"""Read queries for the escalation engine."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.db.models import Avg, Count, DurationField, ExpressionWrapper, F, Q

from escalation_engine.models import Escalation
from tickets.models import Ticket, TicketEvent


def escalation_metrics(*, start: datetime, end: datetime) -> dict[str, float | int | None]:
    """Escalation quality over tickets created in [start, end): rates, timing and outcomes, in a few aggregate queries."""
    tickets = Ticket.objects.filter(created_at__gte=start, created_at__lt=end)
    escalations = Escalation.objects.filter(ticket__created_at__gte=start, ticket__created_at__lt=end)
    ticket_count = tickets.count()
    escalated = escalations.values("ticket").distinct().count()
    # A re-escalation follows a supervisor's decision because the ticket got materially worse
    # (escalation_engine.sweep.escalation_gate); a second tier opened meanwhile is not one.
    re_escalated = escalations.filter(reescalation_of__isnull=False).values("ticket").distinct().count()
    totals = escalations.aggregate(
        total=Count("id"),
        dismissed=Count("id", filter=Q(status=Escalation.Status.DISMISSED)),
        accepted=Count("id", filter=Q(status=Escalation.Status.ACCEPTED)),
        decided=Count("id", filter=~Q(status=Escalation.Status.OPEN)),
        after_breach=Count("id", filter=Q(sla_breached_at_escalation=True)),
        before_breach=Count("id", filter=Q(sla_breached_at_escalation=False)),
        time_to_escalate=Avg(ExpressionWrapper(F("created_at") - F("ticket__created_at"), output_field=DurationField())),
    )
    accepted_ids = list(escalations.filter(status=Escalation.Status.ACCEPTED).values_list("ticket_id", "created_at"))
    # Routing accuracy: accepted escalations whose ticket was not reassigned afterwards.
    first_accept: dict[int, Any] = {}
    for ticket_id, escalated_at in accepted_ids:
        first_accept[ticket_id] = min(escalated_at, first_accept.get(ticket_id, escalated_at))
    later_events = TicketEvent.objects.filter(kind="reassigned", ticket_id__in=list(first_accept)).values_list("ticket_id", "created_at")
    reassigned = {ticket_id for ticket_id, at in later_events if at > first_accept[ticket_id]}
    total = totals["total"]
    tte = totals["time_to_escalate"]
    return {
        "tickets": ticket_count,
        "escalations": total,
        "escalated_tickets": escalated,
        "escalation_rate": round(escalated / ticket_count, 4) if ticket_count else None,
        "re_escalation_rate": round(re_escalated / escalated, 4) if escalated else None,
        "re_escalations": escalations.filter(reescalation_of__isnull=False).count(),
        "false_positive_rate": round(totals["dismissed"] / total, 4) if total else None,
        "false_positive_rate_of_decided": round(totals["dismissed"] / totals["decided"], 4) if totals["decided"] else None,
        "mean_minutes_to_escalate": round(tte.total_seconds() / 60, 1) if tte is not None else None,
        "escalated_before_breach": totals["before_breach"],
        "escalated_after_breach": totals["after_breach"],
        "routing_accuracy": round((len(first_accept) - len(reassigned)) / len(first_accept), 4) if first_accept else None,
    }
