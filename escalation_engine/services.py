"""Functions that change the escalation engine's state."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from agents.services import assign_ticket
from escalation_engine import events, scoring, sla
from escalation_engine.models import Escalation, EscalationRule, EscalationSettings, EscalationTier
from escalation_engine.sweep import _escalate, assess, matching_rule
from tickets.models import Ticket, TicketEvent
from tickets.services import reprioritize_ticket


class EscalationConflict(Exception):
    """Someone else decided this escalation first; the message says who and how."""


def _decide(*, escalation_id: int, status: str, by: Any, reason: str = "") -> Escalation:
    """Compare-and-set on the open escalation: of two supervisors acting at once, exactly one wins."""
    now = timezone.now()
    with transaction.atomic():
        changed = Escalation.objects.filter(pk=escalation_id, status=Escalation.Status.OPEN).update(
            status=status, decided_by=by, decided_at=now, decision_reason=reason[:300]
        )
        escalation = Escalation.objects.select_related("ticket", "decided_by").get(pk=escalation_id)
        if not changed:
            who = escalation.decided_by.get_username() if escalation.decided_by else "someone"
            raise EscalationConflict(f"Escalation {escalation_id} was already {escalation.get_status_display().lower()} by {who}.")
        TicketEvent.objects.create(
            ticket=escalation.ticket, actor=by, kind=f"escalation_{status}", detail={"escalation_id": escalation_id, "reason": reason[:300]}
        )
        events.escalation_decided.announce(escalation=escalation)  # the dashboards count decisions on the day of the escalation
    return escalation


def accept_escalation(*, escalation_id: int, by: Any) -> Escalation:
    """The supervisor agrees: the escalation stands (counted as a true positive)."""
    return _decide(escalation_id=escalation_id, status=Escalation.Status.ACCEPTED, by=by)


def dismiss_escalation(*, escalation_id: int, by: Any, reason: str) -> Escalation:
    """The supervisor disagrees: counted as a false positive, with the reason for later tuning."""
    if not reason.strip():
        raise ValidationError({"reason": "Say why the escalation is a false positive."})
    return _decide(escalation_id=escalation_id, status=Escalation.Status.DISMISSED, by=by, reason=reason)


def deescalate(*, escalation_id: int, by: Any, reason: str = "") -> Escalation:
    """The situation is under control again: the escalation is closed without being a false positive."""
    return _decide(escalation_id=escalation_id, status=Escalation.Status.DEESCALATED, by=by, reason=reason)


def override_escalation(
    *, escalation_id: int, by: Any, tier: str | None = None, priority: int | None = None, assignee: Any = None
) -> Escalation:
    """Change the tier, the ticket's priority or its assignee; each change is audited, the decision stays open."""
    with transaction.atomic():
        escalation = Escalation.objects.select_for_update().select_related("ticket").get(pk=escalation_id)
        if escalation.status != Escalation.Status.OPEN:
            raise EscalationConflict(
                f"Escalation {escalation_id} is {escalation.get_status_display().lower()}; it can no longer be overridden."
            )
        if tier is not None and tier != escalation.tier:
            if tier not in EscalationTier.values:
                raise ValidationError({"tier": f"Unknown tier {tier!r}."})
            if Escalation.objects.filter(ticket=escalation.ticket, tier=tier, status=Escalation.Status.OPEN).exists():
                raise EscalationConflict(f"Ticket {escalation.ticket_id} already has an open {tier} escalation.")
            TicketEvent.objects.create(
                ticket=escalation.ticket, actor=by, kind="escalation_overridden", detail={"tier": [escalation.tier, tier]}
            )
            escalation.tier = tier
            escalation.save(update_fields=["tier"])
        if priority is not None:
            reprioritize_ticket(ticket=escalation.ticket, priority=priority, by=by)
        if assignee is not None:
            assign_ticket(ticket=escalation.ticket, agent=assignee, by=by, note=f"escalation {escalation_id} override")
    return escalation


def request_escalation(*, ticket: Any, by: Any, reason: str = "") -> Escalation | None:
    """An agent escalates by hand: the request is a signal, and the result is at least a *priority* escalation."""
    with transaction.atomic():
        locked = Ticket.objects.select_for_update(of=("self",)).select_related("customer", "category", "sla_policy").get(pk=ticket.pk)
        locked.escalation_requested = True
        now = timezone.now()
        sla.refresh_status(locked, now=now)
        config = EscalationSettings.current()
        assessment = assess(locked, now=now, config=config)
        if assessment.recommendation == "monitor":
            assessment = scoring.Assessment(assessment.score, "priority", assessment.signals, assessment.contributions)
        rules = list(EscalationRule.objects.filter(enabled=True).prefetch_related("categories"))
        escalation = _escalate(locked, assessment, matching_rule(locked, assessment.recommendation, rules), config, now)
        locked.save(update_fields=["escalation_requested", "updated_at", *sla.SLA_FIELDS])
        TicketEvent.objects.create(
            ticket=locked,
            actor=by,
            kind="escalation_requested",
            detail={"reason": reason[:300], "escalation_id": escalation.pk if escalation else None},
        )
    return escalation
