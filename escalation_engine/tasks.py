"""Periodic tasks of the escalation engine (thin: they call services)."""

from __future__ import annotations

from celery import shared_task
from django.db import InterfaceError, OperationalError

from foundation import outbox


@shared_task(name="escalation.sweep", ignore_result=True, acks_late=True)
def sweep_escalations() -> int:
    """Every minute: check the tickets whose next check is due."""
    from escalation_engine.sweep import sweep

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
    from escalation_engine.sweep import check_one

    check_one(ticket_id)


@shared_task(name="escalation.send_notification", ignore_result=True, acks_late=True)
def send_notification(notification_id: int) -> None:
    """Deprecated (kept one release for tasks queued before the outbox): hands the notification's outbox message
    to ``foundation.send_outbox_message``, which sends it once and retries with backoff."""
    outbox.send_by_key(f"notification:{notification_id}")


@shared_task(name="escalation.resend_pending_notifications", ignore_result=True)
def resend_pending_notifications() -> int:
    """Deprecated (kept one release for old beat schedules): the outbox's one sweep, ``foundation.resend_outbox``."""
    return outbox.resend_overdue()
