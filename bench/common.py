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
