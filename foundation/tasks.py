"""The platform's periodic task: the beat schedule's heartbeat."""

from __future__ import annotations

import socket

from celery import shared_task

from foundation.heartbeat import record_heartbeat
from foundation.models import Component


@shared_task(name="escalation.scheduler_heartbeat", ignore_result=True)
def scheduler_heartbeat() -> None:
    """Sent by beat, run by a worker: proves the schedule → broker → worker path works."""
    record_heartbeat(component=Component.SCHEDULER, hostname=socket.gethostname())
