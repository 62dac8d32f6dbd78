"""Celery tasks for intake and triage: thin, idempotent, retried on transient errors."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from escalation.retry import TRANSIENT
from tickets import triage_service
from tickets.models import OPEN_STATUSES, Ticket

logger = logging.getLogger(__name__)


@shared_task(
    name="tickets.triage_ticket",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=20,
)
def triage_ticket(ticket_id: int) -> None:
    """Classify, score and explain one ticket (no-op when it is gone or already triaged)."""
    triage_service.triage_ticket(ticket_id=ticket_id)


@shared_task(
    name="tickets.analyze_interaction",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=20,
)
def analyze_interaction(interaction_id: int) -> None:
    triage_service.analyze_interaction(interaction_id=interaction_id)


@shared_task(
    name="tickets.triage_untriaged",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=20,
)
def triage_untriaged(older_than_seconds: int = 60, batch: int = 500) -> int:
    """Recovery sweep: enqueue triage for tickets stored while the broker or a worker was down."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Ticket.objects.filter(triaged_at__isnull=True, created_at__lt=cutoff, status__in=OPEN_STATUSES)
        .order_by("created_at")
        .values_list("id", flat=True)[:batch]
    )
    for ticket_id in ids:
        triage_ticket.delay(ticket_id)
    if ids:
        logger.info("re-enqueued triage for %s ticket(s)", len(ids))
    return len(ids)


@shared_task(
    name="tickets.retrain_classifier",
    acks_late=True,
    autoretry_for=TRANSIENT,
    retry_backoff=2,
    retry_backoff_max=300,
    retry_jitter=True,
    max_retries=20,
)
def retrain_classifier() -> str:
    summary = triage_service.retrain_from_desk()
    if summary is None:
        return "skipped"
    return f"{summary.version.name} promoted={summary.promoted}"


@shared_task(
    name="tickets.send_reply_email",
    acks_late=True,
    autoretry_for=(*TRANSIENT, OSError),
    retry_backoff=5,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=12,
)
def send_reply_email(interaction_id: int) -> None:
    """Deliver an agent's reply to the customer; SMTP hiccups are retried with backoff."""
    from tickets.services import deliver_reply_email

    deliver_reply_email(interaction_id=interaction_id)
