"""``manage.py sweep_escalations --once``: run the escalation sweep now (beat runs it every minute)."""

from __future__ import annotations

import json
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandParser

from escalation_engine.sweep import sweep


class Command(BaseCommand):
    help = "Check every ticket whose next escalation check is due."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--once", action="store_true", help="one pass (the default; beat schedules the rest)")
        parser.add_argument("--batch-size", type=int, default=500)

    def handle(self, *args: Any, **options: Any) -> None:
        started = time.perf_counter()
        result = sweep(batch_size=max(1, options["batch_size"]))
        self.stdout.write(
            json.dumps(
                {
                    "read": result.read,
                    "escalated": result.escalated,
                    "failed": result.failed,
                    "ms": round((time.perf_counter() - started) * 1000, 1),
                }
            )
        )
