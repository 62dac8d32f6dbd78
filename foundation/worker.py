"""The worker's heartbeat: a timer step the Celery app installs (imports no model at load time)."""

from __future__ import annotations

from celery import bootsteps
from celery.signals import worker_ready


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
    from foundation.heartbeat import record_heartbeat  # models load once Django is set up

    try:
        record_heartbeat(component="worker", hostname=hostname)
    except Exception:  # noqa: BLE001 - a failed heartbeat must never stop the worker
        import logging

        logging.getLogger(__name__).warning("worker heartbeat failed", exc_info=True)


@worker_ready.connect
def _first_heartbeat(sender: object = None, **_: object) -> None:
    _beat(getattr(sender, "hostname", "worker"))
