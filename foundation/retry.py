"""The errors every task retries with backoff, and the one way tasks declare it."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from celery import shared_task
from django.db import InterfaceError, OperationalError

# Database or broker hiccups: retried with backoff and jitter. Anything else fails loudly.
TRANSIENT = (OperationalError, InterfaceError, ConnectionError, TimeoutError)


def retrying_task(
    name: str,
    *,
    max_retries: int | None = 20,
    backoff_max: int = 300,
    backoff: int = 2,
    also_retry: tuple[type[BaseException], ...] = (),
    bind: bool = False,
) -> Callable[[Callable[..., Any]], Any]:
    """A named, late-acknowledged task retried on transient errors (and ``also_retry``); ``bind`` for its own ``self.retry``."""
    task: Any = shared_task  # ``bind`` is a bool here, which the stubs' overloads (Literal True/False) do not take
    return task(
        name=name,
        bind=bind,
        acks_late=True,
        autoretry_for=(*TRANSIENT, *also_retry),
        retry_backoff=backoff,
        retry_backoff_max=backoff_max,
        retry_jitter=True,
        max_retries=max_retries,
    )
