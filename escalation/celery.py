"""The Celery application shared by the web process, workers and beat."""

from __future__ import annotations

import os

from celery import Celery, bootsteps
from celery.signals import worker_ready

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")

app = Celery("escalation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


class HeartbeatStep(bootsteps.StartStopStep):
    """Records in the database that this worker is alive, so ``/healthz`` can tell.

    A timer inside the worker (not a task) so a worker whose queue is full still reports,
    and a dead worker stops reporting within one interval.
    """

    requires = ("celery.worker.components:Timer",)

    def __init__(self, parent: object, **kwargs: object) -> None:
        super().__init__(parent, **kwargs)
        self.tref = None

    def start(self, parent: object) -> None:
        from django.conf import settings

        interval = float(settings.WORKER_HEARTBEAT_SECONDS)
        self.tref = parent.timer.call_repeatedly(interval, _beat, (parent.hostname,), priority=10)  # type: ignore[attr-defined]

    def stop(self, parent: object) -> None:
        if self.tref is not None:
            self.tref.cancel()
            self.tref = None


def _beat(hostname: str) -> None:
    from escalation.services import record_heartbeat

    try:
        record_heartbeat(component="worker", hostname=hostname)
    except Exception:  # noqa: BLE001 - a failed heartbeat must never stop the worker
        import logging

        logging.getLogger(__name__).warning("worker heartbeat failed", exc_info=True)


@worker_ready.connect
def _first_heartbeat(sender: object = None, **_: object) -> None:
    _beat(getattr(sender, "hostname", "worker"))


app.steps["worker"].add(HeartbeatStep)
