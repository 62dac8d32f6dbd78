"""Liveness checks behind ``/healthz``: database, broker, worker and scheduler (and informing checks of higher layers)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import connection
from django.utils import timezone

from foundation.heartbeat import last_heartbeat_at
from foundation.models import Component


def check_database() -> dict[str, Any]:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure means "down", reported with its reason
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "vendor": connection.vendor}


HEALTH_QUEUE = "escalation.healthz"


def check_broker() -> dict[str, Any]:
    """Connect, publish a ping to a queue of its own and read it back: a broker that accepts
    connections but refuses writes (full disk, read-only replica, missing permissions) is down."""
    import uuid

    from celery import current_app as app

    transport = settings.CELERY_BROKER_URL.split("://", 1)[0]
    ping = uuid.uuid4().hex
    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=2)
            queue = conn.SimpleQueue(HEALTH_QUEUE, serializer="json")  # type: ignore[attr-defined]  # kombu Connection
            try:
                queue.put({"ping": ping})
                message = queue.get(block=True, timeout=2)
                message.ack()
            finally:
                queue.close()
    except Exception as exc:  # noqa: BLE001
        return {"ok": False, "transport": transport, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return {"ok": True, "transport": transport}


def _check_heartbeat(component: str, stale_after_seconds: float) -> dict[str, Any]:
    try:
        last: datetime | None = last_heartbeat_at(component=component)
    except Exception as exc:  # noqa: BLE001 - database down: the component cannot be vouched for
        return {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    if last is None:
        return {"ok": False, "last_heartbeat_at": None, "error": "never seen"}
    age = (timezone.now() - last).total_seconds()
    ok = age <= stale_after_seconds
    result: dict[str, Any] = {"ok": ok, "last_heartbeat_at": last.isoformat(), "age_seconds": round(age, 1)}
    if not ok:
        result["error"] = f"no heartbeat for {age:.0f}s (limit {stale_after_seconds:.0f}s)"
    return result


# Checks of higher layers (inbound mailboxes …), registered in their AppConfig.ready: they inform, never decide.
_INFORMING: dict[str, Callable[[], dict[str, Any]]] = {}


def register_check(name: str, check: Callable[[], dict[str, Any]]) -> None:
    """Add an informing check to ``/healthz`` (``{"ok": bool, …}``); it never makes the desk unhealthy."""
    _INFORMING[name] = check


def health_report() -> tuple[bool, dict[str, Any]]:
    """All checks; healthy when database, broker and worker are up.

    The scheduler (beat) is reported too, but its heartbeat arrives only every 15 s
    through a worker, so it informs rather than decides.
    """
    stale = float(settings.WORKER_STALE_AFTER_SECONDS)
    checks = {
        "database": check_database(),
        "broker": check_broker(),
        "worker": _check_heartbeat(Component.WORKER, stale),
        "scheduler": _check_heartbeat(Component.SCHEDULER, max(stale, timedelta(seconds=60).total_seconds())),
    }
    healthy = all(checks[name]["ok"] for name in ("database", "broker", "worker"))
    for name, check in _INFORMING.items():
        try:
            checks[name] = check()
        except Exception as exc:  # noqa: BLE001 - database down: already reported above
            checks[name] = {"ok": False, "error": f"{type(exc).__name__}: {exc}"[:300]}
    return healthy, checks


def public_checks(checks: dict[str, Any]) -> dict[str, Any]:
    """What an anonymous caller of ``/healthz`` may see: each check's verdict, no details."""
    return {name: {"ok": bool(check.get("ok"))} for name, check in checks.items()}
