"""Celery tasks for intake and triage: thin, idempotent, retried on transient errors."""

from __future__ import annotations

import logging
from datetime import timedelta

from django.utils import timezone

from foundation import outbox
from foundation.queue import enqueue
from foundation.retry import retrying_task
from tickets import learning_service, mailboxes, triage_service
from tickets.models import OPEN_STATUSES, Ticket

logger = logging.getLogger(__name__)


@retrying_task("tickets.analyze_interaction")
def analyze_interaction(interaction_id: int) -> None:
    triage_service.analyze_interaction(interaction_id=interaction_id)


@retrying_task("tickets.triage_untriaged")
def triage_untriaged(older_than_seconds: int = 60, batch: int = 500) -> int:
    """Recovery sweep: enqueue triage for tickets stored while the broker or a worker was down."""
    cutoff = timezone.now() - timedelta(seconds=older_than_seconds)
    ids = list(
        Ticket.objects.filter(triaged_at__isnull=True, created_at__lt=cutoff, status__in=OPEN_STATUSES)
        .order_by("created_at")
        .values_list("id", flat=True)[:batch]
    )
    for ticket_id in ids:
        enqueue("tickets.triage_ticket", ticket_id)  # the pipeline's task
    if ids:
        logger.info("re-enqueued triage for %s ticket(s)", len(ids))
    return len(ids)


@retrying_task("tickets.retrain_classifier")
def retrain_classifier() -> str:
    """Nightly (beat ``triage-retrain``): a candidate from people's labels, promoted only if better on the held-out ones."""
    summary = learning_service.retrain_from_desk()
    if summary is None:
        return "skipped"
    return f"{summary.version.name} promoted={summary.promoted}: {summary.metrics['promotion']['reason']}"


@retrying_task("tickets.send_reply_email")
def send_reply_email(interaction_id: int) -> None:
    """Deprecated (kept one release for tasks queued before the outbox): hands the reply's outbox message to
    ``foundation.send_outbox_message``, which sends it once and retries."""
    outbox.send_by_key(f"reply:{interaction_id}")


@retrying_task("tickets.resend_queued_replies")
def resend_queued_replies(older_than_seconds: int = 300) -> int:
    """Deprecated (kept one release for old beat schedules): the outbox's one sweep, ``foundation.resend_outbox``."""
    return outbox.resend_overdue(grace=timedelta(seconds=older_than_seconds))


@retrying_task("tickets.poll_mailboxes", max_retries=0)
def poll_mailboxes() -> list[dict[str, object]]:
    """Beat, every minute: read each polled IMAP mailbox once (new mail stored once, then marked seen)."""
    return [result.as_dict() for result in mailboxes.poll_all()]
