"""Periodic tasks of the escalation engine (thin: they call services)."""

from __future__ import annotations

import socket

from celery import shared_task
from django.db import InterfaceError, OperationalError

from escalation.models import Component
from escalation.services import record_heartbeat


@shared_task(name="escalation.scheduler_heartbeat", ignore_result=True)
def scheduler_heartbeat() -> None:
    """Sent by beat, run by a worker: proves the schedule → broker → worker path works."""
    record_heartbeat(component=Component.SCHEDULER, hostname=socket.gethostname())


@shared_task(name="escalation.sweep", ignore_result=True, acks_late=True)
def sweep_escalations() -> int:
    """Every minute: check the tickets whose next check is due."""
    from escalation.sweep import sweep

    return sweep().escalated


@shared_task(
    name="escalation.check_ticket",
    ignore_result=True,
    acks_late=True,
    autoretry_for=(OperationalError, InterfaceError),
    retry_backoff=2,
    retry_jitter=True,
    max_retries=10,
)
def check_ticket_now(ticket_id: int) -> None:
    """Intake, triage and new messages ask for an immediate check instead of waiting for the sweep."""
    from django.db import transaction
    from django.utils import timezone

    from escalation import sla
    from escalation.models import EscalationRule, EscalationSettings
    from escalation.sweep import check_ticket
    from tickets.models import Ticket

    with transaction.atomic():
        ticket = (
            Ticket.objects.select_for_update(of=("self",)).select_related("customer", "category", "sla_policy").filter(pk=ticket_id).first()
        )
        if ticket is None:
            return
        rules = list(EscalationRule.objects.filter(enabled=True).prefetch_related("categories"))
        check_ticket(ticket, now=timezone.now(), config=EscalationSettings.current(), rules=rules)
        ticket.save(update_fields=["priority", "team", "assignee", "updated_at", *sla.SLA_FIELDS])
