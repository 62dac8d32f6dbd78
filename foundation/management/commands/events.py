"""``manage.py events``: every event, what it carries, and its listeners (JSON)."""

from __future__ import annotations

import json
from typing import Any

from django.core.management.base import BaseCommand

from foundation.events import describe


class Command(BaseCommand):
    help = "List every event with its listeners (inside the transaction or after commit)."

    def handle(self, *args: Any, **options: Any) -> None:
        self.stdout.write(json.dumps(describe(), indent=2))
