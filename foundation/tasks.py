"""The platform's tasks: the beat schedule's heartbeat and the outbox (one sender, one resend sweep)."""

from __future__ import annotations

import socket
from datetime import timedelta
from typing import Any

from celery import shared_task

from foundation import outbox
from foundation.heartbeat import record_heartbeat
from foundation.models import Component
from foundation.retry import retrying_task


@shared_task(name="escalation.scheduler_heartbeat", ignore_result=True)
def scheduler_heartbeat() -> None:
    """Sent by beat, run by a worker: proves the schedule → broker → worker path works."""
    record_heartbeat(component=Component.SCHEDULER, hostname=socket.gethostname())


# deliver() gives up after OUTBOX_MAX_ATTEMPTS and records why; the task's own limit is only a backstop.
@retrying_task("foundation.send_outbox_message", bind=True, max_retries=100)
def send_outbox_message(self: Any, message_id: int) -> None:
    """Send one outgoing message; a failed attempt is retried with exponential backoff until sent or failed."""
    try:
        outbox.deliver(message_id)
    except outbox.DeliveryError as exc:
        raise self.retry(exc=exc, countdown=outbox.retry_delay_seconds(self.request.retries)) from None


@retrying_task("foundation.resend_outbox")
def resend_outbox(older_than_seconds: int = 300) -> int:
    """Beat sweep: queued messages whose next try is overdue (broker down when queued, a lost retry) are sent again."""
    return outbox.resend_overdue(grace=timedelta(seconds=older_than_seconds))
