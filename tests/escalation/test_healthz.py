"""/healthz answers 200 only when database, broker and worker are all up."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from escalation.models import Heartbeat
from escalation.services import record_heartbeat

pytestmark = pytest.mark.django_db


def test_healthy_when_a_worker_has_just_reported(client: Client) -> None:
    record_heartbeat(component="worker", hostname="w1")
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"] and body["checks"]["worker"]["ok"]


def test_no_worker_ever_seen_is_unhealthy(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"ok": False, "last_heartbeat_at": None, "error": "never seen"}


def test_stale_worker_heartbeat_is_unhealthy(client: Client, settings) -> None:
    settings.WORKER_STALE_AFTER_SECONDS = 30
    Heartbeat.objects.create(component="worker", hostname="w1", last_seen_at=timezone.now() - timedelta(seconds=31))
    response = client.get("/healthz")
    assert response.status_code == 503
    assert "no heartbeat for 31s" in response.json()["checks"]["worker"]["error"]


def test_unreachable_broker_is_unhealthy(client: Client, settings) -> None:
    record_heartbeat(component="worker", hostname="w1")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    response = client.get("/healthz")
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False and broker["transport"] == "redis"


def test_healthz_only_answers_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405
