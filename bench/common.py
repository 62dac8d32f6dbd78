"""Helpers shared by the benchmarks: Django setup and latency statistics."""

from __future__ import annotations

import os
import statistics
import time
from collections.abc import Callable
from typing import Any


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "escalation.settings")
    import django

    django.setup()


def latency(call: Callable[[], Any], *, repeat: int = 200, warmup: int = 10) -> dict[str, float]:
    """p50/p95/max of ``call`` in milliseconds."""
    for _ in range(warmup):
        call()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        call()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return {
        "p50_ms": round(statistics.median(samples), 2),
        "p95_ms": round(samples[int(len(samples) * 0.95) - 1], 2),
        "max_ms": round(samples[-1], 2),
        "n": len(samples),
    }


def measure_page(client: Any, url: str, *, repeat: int) -> dict[str, Any]:
    """p50/p95 of GET ``url`` (must answer 200) and the query count of one request."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    def get() -> None:
        response = client.get(url)
        if response.status_code != 200:
            raise RuntimeError(f"{url} answered {response.status_code}")

    with CaptureQueriesContext(connection) as queries:
        get()
    count = len(queries)  # now: the log is reset by the next request
    stats: dict[str, Any] = latency(get, repeat=repeat, warmup=3)
    stats["queries"] = count
    return stats


def main_at_scale(run: Callable[..., Any], description: str | None) -> int:
    """``--n`` tickets and ``--repeat`` requests per page; migrate, run, print the JSON."""
    import argparse
    import json

    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--n", type=int, default=1_000_000)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    setup_django()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)
    print(json.dumps(run(args.n, repeat=args.repeat), indent=2))
    return 0


def against_target(worst_p95_ms: float, target_p95_ms: float) -> dict[str, Any]:
    """The verdict every page benchmark reports: its worst p95 against the target."""
    return {"worst_page_p95_ms": worst_p95_ms, "target_p95_ms": target_p95_ms, "meets_target": worst_p95_ms <= target_p95_ms}
