"""Periodic tasks of the escalation engine (thin: they call services)."""

from __future__ import annotations

import socket

from celery import shared_task

from escalation.models import Component
from escalation.services import record_heartbeat


@shared_task(name="escalation.scheduler_heartbeat", ignore_result=True)
def scheduler_heartbeat() -> None:
    """Sent by beat, run by a worker: proves the schedule → broker → worker path works."""
    record_heartbeat(component=Component.SCHEDULER, hostname=socket.gethostname())
