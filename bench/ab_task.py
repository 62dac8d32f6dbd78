"""Per-ticket task time of several builds, interleaved ticket by ticket (an A/B, not in `make bench`).

Each build (a checkout of this repository at some commit, e.g. ``git worktree add --detach
/tmp/old <rev>``) gets its own throwaway PostgreSQL and Redis (``tests.servers``), migrates,
seeds the demo desk and the default model, and stores the same N realistic mails
(``bench/data/realistic_triage.csv`` of *this* checkout). The driver then asks the builds,
in a shuffled order each round, to run ``process_new_ticket`` on their next ticket, so every
build sees the same machine load at the same moment; a loaded machine slows all of them alike,
and the ratios stay meaningful even when the absolute times do not.

    python -m bench.ab_task --tickets 300 old=/tmp/old new=/work/main

Prints JSON: per build p50, p95, mean (ms) and the median and max queries per ticket.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
MAILS = (HERE / "data" / "realistic_triage.csv",)


def _worker(tickets: int, mails: list[str]) -> None:
    """Inside one build: set up, say ``ready``, then time one ticket per ``tick`` line."""
    # Run as a script, this directory leads sys.path, and its foundation.py would shadow the build's app.
    sys.path[:] = [entry for entry in sys.path if Path(entry or ".").resolve() != HERE]
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    try:
        from demo.seed import seed_demo
        from pipeline.new_ticket import process_new_ticket
    except ImportError:  # builds from before the layers (issue 18)
        from escalation.demo import seed_demo  # type: ignore[no-redef]

        from tickets.triage_service import process_new_ticket  # type: ignore[attr-defined,no-redef]
    from tickets import triage_service
    from tickets.services import receive_contact

    call_command("migrate", verbosity=0)
    seed_demo(tickets=0, customers=50)
    triage_service.ensure_default_model()
    triage_service.active_classifier()
    rows: list[dict[str, str]] = []
    for path in mails:
        with open(path, newline="") as handle:
            rows += list(csv.DictReader(handle))

    def store(index: int, row: dict[str, str], who: str) -> int:
        subject = row["subject"] or "(no subject)"
        return receive_contact(channel="api", customer_email=f"{who}{index % 40}@example.com", subject=subject, body=row["body"]).ticket.pk

    ids = [store(index, rows[index % len(rows)], "bench") for index in range(tickets)]
    for index in range(5):  # warm-up, as a running worker is
        process_new_ticket(store(index, rows[-1 - index], "warm"))
    print("ready", flush=True)
    for position, line in enumerate(sys.stdin):
        if line.strip() != "tick" or position >= len(ids):
            break
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            process_new_ticket(ids[position])
            elapsed = (time.perf_counter() - start) * 1000
        print(json.dumps({"ms": elapsed, "queries": len(captured)}), flush=True)


def _read(process: subprocess.Popen[str]) -> Any:
    assert process.stdout is not None
    while line := process.stdout.readline():
        line = line.strip()
        if line == "ready" or line.startswith("{"):
            return "ready" if line == "ready" else json.loads(line)
    raise SystemExit("a build's worker stopped; see its stderr above")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tickets", type=int, default=300)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--mails", nargs="*", default=[str(path) for path in MAILS], help=argparse.SUPPRESS)
    parser.add_argument("builds", nargs="*", help="name=path of a checkout")
    args = parser.parse_args(argv)
    if args.worker:
        _worker(args.tickets, args.mails)
        return 0
    builds = dict(item.split("=", 1) for item in args.builds)
    processes = {}
    for name, path in builds.items():
        worker = [sys.executable, str(Path(__file__).resolve()), "--worker", "--tickets", str(args.tickets), "--mails", *args.mails]
        command = [sys.executable, "-m", "tests.servers", "--", *worker]
        environment = dict(os.environ, PYTHONPATH=path)
        processes[name] = subprocess.Popen(command, cwd=path, env=environment, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    for process in processes.values():
        if _read(process) != "ready":
            raise SystemExit("a build did not get ready")
    samples: dict[str, list[dict[str, float]]] = {name: [] for name in builds}
    order = list(builds)
    shuffle = random.Random(args.seed).shuffle
    for _ in range(args.tickets):
        shuffle(order)
        for name in order:
            process = processes[name]
            assert process.stdin is not None
            process.stdin.write("tick\n")
            process.stdin.flush()
            samples[name].append(_read(process))
    for process in processes.values():
        assert process.stdin is not None
        process.stdin.close()
        process.wait()
    report = {}
    for name, rows in samples.items():
        times = sorted(row["ms"] for row in rows)
        report[name] = {
            "tickets": len(times),
            "p50_ms": round(statistics.median(times), 2),
            "p95_ms": round(times[int(len(times) * 0.95) - 1], 2),
            "mean_ms": round(statistics.mean(times), 2),
            "queries_median": statistics.median(row["queries"] for row in rows),
            "queries_max": max(row["queries"] for row in rows),
        }
    print(json.dumps(report, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
