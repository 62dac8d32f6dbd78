"""The desk learns its breach forecasts' calibration from their outcomes.

The queue arithmetic (``escalation_engine.forecast``) knows the queue, not the desk: agents who
take a chat before the mail they were due to answer, a team that speeds up when the queue is
long. So the forecast task keeps a sample of its first-response forecasts (``sample``: every
``SAMPLE_EVERY``, each open ticket's features and the queue's probability), learns each sample's
outcome once known (``resolve``: answered by the due time or not; a sample whose target moved
or whose ticket closed unanswered is dropped, it judged a target that no longer exists), and a
daily task (``fit``) fits the logistic layer on the older three quarters of the last
``KEEP`` of outcomes, judges it on the newest quarter, and adopts it — refitted on every
outcome — only when its Brier score there beats the queue alone. Until then, and on a desk
with too little history (``forecast.MIN_SAMPLES``, ``MIN_BREACHES``), forecasts are the queue's.

Every step is a constant number of queries, whatever the number of open tickets or samples.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.db.models import F, Max, Q
from django.utils import timezone

from escalation_engine import forecast as core
from escalation_engine.models import ForecastCalibration, ForecastSample
from foundation import config_cache
from tickets.models import OPEN_STATUSES

logger = logging.getLogger(__name__)

SAMPLE_EVERY = timedelta(minutes=15)
KEEP = timedelta(days=35)
MAX_FIT_ROWS = 200_000  # the newest outcomes a fit reads (a month of a large desk)
HOLD_OUT = 0.25


def current() -> core.Calibration:
    """The newest adopted layer (the identity when none is), cached with the escalation settings."""
    return config_cache.cached("escalation", "forecast-calibration", _load)


def _load() -> core.Calibration:
    row = ForecastCalibration.objects.filter(adopted=True).order_by("-fitted_at", "-pk").only("calibration").first()
    return core.Calibration.from_dict(row.calibration) if row else core.Calibration()


def sample_due(now: datetime) -> bool:
    """Whether the forecast task should keep a sample this run (the last one is ``SAMPLE_EVERY`` old)."""
    last = ForecastSample.objects.aggregate(last=Max("taken_at"))["last"]
    return last is None or now - last >= SAMPLE_EVERY or last > now


def sample(rows: Iterable[tuple[int, datetime, core.Forecast]], *, now: datetime) -> int:
    """Keep ``(ticket id, first-response due time, forecast)`` of this run; overdue tickets are not forecasts."""
    found = [
        ForecastSample(
            ticket_id=ticket_id, taken_at=now, due_at=due, features=list(result.features),
            queue_probability=result.queue_probability if result.queue_probability is not None else result.probability,
        )
        for ticket_id, due, result in rows
        if result.remaining > 0 and len(result.features) == len(core.FEATURES)
    ]  # fmt: skip
    ForecastSample.objects.bulk_create(found, batch_size=2000)
    return len(found)


@dataclass
class Resolved:
    on_time: int = 0
    breached: int = 0
    dropped: int = 0


def resolve(*, now: datetime) -> Resolved:
    """Fill in the outcome of every sample whose outcome is now known (three statements, no rows read)."""
    pending = ForecastSample.objects.filter(resolved_at__isnull=True)
    done = Resolved()
    with transaction.atomic():
        moved = ~Q(ticket__sla_first_response_due_at=F("due_at"))
        unanswered_closed = Q(ticket__first_response_at__isnull=True) & ~Q(ticket__status__in=OPEN_STATUSES)
        done.dropped, _ = pending.filter(moved | unanswered_closed).delete()
        done.on_time = pending.filter(ticket__first_response_at__lte=F("due_at")).update(breached=False, resolved_at=now)
        late = Q(ticket__first_response_at__gt=F("due_at")) | Q(ticket__first_response_at__isnull=True, due_at__lte=now)
        done.breached = pending.filter(late).update(breached=True, resolved_at=now)
    return done


def brier_of(pairs: list[tuple[float, bool]]) -> float:
    return round(core.brier(pairs), 5)


def fit(*, now: datetime | None = None) -> ForecastCalibration:
    """The daily fit: judge a layer fitted on older outcomes on the newest ones; adopt it only if it beats the queue."""
    now = now or timezone.now()
    pruned, _ = ForecastSample.objects.filter(taken_at__lt=now - KEEP).delete()
    known = list(
        ForecastSample.objects.filter(resolved_at__isnull=False, taken_at__gte=now - KEEP)
        .order_by("-taken_at", "-pk")
        .values_list("features", "queue_probability", "breached")[:MAX_FIT_ROWS]
    )
    known.reverse()  # oldest first
    rows = [(tuple(float(x) for x in found), queue, bool(breached)) for found, queue, breached in known]
    split = int(len(rows) * (1 - HOLD_OUT))
    older, newest = rows[:split], rows[split:]
    trial = core.fit_calibration((found, breached) for found, _, breached in older)
    record = ForecastCalibration(fitted_at=now, samples=len(rows), breaches=sum(1 for *_, b in rows if b), held_out=len(newest))
    if not trial.fitted or not newest:
        breaches = sum(1 for *_, breached in older if breached)
        needs = f"needs {core.MIN_SAMPLES:,} and {core.MIN_BREACHES} breaches"
        record.note = f"too little history: {len(older):,} older outcomes, {breaches} breaches ({needs})"
        record.save()
        logger.info("forecast calibration: %s (%d samples pruned)", record.note, pruned)
        return record
    record.brier_queue = brier_of([(queue, breached) for _, queue, breached in newest])
    record.brier_calibrated = brier_of([(trial.apply(found), breached) for found, _, breached in newest])
    if record.brier_calibrated < record.brier_queue:
        final = core.fit_calibration((found, breached) for found, _, breached in rows)
        record.calibration = (final if final.fitted else trial).as_dict()
        record.adopted = True
        record.note = "beats the queue alone on the newest quarter"
    else:
        record.calibration = trial.as_dict()
        record.note = "no better than the queue alone on the newest quarter: not adopted"
    record.save()
    logger.info(
        "forecast calibration: %s (Brier %s → %s, %d samples pruned)", record.note, record.brier_queue, record.brier_calibrated, pruned
    )
    return record
