"""Self-service tasks."""

from __future__ import annotations

from foundation.retry import retrying_task


@retrying_task("helpcenter.send_auto_reply", backoff=5, backoff_max=600, max_retries=12, also_retry=(OSError,))
def send_auto_reply(ticket_id: int) -> bool:
    from helpcenter.services import send_auto_reply as send

    return send(ticket_id=ticket_id)
