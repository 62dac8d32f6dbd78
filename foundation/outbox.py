"""The one outbox: every outgoing message is a row, sent once by one task, resent from admin.

1. A producer (an agent's reply, an escalation, a resolved ticket's survey, triage's
   auto-reply, ``publish()`` for each outgoing webhook subscribed to an event) writes the
   finished message with ``queue()`` inside its own transaction; a unique ``dedupe_key``
   means a message is never queued twice. The send is enqueued after
   commit (``foundation.send_outbox_message``).
2. ``deliver()`` locks the row (``SKIP LOCKED``: parallel workers never double-send), sends
   it by e-mail, to a chat webhook or (signed, after the SSRF guard) to a subscribed URL, and
   records the attempt (an e-mail's ``Cc`` header is also its copy recipients; every kind but an
   agent's reply carries ``Auto-Submitted: auto-replied``). Sent: ``sent_at`` is set and
   ``outbox_message_sent`` is announced inside the same transaction, so domain rows that
   dashboards read (a survey's or auto-reply's sent time) follow. A message that can never
   be built fails at once; any other error is recorded with the attempt and retried with
   exponential backoff until ``OUTBOX_MAX_ATTEMPTS``, then the message is failed. Listeners of
   ``outbox_message_sent`` only update rows: one that raises rolls the mark back, and the
   message, already handed to the server, would be sent again by the sweep.
3. ``foundation.resend_outbox`` (beat) re-enqueues queued messages whose next try is overdue
   (the broker was down, a retry was lost); admin's *send again* queues failed ones anew.
"""

from __future__ import annotations

import http.client
import json
import logging
import random
import urllib.error
import urllib.request
import uuid
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import BadHeaderError, EmailMessage
from django.db import transaction
from django.utils import timezone

from foundation import config_cache, signing, webhook_targets
from foundation.events import declare
from foundation.models import OutboxMessage, WebhookSubscription
from foundation.queue import enqueue, enqueue_on_commit

logger = logging.getLogger(__name__)

TASK = "foundation.send_outbox_message"
Kind = OutboxMessage.Kind
Channel = OutboxMessage.Channel
Status = OutboxMessage.Status

outbox_message_sent = declare(
    "outbox_message_sent",
    "An outgoing message was sent (inside the transaction that marks it sent).",
    args=("message",),
)


class DeliveryError(Exception):
    """A send failed in a way worth retrying (SMTP or webhook down); the attempt is recorded."""


# Errors no retry can fix: the message itself cannot be built.
PERMANENT = (BadHeaderError, ValueError, UnicodeError)


def queue(
    *,
    kind: str,
    dedupe_key: str,
    recipient: str,
    subject: str = "",
    body: str = "",
    headers: dict[str, str] | None = None,
    channel: str = Channel.EMAIL,
    payload: dict[str, Any] | None = None,
    ref_kind: str = "",
    ref_id: int | None = None,
) -> OutboxMessage:
    """Store a finished message (inside the producer's transaction) and send it after commit.

    Renders nothing: the producer passes the subject, body and headers (or the webhook's
    payload). Queuing the same ``dedupe_key`` again returns the existing row and sends nothing.
    """
    with transaction.atomic():
        message, created = OutboxMessage.objects.get_or_create(
            dedupe_key=dedupe_key,
            defaults={
                "kind": kind,
                "channel": channel,
                "recipient": recipient,
                "subject": subject,
                "body": body,
                "headers": headers or {},
                "payload": payload,
                "ref_kind": ref_kind,
                "ref_id": ref_id,
            },
        )
        if created:
            enqueue_on_commit(TASK, message.pk)  # resend_outbox catches a missed one
    return message


def retry_delay_seconds(retries: int) -> float:
    """Backoff before retry ``retries + 1``: base × 2ⁿ (at most 10 minutes) plus up to a quarter of jitter."""
    delay = min(600, settings.OUTBOX_RETRY_BASE_SECONDS * 2 ** min(retries, 10))
    return delay + random.uniform(0, delay / 4)  # jitter, not security


def _post_webhook(url: str, payload: dict[str, Any]) -> None:
    if not url.startswith(("https://", "http://")):
        raise DeliveryError("chat webhook URL must be http(s)")
    request = urllib.request.Request(url, data=json.dumps(payload).encode(), headers={"Content-Type": "application/json"}, method="POST")  # noqa: S310
    try:
        with urllib.request.urlopen(request, timeout=settings.OUTBOX_WEBHOOK_TIMEOUT_SECONDS) as response:  # noqa: S310 - URL from settings
            if response.status >= 300:
                raise DeliveryError(f"webhook answered {response.status}")
    except urllib.error.HTTPError as exc:
        raise DeliveryError(f"webhook answered {exc.code}") from None
    except (urllib.error.URLError, TimeoutError, OSError) as exc:
        raise DeliveryError(f"webhook unreachable: {exc}") from None


SUBSCRIPTION_REF = "foundation.webhooksubscription"
DELIVERY_HEADER = "X-Escalation-Delivery"
EVENT_HEADER = "X-Escalation-Event"


class Undeliverable(ValueError):
    """The message can never be sent as it stands (its subscription is gone or switched off): failed at once."""


def subscribers(event: str) -> list[WebhookSubscription]:
    """The active subscriptions to ``event``, cached per process (``config_cache`` section "webhooks")."""
    active = config_cache.cached("webhooks", "active", lambda: list(WebhookSubscription.objects.filter(is_active=True)))
    return [subscription for subscription in active if event in subscription.events]


def publish(*, event: str, event_id: str, data: dict[str, Any], at: Any = None) -> list[OutboxMessage]:
    """One outbox row per active subscription to ``event`` (inside the caller's transaction), sent after commit.

    ``event_id`` names this occurrence; the dedupe key ``webhook:<subscription>:<event id>``
    means an occurrence reaches each subscription once. The payload's ``id`` is the delivery id
    (the same on every retry), for the receiver's own de-duplication.
    """
    messages = []
    for subscription in subscribers(event):
        key = f"webhook:{subscription.pk}:{event_id}"[:200]
        payload = {
            "id": str(uuid.uuid5(uuid.NAMESPACE_URL, key)),
            "event": event,
            "event_id": event_id,
            "occurred_at": (at or timezone.now()).isoformat(),
            "data": data,
        }
        messages.append(
            queue(
                kind=Kind.WEBHOOK,
                dedupe_key=key,
                recipient=subscription.url,
                subject=event,
                channel=Channel.WEBHOOK,
                payload=payload,
                ref_kind=SUBSCRIPTION_REF,
                ref_id=subscription.pk,
            )
        )
    return messages


def _send_subscribed(message: OutboxMessage) -> None:
    """Sign the body with the subscription's secret and POST it, after the SSRF guard resolves the URL again."""
    subscription = WebhookSubscription.objects.filter(pk=message.ref_id or 0).first()
    if subscription is None or not subscription.is_active:
        raise Undeliverable("the webhook subscription was deleted or switched off")
    body = json.dumps(message.payload, sort_keys=True, separators=(",", ":")).encode()
    timestamp = str(int(timezone.now().timestamp()))
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "escalation-webhooks/1",
        signing.TIMESTAMP_HEADER: timestamp,
        signing.SIGNATURE_HEADER: signing.sign(subscription.secret, timestamp, body),
        DELIVERY_HEADER: str((message.payload or {}).get("id", "")),
        EVENT_HEADER: message.subject,
    }
    try:
        code = webhook_targets.post(subscription.url, body=body, headers=headers, timeout=settings.OUTBOX_WEBHOOK_TIMEOUT_SECONDS)
    except (OSError, http.client.HTTPException) as exc:
        raise DeliveryError(f"webhook unreachable: {exc}") from None
    if code >= 300:
        raise DeliveryError(f"webhook answered {code}")


def _send(message: OutboxMessage) -> None:
    if message.kind == Kind.WEBHOOK:
        _send_subscribed(message)  # a refused target (TargetRefused) or a gone subscription fails at once
        return
    if message.channel == Channel.WEBHOOK:
        # The row names the webhook; its URL is a secret and stays in the environment.
        url = settings.CHAT_WEBHOOKS.get(message.recipient)
        if not url:
            raise DeliveryError(f"no chat webhook configured for {message.recipient!r}")
        _post_webhook(url, message.payload or {"text": f"*{message.subject}*\n{message.body}"})
        return
    headers = dict(message.headers or {})
    cc = [address.strip() for address in headers.pop("Cc", "").split(",") if address.strip()]
    if message.kind != Kind.REPLY:
        # Every mail the desk writes by itself says so (RFC 3834), so other desks' robots do not answer it.
        headers.setdefault("Auto-Submitted", "auto-replied")
        headers.setdefault("X-Auto-Response-Suppress", "All")
    EmailMessage(
        subject=message.subject,
        body=message.body,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.recipient],
        cc=cc,
        headers=headers or None,
    ).send()


def deliver(message_id: int) -> OutboxMessage | None:
    """Send one queued message once and record the attempt. Idempotent: a sent or failed message is left alone.

    Returns the message (``None`` when it is gone or another worker holds it); raises
    ``DeliveryError`` after recording a failed attempt that should be retried.
    """
    with transaction.atomic():
        message = OutboxMessage.objects.select_for_update(skip_locked=True).filter(pk=message_id).first()
        if message is None or message.status != Status.QUEUED:
            return message  # gone, another worker has it, sent already, or failed for good
        now = timezone.now()
        message.attempts += 1
        try:
            _send(message)
        except Exception as exc:  # noqa: BLE001 - every failure is recorded, then retried or given up
            message.last_error = f"{type(exc).__name__}: {exc}"[:2000]
            final = isinstance(exc, PERMANENT) or message.attempts >= settings.OUTBOX_MAX_ATTEMPTS
            message.status = Status.FAILED if final else Status.QUEUED
            message.next_attempt_at = now + timedelta(seconds=retry_delay_seconds(message.attempts - 1))
            message.save(update_fields=["attempts", "last_error", "status", "next_attempt_at"])
            failure: Exception = exc
        else:
            message.status = Status.SENT
            message.sent_at = now
            message.last_error = ""
            message.save(update_fields=["attempts", "last_error", "status", "sent_at"])
            outbox_message_sent.announce(message=message)
            return message
    # Raised outside the attempt's transaction, so the recorded attempt survives the retry.
    if message.status == Status.FAILED:
        logger.error("%s %s failed for good after %s attempt(s): %s", message.kind, message.pk, message.attempts, message.last_error)
        return message
    logger.warning("%s %s failed (attempt %s), will retry: %s", message.kind, message.pk, message.attempts, message.last_error)
    raise DeliveryError(message.last_error) from failure


def send_again(*, message_ids: list[int]) -> list[int]:
    """Queue failed messages again with a fresh count of attempts (admin's *send again*); sent after commit.

    Returns the ids queued again; messages that are not failed are left alone.
    """
    with transaction.atomic():
        ids = list(OutboxMessage.objects.select_for_update().filter(pk__in=message_ids, status=Status.FAILED).values_list("pk", flat=True))
        OutboxMessage.objects.filter(pk__in=ids).update(status=Status.QUEUED, attempts=0, last_error="", next_attempt_at=timezone.now())
        for message_id in ids:
            enqueue_on_commit(TASK, message_id)
    return ids


def send_again_one(*, ref_kind: str, ref_id: int) -> OutboxMessage:
    """Queue the failed message about one domain row again (raises ``ValidationError`` when there is none)."""
    message = OutboxMessage.objects.filter(ref_kind=ref_kind, ref_id=ref_id, status=Status.FAILED).first()
    if message is None or not send_again(message_ids=[message.pk]):
        raise ValidationError("Only a message that failed can be sent again.")
    message.refresh_from_db()
    return message


def send_by_key(dedupe_key: str) -> bool:
    """Enqueue the sending of the message with this key (the deprecated per-kind task names); False when there is none."""
    message_id = OutboxMessage.objects.filter(dedupe_key=dedupe_key).values_list("pk", flat=True).first()
    return message_id is not None and enqueue(TASK, message_id)


def overdue_ids(*, grace: timedelta, limit: int = 500) -> list[int]:
    """Queued messages whose next try is overdue by ``grace``: their task was lost (broker down, worker gone)."""
    cutoff = timezone.now() - grace
    return list(
        OutboxMessage.objects.filter(status=Status.QUEUED, next_attempt_at__lt=cutoff)
        .order_by("next_attempt_at")
        .values_list("pk", flat=True)[:limit]
    )


def resend_overdue(*, grace: timedelta = timedelta(minutes=5)) -> int:
    """The beat sweep: enqueue every overdue queued message again (``deliver`` is idempotent)."""
    ids = overdue_ids(grace=grace)
    for message_id in ids:
        enqueue(TASK, message_id)
    if ids:
        logger.info("re-enqueued %s outgoing message(s)", len(ids))
    return len(ids)


def delivery_of(*, ref_kind: str, ref_ids: list[int]) -> dict[int, OutboxMessage]:
    """The messages about these domain rows, by row id, in one query (the console's badges)."""
    if not ref_ids:
        return {}
    rows = OutboxMessage.objects.filter(ref_kind=ref_kind, ref_id__in=ref_ids).only(
        "ref_id", "kind", "status", "attempts", "last_error", "sent_at"
    )
    return {row.ref_id: row for row in rows if row.ref_id is not None}
