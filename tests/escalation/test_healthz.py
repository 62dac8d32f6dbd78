"""/healthz answers 200 only when database, broker and worker are all up."""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone

from foundation.heartbeat import record_heartbeat
from foundation.models import Heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def staff(client: Client) -> Client:
    """Only staff see the checks' details; everyone else sees each check's verdict."""
    from tests.factories import UserFactory

    client.force_login(UserFactory.create(role="admin"))
    return client


def test_healthy_when_a_worker_has_just_reported(client: Client) -> None:
    record_heartbeat(component="worker", hostname="w1")
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok"
    assert body["checks"]["database"]["ok"] and body["checks"]["broker"]["ok"] and body["checks"]["worker"]["ok"]


def test_no_worker_ever_seen_is_unhealthy(staff: Client) -> None:
    response = staff.get("/healthz")
    assert response.status_code == 503
    assert response.json()["checks"]["worker"] == {"ok": False, "last_heartbeat_at": None, "error": "never seen"}


def test_stale_worker_heartbeat_is_unhealthy(staff: Client, settings) -> None:
    settings.WORKER_STALE_AFTER_SECONDS = 30
    Heartbeat.objects.create(component="worker", hostname="w1", last_seen_at=timezone.now() - timedelta(seconds=31))
    response = staff.get("/healthz")
    assert response.status_code == 503
    assert "no heartbeat for 31s" in response.json()["checks"]["worker"]["error"]


def test_unreachable_broker_is_unhealthy(staff: Client, settings) -> None:
    record_heartbeat(component="worker", hostname="w1")
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"  # nothing listens on the discard port
    response = staff.get("/healthz")
    assert response.status_code == 503
    broker = response.json()["checks"]["broker"]
    assert broker["ok"] is False and broker["transport"] == "redis"


def test_an_outsider_sees_each_verdict_but_no_detail(client: Client, settings) -> None:
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:9/0"
    Heartbeat.objects.create(component="worker", hostname="w1", last_seen_at=timezone.now() - timedelta(seconds=600))
    response = client.get("/healthz")
    assert response.status_code == 503
    checks = response.json()["checks"]
    assert checks["broker"] == {"ok": False} and checks["worker"] == {"ok": False} and checks["database"] == {"ok": True}
    assert "127.0.0.1" not in response.content.decode() and "heartbeat" not in response.content.decode()


def test_healthz_only_answers_get(client: Client) -> None:
    assert client.post("/healthz").status_code == 405


@pytest.mark.integration
def test_a_broker_that_accepts_connections_but_refuses_writes_is_unhealthy(staff: Client, settings) -> None:
    """Connecting is not enough: /healthz publishes a ping and reads it back."""
    import os
    from urllib.parse import urlparse

    import redis

    url = urlparse(os.environ["REDIS_URL"])
    admin = redis.Redis.from_url(os.environ["REDIS_URL"])
    # This user may connect and read, but publishing (LPUSH/SADD) is refused: NOPERM.
    admin.execute_command("ACL", "SETUSER", "healthz-readonly", "on", ">secret", "~*", "+@all", "-lpush", "-rpush", "-sadd")
    try:
        record_heartbeat(component="worker", hostname="w1")
        settings.CELERY_BROKER_URL = f"redis://healthz-readonly:secret@{url.hostname}:{url.port}/0"
        response = staff.get("/healthz")
        broker = response.json()["checks"]["broker"]
        assert response.status_code == 503 and broker["ok"] is False and "no permissions" in broker["error"], broker
        settings.CELERY_BROKER_URL = os.environ["REDIS_URL"]
        assert staff.get("/healthz").status_code == 200  # the round trip itself works on a healthy broker
    finally:
        admin.execute_command("ACL", "DELUSER", "healthz-readonly")
