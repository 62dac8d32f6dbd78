"""Periodic tasks of the escalation engine (thin: they call services)."""

from __future__ import annotations

from typing import Any

from celery import shared_task
from django.conf import settings
from django.db import InterfaceError, OperationalError


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


@shared_task(name="escalation.send_notification", bind=True, ignore_result=True, acks_late=True, max_retries=None)
def send_notification(self: Any, notification_id: int) -> None:
    """Deliver one notification; retried with exponential backoff until it is sent or marked failed."""
    from escalation_engine.notifications import DeliveryError, deliver

    try:
        deliver(notification_id=notification_id)
    except DeliveryError as exc:
        base = settings.NOTIFICATION_RETRY_BASE_SECONDS
        raise self.retry(exc=exc, countdown=min(600, base * 2 ** min(self.request.retries, 7))) from None


@shared_task(name="escalation.resend_pending_notifications", ignore_result=True)
def resend_pending_notifications() -> int:
    """Every few minutes: pending notifications whose task was lost (broker down) are sent again."""
    from datetime import timedelta

    from django.utils import timezone

    from escalation_engine.models import Notification

    stale = Notification.objects.filter(status=Notification.Status.PENDING, created_at__lt=timezone.now() - timedelta(minutes=10))
    ids = list(stale.values_list("id", flat=True)[:500])
    for notification_id in ids:
        send_notification.delay(notification_id)
    return len(ids)
