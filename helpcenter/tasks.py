"""Self-service tasks."""

from __future__ import annotations

from foundation.retry import retrying_task


@retrying_task("helpcenter.send_auto_reply")
def send_auto_reply(ticket_id: int) -> bool:
    """Deprecated (kept one release for tasks queued before the outbox): queues the auto-reply in the outbox if it
    is not there yet and hands it to ``foundation.send_outbox_message``, which sends it once."""
    from helpcenter.services import send_auto_reply as send

    return send(ticket_id=ticket_id)
