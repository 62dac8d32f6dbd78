"""Time one ticket's triage under a catastrophic routing pattern written straight into the database.

Used in-process on PostgreSQL and, through ``python -m tests.agents.pattern_probe``, in a
separate process on the embedded SQLite database (where a slow pattern once held the write lock).
"""

from __future__ import annotations

import json
import time

# The pattern an attacker saved: exponential on Python's backtracking engine (48.8 s on 44 characters).
CATASTROPHIC = r"^(\w+\s?)*$"
TEN_KB_TEXT = ("I cannot log in to my account. today " * 300)[:10_000]


def triage_seconds(pattern: str = CATASTROPHIC) -> dict[str, float | bool]:
    """Store a rule bypassing all validation, warm the worker's caches, then time the triage task on a 10 kB ticket.

    ``baseline`` is the same ticket's triage under a harmless pattern, timed the same way just
    before: what the catastrophic one adds is ``seconds - baseline`` (a stall would add seconds).
    """
    baseline = _timed(r"\bnever-matches-anything\b")
    return {**_timed(pattern), "baseline": baseline["seconds"]}


def _timed(pattern: str) -> dict[str, float | bool]:
    from agents.models import RoutingRule
    from pipeline import tasks as pipeline_tasks
    from tickets.models import Ticket
    from tickets.services import receive_contact

    RoutingRule.objects.all().delete()
    rule = RoutingRule.objects.create(name="probe", order=1)
    RoutingRule.objects.filter(pk=rule.pk).update(keyword_pattern=pattern)  # no clean(), no form, no API
    warm = receive_contact(channel="api", customer_email="warm@example.com", subject="Warm up", body="Hello there.")
    pipeline_tasks.triage_ticket.run(warm.ticket.pk)
    ticket = receive_contact(channel="api", customer_email="slow@example.com", subject="Cannot log in", body=TEN_KB_TEXT).ticket
    started = time.perf_counter()
    pipeline_tasks.triage_ticket.run(ticket.pk)
    seconds = time.perf_counter() - started
    return {"seconds": seconds, "triaged": Ticket.objects.get(pk=ticket.pk).triaged_at is not None}


if __name__ == "__main__":
    import django

    django.setup()
    from django.db import connection

    print(json.dumps({**triage_seconds(), "vendor": connection.vendor}))
