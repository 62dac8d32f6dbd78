"""Functions that change the escalation engine's state."""

from __future__ import annotations

from django.utils import timezone

from escalation.models import Heartbeat


def record_heartbeat(*, component: str, hostname: str) -> Heartbeat:
    """Mark ``component`` on ``hostname`` as alive now (one upsert)."""
    heartbeat, _ = Heartbeat.objects.update_or_create(component=component, hostname=hostname, defaults={"last_seen_at": timezone.now()})
    return heartbeat
