"""The escalation engine's data. For now: liveness of the background processes."""

from __future__ import annotations

from django.db import models


class Component(models.TextChoices):
    WORKER = "worker", "Celery worker"
    SCHEDULER = "scheduler", "Celery beat"


class Heartbeat(models.Model):
    """The last time a worker (or the beat schedule, through a worker) proved it runs."""

    component = models.CharField(max_length=16, choices=Component.choices)
    hostname = models.CharField(max_length=255)
    last_seen_at = models.DateTimeField()

    class Meta:
        constraints = [models.UniqueConstraint(fields=["component", "hostname"], name="heartbeat_component_host_unique")]
        indexes = [models.Index(fields=["component", "-last_seen_at"], name="heartbeat_recent_idx")]

    def __str__(self) -> str:
        return f"{self.component}@{self.hostname}"
