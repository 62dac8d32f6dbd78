"""A real Celery worker on real Redis and PostgreSQL runs tasks and is watched by /healthz."""

import signal

import pytest
from django.test import Client

from foundation.models import Heartbeat
from foundation.tasks import scheduler_heartbeat
from tests.conftest import stop_process, wait_for

pytestmark = pytest.mark.integration


def test_a_real_worker_runs_a_task_sent_through_redis(celery_worker_process) -> None:
    worker = celery_worker_process()
    wait_for(lambda: Heartbeat.objects.filter(component="worker").exists(), timeout=60, what="worker heartbeat")
    assert not Heartbeat.objects.filter(component="scheduler").exists()

    scheduler_heartbeat.delay()

    beat = wait_for(lambda: Heartbeat.objects.filter(component="scheduler").first(), timeout=30, what="task to run")
    assert beat.last_seen_at is not None
    assert worker.poll() is None


def test_healthz_turns_503_when_the_worker_dies(celery_worker_process, settings) -> None:
    settings.WORKER_STALE_AFTER_SECONDS = 3
    from tests.factories import UserFactory

    client = Client()
    client.force_login(UserFactory.create(role="admin"))  # staff see why a check failed
    worker = celery_worker_process()

    wait_for(lambda: client.get("/healthz").status_code == 200, timeout=60, what="healthz 200 with a live worker")

    stop_process(worker, sig=signal.SIGKILL)
    response = wait_for(
        lambda: (r := client.get("/healthz")).status_code == 503 and r, timeout=15, what="healthz 503 after the worker died"
    )
    checks = response.json()["checks"]
    assert checks["worker"]["ok"] is False
    assert "no heartbeat" in checks["worker"]["error"]
    assert checks["database"]["ok"] and checks["broker"]["ok"]
