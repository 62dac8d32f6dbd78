"""Read queries for the escalation engine."""

from __future__ import annotations

from datetime import datetime

from django.db.models import Max

from escalation.models import Heartbeat


def last_heartbeat_at(*, component: str) -> datetime | None:
    """The newest heartbeat of any host running ``component``, or None if never seen."""
    result: datetime | None = Heartbeat.objects.filter(component=component).aggregate(last=Max("last_seen_at"))["last"]
    return result
