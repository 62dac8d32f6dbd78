"""Import at scale: a Zendesk JSON Lines export of N tickets with 3 comments each, timed end to end.

``python -m bench.import --n 100000`` (after ``migrate``, against ``DATABASE_URL``) writes an
export of N tickets spread over a year (with 3·N comments, 2,000 customers... scaled with N,
40 agents in 8 groups, 8 categories in a custom field, CSAT on a third), then times
``imports.runner.run`` — reading, checking, writing in batches, SLA outcomes, training labels
and rebuilding the dashboards' rollups of every day touched — and a second, idempotent run.
Target: 100,000 tickets with 300,000 comments ≤ 5 minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

CATEGORIES = ("billing", "delivery", "account", "technical", "refund", "shipping", "feature-request", "cancellation")
SUBJECTS = (
    "Charged twice for my last invoice", "Parcel has not arrived", "Cannot log in after password reset",
    "App crashes when I upload a photo", "Refund for returned item", "Wrong address on my order",
    "Please add dark mode", "Cancel my subscription",
)  # fmt: skip


def write_export(path: Path, n: int, *, seed: int = 11) -> int:
    rng = random.Random(seed)
    start = datetime(2025, 1, 1, tzinfo=UTC)
    customers = max(100, n // 5)
    users = [{"id": 10_000 + i, "name": f"Customer {i}", "email": f"customer{i}@bench-import.example", "role": "end-user"}
             for i in range(customers)]  # fmt: skip
    agents = [{"id": 90_000 + i, "name": f"Agent {i}", "email": f"agent{i}@bench-desk.example", "role": "agent"} for i in range(40)]
    groups = [{"id": 80_000 + i, "name": f"Bench group {i}"} for i in range(8)]
    comments = 0
    with path.open("w") as out:
        out.write(json.dumps({"users": users + agents, "groups": groups}) + "\n")
        for i in range(n):
            created = start + timedelta(minutes=rng.randint(0, 365 * 24 * 60))
            kind = rng.randrange(len(CATEGORIES))
            requester, agent = rng.choice(users), rng.choice(agents)
            replied = created + timedelta(minutes=rng.randint(2, 600))
            answered = replied + timedelta(minutes=rng.randint(5, 2000))
            solved = answered + timedelta(minutes=rng.randint(1, 3000))
            status = rng.choice(("solved", "closed", "closed", "closed", "open", "pending")) if i % 10 == 0 else "closed"
            body = f"{SUBJECTS[kind]}. Order {rng.randint(10000, 99999)}, please help. Regards, {requester['name']}"
            thread = [
                {"id": 3 * i + 1, "author_id": requester["id"], "public": True, "created_at": created.isoformat(), "body": body},
                {"id": 3 * i + 2, "author_id": agent["id"], "public": True, "created_at": replied.isoformat(),
                 "body": "Thanks for reaching out, we are looking into it and will get back to you shortly."},
                {"id": 3 * i + 3, "author_id": requester["id"], "public": True, "created_at": answered.isoformat(),
                 "body": "Thank you, that solved it."},
            ]  # fmt: skip
            comments += len(thread)
            ticket: dict[str, Any] = {
                "id": 1_000_000 + i, "subject": SUBJECTS[kind], "description": body, "status": status,
                "priority": rng.choice(("urgent", "high", "normal", "normal", "low")), "requester_id": requester["id"],
                "assignee_id": agent["id"], "group_id": groups[kind % len(groups)]["id"], "tags": [CATEGORIES[kind]],
                "via": {"channel": rng.choice(("email", "email", "web", "chat"))},
                "custom_fields": [{"id": 360001, "value": CATEGORIES[kind]}],
                "created_at": created.isoformat(), "updated_at": solved.isoformat(), "comments": thread,
            }  # fmt: skip
            if status in ("solved", "closed"):
                ticket["metric_set"] = {"solved_at": solved.isoformat()}
                if rng.random() < 0.33:
                    ticket["satisfaction_rating"] = {"score": rng.choice(("good", "good", "good", "bad")), "comment": ""}
            out.write(json.dumps(ticket) + "\n")
    return comments


def run(n: int) -> dict[str, Any]:
    from django.db import connection

    from imports import runner
    from imports.models import ImportedTicket
    from tickets.models import Interaction, Ticket

    source = f"bench-zendesk-{ImportedTicket.objects.values('source').distinct().count()}"  # a fresh source each run
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tickets.jsonl"
        begun = time.perf_counter()
        comments = write_export(path, n)
        generated = time.perf_counter() - begun
        mapping = json.dumps({"category_field": 360001})
        before = (Ticket.objects.count(), Interaction.objects.count())
        begun, cpu = time.perf_counter(), time.process_time()
        text = path.read_text()
        report = runner.run("zendesk", text=text, mapping=mapping, source=source)
        first, first_cpu = time.perf_counter() - begun, time.process_time() - cpu
        begun = time.perf_counter()
        again = runner.run("zendesk", text=text, mapping=mapping, source=source)
        second = time.perf_counter() - begun
    return {
        "tickets": n,
        "comments": comments,
        "database": connection.vendor,
        "export_written_s": round(generated, 1),
        "import_s": round(first, 1),
        "tickets_per_s": round(n / first),
        "import_python_cpu_s": round(first_cpu, 1),  # this process only (PostgreSQL's own CPU is not in it)
        "load_average_after": round(os.getloadavg()[0], 1),
        "created": report.created,
        "failed": report.failed,
        "days_rebuilt": len(report.days),
        "of_which_rollups_s": round(report.rollup_seconds, 1),
        "interactions_written": Interaction.objects.count() - before[1],
        "second_run_s": round(second, 1),
        "second_run_unchanged": again.unchanged,
        "target_s": 300,
        "within_target": first <= 300,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--n", type=int, default=100_000)
    args = parser.parse_args()
    from bench.common import setup_django

    setup_django()
    result = run(args.n)
    print(json.dumps(result, indent=2))
    return 0 if result["within_target"] else 1


if __name__ == "__main__":
    sys.exit(main())
