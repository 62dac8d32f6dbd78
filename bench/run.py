"""`make bench`: run every benchmark, print JSON, write bench/results/latest.json.

Runs against the database in DATABASE_URL (`make bench` starts a throwaway PostgreSQL
and Redis); it migrates first. Not part of the test run.
"""

from __future__ import annotations

import json
import os
import platform
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench.common import setup_django


def main() -> int:
    setup_django()
    from django.core.management import call_command

    from bench import dashboards, e2e, forecast, foundation, pages, routing_sim, sweep, triage, triage_pipeline

    call_command("migrate", verbosity=0)
    results: dict[str, Any] = {
        "ran_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(), "platform": platform.platform()},
    }
    # Each benchmark runs on its own; one that fails is reported, not allowed to hide the others.
    for name, bench in (
        ("foundation", foundation.run),
        ("triage_pipeline", triage_pipeline.run),
        ("triage", triage.run),
        ("routing_sim", routing_sim.run),
        # The breach forecast against the 75 % rule on the known-truth desk (two seeds, about 3 CPU minutes).
        ("forecast", forecast.run),
        # Loads BENCH_N realistic tickets (default 1,000,000: a year with outcomes, escalations, CSAT).
        ("dashboards", lambda: dashboards.run(n=int(os.environ.get("BENCH_N", "1000000")))),
        ("pages", lambda: pages.run(n=int(os.environ.get("BENCH_N", "1000000")))),
        # The real stack (gunicorn, worker, beat) under increasing API load, on the loaded database.
        ("e2e", e2e.run),
        # Last: it loads BENCH_SWEEP_N open tickets (default 1,000,000) into the throwaway database.
        ("sweep", lambda: sweep.run(n=int(os.environ.get("BENCH_SWEEP_N", "1000000")))),
    ):
        started = time.perf_counter()
        try:
            results[name] = bench()
        except Exception as exc:  # noqa: BLE001
            results[name] = {"error": f"{type(exc).__name__}: {exc}"}
        print(f"bench: {name} done in {time.perf_counter() - started:.1f}s", file=sys.stderr)
    text = json.dumps(results, indent=2)
    print(text)
    out = Path(__file__).resolve().parent / "results" / "latest.json"
    out.write_text(text + "\n")
    return 1 if any(isinstance(v, dict) and "error" in v for v in results.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
