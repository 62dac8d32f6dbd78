"""Escalation notifications: e-mail to the team's supervisors and a Slack-compatible chat webhook.

Rows are created with the escalation (one per channel and target, unique: who was told) and
each one's message goes into the platform outbox in the same transaction (``foundation.outbox``:
sent after commit, retried with backoff, failed after ``OUTBOX_MAX_ATTEMPTS``, visible and sent
again in admin); a dead endpoint never blocks the sweep.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db.models import OuterRef, QuerySet, Subquery

from escalation_engine.models import Escalation, Notification
from foundation import outbox
from foundation.models import OutboxMessage
from foundation.roles import SUPERVISOR

logger = logging.getLogger(__name__)

NOTIFICATION_REF = "escalation.notification"  # the outbox's pointer to the notification it carries


def _supervisor_emails(escalation: Escalation) -> list[str]:
    users = get_user_model().objects.filter(groups__name=SUPERVISOR, is_active=True).exclude(email="")
    team_id = escalation.ticket.team_id
    in_team = users.filter(agent__teams=team_id) if team_id else users.none()
    chosen = in_team if in_team.exists() else users
    return sorted(set(chosen.values_list("email", flat=True)))[:20]


def _assignee_email(escalation: Escalation) -> list[str]:
    assignee = escalation.ticket.assignee
    email = assignee.user.email if assignee is not None and assignee.user.is_active else ""
    return [email] if email else []


def plan(escalation: Escalation) -> list[Notification]:
    """Create the notification rows for an escalation (inside its transaction) and send them after commit.

    The team's supervisors and the agent who has the ticket are told (each once: rows are unique
    per escalation, channel and target), plus the team's chat webhook if one is configured.
    """
    team = escalation.ticket.team
    emails = sorted({*_supervisor_emails(escalation), *_assignee_email(escalation)})
    rows = [Notification(escalation=escalation, channel=Notification.Channel.EMAIL, target=email) for email in emails]
    hooks = settings.CHAT_WEBHOOKS
    hook_key = team.slug if team is not None and team.slug in hooks else "*"
    if hook_key in hooks:
        rows.append(Notification(escalation=escalation, channel=Notification.Channel.WEBHOOK, target=hook_key))
    created = Notification.objects.bulk_create(rows, ignore_conflicts=True)
    subject, body = _text(escalation)
    for notification in Notification.objects.filter(escalation=escalation).order_by("pk"):
        outbox.queue(**notification_message(notification=notification, subject=subject, body=body))  # once per row: dedupe key
    return created


def notification_message(*, notification: Any, subject: str, body: str) -> dict[str, Any]:
    """One notification's finished message, as ``foundation.outbox.queue`` arguments (also used by the migration)."""
    webhook = notification.channel == Notification.Channel.WEBHOOK
    return {
        "kind": "notification",
        "channel": "webhook" if webhook else "email",
        "dedupe_key": f"notification:{notification.pk}",
        "recipient": notification.target,  # a webhook's name in CHAT_WEBHOOKS: the URL is a secret
        "subject": subject,
        "body": body,
        "payload": {"text": f"*{subject}*\n{body}"} if webhook else None,
        "ref_kind": NOTIFICATION_REF,
        "ref_id": notification.pk,
    }


def _text(escalation: Escalation) -> tuple[str, str]:
    ticket = escalation.ticket
    top = sorted(escalation.contributions.items(), key=lambda item: -item[1])[:4]
    why = ", ".join(f"{name} {value:.2f}" for name, value in top if value > 0)
    subject = f"[{escalation.get_recommendation_display()}] Ticket #{ticket.pk} escalated to {escalation.get_tier_display()}"
    body = f"{ticket.subject}\nScore {escalation.score:.2f} ({why}).\nCustomer: {ticket.customer.name} ({ticket.customer.tier})."
    return subject, body


def with_delivery(notifications: QuerySet[Notification]) -> QuerySet[Notification]:
    """Notifications annotated with their message's delivery state from the outbox (one query, for lists)."""
    messages = OutboxMessage.objects.filter(ref_kind=NOTIFICATION_REF, ref_id=OuterRef("pk"))
    return notifications.annotate(
        delivery_status=Subquery(messages.values("status")[:1]),
        delivery_attempts=Subquery(messages.values("attempts")[:1]),
        delivery_error=Subquery(messages.values("last_error")[:1]),
        delivery_sent_at=Subquery(messages.values("sent_at")[:1]),
    )


def deliver(*, notification_id: int) -> OutboxMessage | None:
    """Send one notification's outbox message now (tests, the deprecated task); raises ``outbox.DeliveryError`` to retry."""
    message_id = OutboxMessage.objects.filter(dedupe_key=f"notification:{notification_id}").values_list("pk", flat=True).first()
    return None if message_id is None else outbox.deliver(message_id)
