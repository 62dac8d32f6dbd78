"""Escalation notifications: e-mail to the team's supervisors and a Slack-compatible chat webhook.

Rows are created with the escalation (one per channel and target, unique, so nothing is
sent twice) and delivered after commit by the ``escalation.send_notification`` task, which
retries with backoff and marks a row failed after ``NOTIFICATION_MAX_ATTEMPTS``; failures are
visible in admin and never block the sweep.
"""

from __future__ import annotations

import json
import logging
import urllib.error
import urllib.request
from typing import Any

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import send_mail
from django.db import transaction
from django.utils import timezone

from escalation_engine.models import Escalation, Notification
from foundation.queue import enqueue_on_commit
from foundation.roles import SUPERVISOR

logger = logging.getLogger(__name__)


class DeliveryError(Exception):
    pass


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
    ids = list(Notification.objects.filter(escalation=escalation, status=Notification.Status.PENDING).values_list("id", flat=True))
    for notification_id in ids:
        enqueue_on_commit("escalation.send_notification", notification_id)  # the retry sweep resends pending rows
    return created


def _text(escalation: Escalation) -> tuple[str, str]:
    ticket = escalation.ticket
    top = sorted(escalation.contributions.items(), key=lambda item: -item[1])[:4]
    why = ", ".join(f"{name} {value:.2f}" for name, value in top if value > 0)
    subject = f"[{escalation.get_recommendation_display()}] Ticket #{ticket.pk} escalated to {escalation.get_tier_display()}"
    body = f"{ticket.subject}\nScore {escalation.score:.2f} ({why}).\nCustomer: {ticket.customer.name} ({ticket.customer.tier})."
    return subject, body


def _post_webhook(url: str, payload: dict[str, Any]) -> None:
    if not url.startswith(("https://", "http://")):
        raise DeliveryError("chat webhook URL must be http(s)")
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.NOTIFICATION_TIMEOUT_SECONDS) as response:  # noqa: S310 - URL from settings
            if response.status >= 300:
                raise DeliveryError(f"webhook answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook answered {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"webhook unreachable: {exc}") from None


def deliver(*, notification_id: int) -> Notification | None:
    """Send one notification once. Raises ``DeliveryError`` when it should be retried."""
    with transaction.atomic():
        notification = (
            Notification.objects.select_for_update(skip_locked=True)
            .select_related("escalation__ticket__customer")
            .filter(pk=notification_id)
            .first()
        )
        if notification is None or notification.status != Notification.Status.PENDING:
            return notification  # gone, sent already, failed for good, or another worker has it
        subject, body = _text(notification.escalation)
        try:
            if notification.channel == Notification.Channel.EMAIL:
                send_mail(subject, body, settings.DEFAULT_FROM_EMAIL, [notification.target])
            else:
                url = settings.CHAT_WEBHOOKS.get(notification.target)
                if not url:
                    raise DeliveryError(f"no chat webhook configured for {notification.target!r}")
                _post_webhook(url, {"text": f"*{subject}*\n{body}"})
        except Exception as exc:  # noqa: BLE001 - any failure is recorded, then retried or given up
            notification.attempts += 1
            notification.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            final = notification.attempts >= settings.NOTIFICATION_MAX_ATTEMPTS
            notification.status = Notification.Status.FAILED if final else Notification.Status.PENDING
            notification.save(update_fields=["attempts", "last_error", "status"])
            if not final:
                retry = DeliveryError(notification.last_error)
            else:
                logger.error("notification %s failed for good: %s", notification.pk, notification.last_error)
                return notification
        else:
            notification.attempts += 1
            notification.status = Notification.Status.SENT
            notification.sent_at = timezone.now()
            notification.save(update_fields=["attempts", "status", "sent_at"])
            return notification
    raise retry
