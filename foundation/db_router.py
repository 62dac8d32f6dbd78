"""Dashboard reads on a PostgreSQL read replica (``DATABASE_REPLICA_URL``), everything else on the primary."""

from __future__ import annotations

from typing import Any

from django.conf import settings

# Rollups are written by the worker on the primary and only read by dashboards: replica lag of a
# few seconds is harmless there. Live counts (backlog, at risk now) stay on the primary.
REPLICA_READ_MODELS = {"analytics.DailyStat"}
REPLICA = "replica"


class DashboardReplicaRouter:
    def db_for_read(self, model: Any, **hints: Any) -> str | None:
        if model._meta.label in REPLICA_READ_MODELS and REPLICA in settings.DATABASES:
            return REPLICA
        return None

    def db_for_write(self, model: Any, **hints: Any) -> str | None:
        return None

    def allow_relation(self, obj1: Any, obj2: Any, **hints: Any) -> bool | None:
        return None

    def allow_migrate(self, db: str, app_label: str, **hints: Any) -> bool | None:
        return False if db == REPLICA else None  # the replica follows the primary's schema
