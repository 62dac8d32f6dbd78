"""The Celery application shared by the web process, workers and beat."""

from __future__ import annotations

import os

from celery import Celery

from foundation.worker import HeartbeatStep

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")

app = Celery("escalation")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


app.steps["worker"].add(HeartbeatStep)
