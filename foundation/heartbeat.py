"""Heartbeats: workers and the beat schedule prove they run; ``/healthz`` reads the newest."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max
from django.utils import timezone

from foundation.models import Heartbeat


def record_heartbeat(*, component: str, hostname: str) -> Heartbeat:
    """Mark ``component`` on ``hostname`` as alive now (one upsert)."""
    heartbeat, _ = Heartbeat.objects.update_or_create(component=component, hostname=hostname, defaults={"last_seen_at": timezone.now()})
    return heartbeat


def last_heartbeat_at(*, component: str) -> datetime | None:
    """The newest heartbeat of any host running ``component``, or None if never seen."""
    result: datetime | None = Heartbeat.objects.filter(component=component).aggregate(last=Max("last_seen_at"))["last"]
    return result
