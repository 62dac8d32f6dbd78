"""What-if runs a supervisor asks for on the console: checked, kept, played by the worker, listed.

1. ``request_run`` checks the period and the scenario the way the command does
   (``whatif.parse_scenario`` on the desk as it is, so a bad one is refused before anything is
   stored), keeps a queued run and hands it to the worker after commit (``escalation.whatif_run``).
   A run the broker would not take is failed at once instead of waiting forever.
2. ``execute`` is the task's body: a compare-and-set from queued (or running, when a lost worker's
   task is delivered again) to running; ``whatif.run_whatif`` with a progress callback that moves
   ``progress``; then done with the result, which is exactly the JSON ``manage.py whatif --json``
   prints, or failed with the reason. Transient database errors propagate so the task retries;
   ``give_up`` fails the run when the retries are spent.
3. ``fail_silent_runs`` (beat) fails a running run whose worker has said nothing for
   ``SILENT_AFTER``: no run stays "running" forever.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from escalation_engine.models import WhatIfRun
from escalation_engine.whatif import ScenarioError, load_desk, parse_scenario, run_whatif, side_by_side
from foundation import queue
from foundation.retry import TRANSIENT

logger = logging.getLogger(__name__)

TASK = "escalation.whatif_run"
MAX_PERIOD = timedelta(days=366)
MAX_SEED = 2**31 - 1
# The callback moves at least every replay; one replay of a month at 24 agents takes ~10 s, at 1 M tickets ~6 min.
SILENT_AFTER = timedelta(hours=1)
Status = WhatIfRun.Status


def check_request(*, since: datetime, until: datetime, scenario: Any, seed: int) -> None:
    """Raise ``ScenarioError`` (a message for a person) if the run cannot be played."""
    if until <= since:
        raise ScenarioError("the period's end must be after its start")
    if until - since > MAX_PERIOD:
        raise ScenarioError(f"the period may be at most {MAX_PERIOD.days} days")
    if not 0 <= seed <= MAX_SEED:
        raise ScenarioError(f"the seed is a whole number from 0 to {MAX_SEED}")
    parse_scenario(scenario, load_desk(since))


def request_run(*, by: Any, since: datetime, until: datetime, scenario: Any, seed: int = 1) -> WhatIfRun:
    """Keep a queued run of ``scenario`` over [since, until) and send it to the worker after commit."""
    check_request(since=since, until=until, scenario=scenario, seed=seed)
    with transaction.atomic():
        run = WhatIfRun.objects.create(
            requested_by=by if getattr(by, "pk", None) else None,
            period_start_at=since,
            period_end_at=until,
            scenario=scenario,
            seed=seed,
        )
        transaction.on_commit(partial(_send, run.pk))
    return run


def _send(run_id: int) -> None:
    if not queue.enqueue(TASK, run_id):
        _finish(run_id, status=Status.FAILED, error="The worker could not be reached (broker down); ask again.", only_from=(Status.QUEUED,))


def _finish(run_id: int, *, status: str, only_from: tuple[str, ...] = (Status.RUNNING,), **fields: Any) -> bool:
    now = timezone.now()
    changed = WhatIfRun.objects.filter(pk=run_id, status__in=only_from).update(status=status, finished_at=now, progress_at=now, **fields)
    return changed == 1


def _move(run_id: int, percent: int) -> None:
    # Below 100 until the result is stored; a run failed meanwhile (silent, given up) is left alone.
    WhatIfRun.objects.filter(pk=run_id, status=Status.RUNNING).update(progress=max(0, min(99, int(percent))), progress_at=timezone.now())


def execute(*, run_id: int) -> WhatIfRun | None:
    """Play one run (the task's body); ``None`` if it is gone or already finished (safe to run twice)."""
    now = timezone.now()
    started = WhatIfRun.objects.filter(pk=run_id, status__in=[Status.QUEUED, Status.RUNNING]).update(
        status=Status.RUNNING, started_at=now, progress_at=now, progress=0, error=""
    )
    if not started:
        return None
    run = WhatIfRun.objects.get(pk=run_id)
    try:
        result = run_whatif(
            since=run.period_start_at, until=run.period_end_at, scenario=run.scenario, seed=run.seed, progress=partial(_move, run_id)
        )
    except ScenarioError as error:  # the desk changed since it was asked (an agent or team gone)
        _finish(run_id, status=Status.FAILED, error=f"Bad scenario: {error}")
    except TRANSIENT:
        raise  # the task retries; the run stays running meanwhile
    except Exception as error:
        logger.exception("what-if run %s failed", run_id)
        _finish(run_id, status=Status.FAILED, error=f"The replay failed: {type(error).__name__}: {error}"[:2000])
    else:
        # Stored as the command prints it (its JSON, read back), so page, CSV and command agree exactly.
        _finish(run_id, status=Status.DONE, progress=100, result=json.loads(json.dumps(result)))
    return WhatIfRun.objects.get(pk=run_id)


def give_up(*, run_id: int, error: BaseException) -> None:
    """The task's retries are spent: the run fails with the last error."""
    message = f"Gave up after retries: {type(error).__name__}: {error}"[:2000]
    _finish(run_id, status=Status.FAILED, error=message, only_from=(Status.QUEUED, Status.RUNNING))


def fail_silent_runs() -> int:
    """Fail running runs whose worker has not moved them for ``SILENT_AFTER`` (the worker died for good)."""
    now = timezone.now()
    return WhatIfRun.objects.filter(status=Status.RUNNING, progress_at__lt=now - SILENT_AFTER).update(
        status=Status.FAILED, finished_at=now, error=f"No word from the worker for {SILENT_AFTER}; ask again."
    )


def recent_runs() -> QuerySet[WhatIfRun]:
    """Newest first, with who asked (one query per page); the result itself is not read for the list."""
    return WhatIfRun.objects.select_related("requested_by").defer("result").order_by("-created_at", "-id")


def result_rows(run: WhatIfRun) -> list[tuple[str, Any, Any]]:
    """(measure, baseline, scenario): the page's table and the CSV, from the stored result."""
    return side_by_side(run.result) if run.status == Status.DONE and run.result else []
