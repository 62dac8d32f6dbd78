"""The one way to hand work to a Celery worker: by task name, after the current transaction commits.

Work is enqueued only once the rows it reads are committed (a worker never finds a ticket
that is not there yet), and a broker outage is logged, never raised: the caller's change is
already stored, and each kind of work has a sweep that finds what was not enqueued (untriaged
tickets, queued outgoing messages, waiting tickets). Tasks are named
("tickets.triage_ticket"), so a lower layer can hand work to a higher one without importing it.
"""

from __future__ import annotations

import logging
from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction

logger = logging.getLogger(__name__)


def enqueue(task_name: str, *args: Any) -> bool:
    """Send the task now (eagerly in unit tests); False when the broker cannot be reached."""
    try:
        tasks = current_app.tasks
        if task_name not in tasks:
            # Task modules are discovered lazily (on worker start); a web process imports them on first use.
            current_app.loader.import_default_modules()
        tasks[task_name].delay(*args)
    except Exception:  # noqa: BLE001 - the change is committed; a recovery sweep enqueues it later
        logger.warning("could not enqueue %s%s; its sweep will pick it up", task_name, args, exc_info=True)
        return False
    return True


def enqueue_on_commit(task_name: str, *args: Any) -> None:
    """Send the task once the current transaction commits (at once outside a transaction)."""
    transaction.on_commit(partial(enqueue, task_name, *args))
