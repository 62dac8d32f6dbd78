"""The desk learns its forecast's calibration: samples kept, outcomes learned, a layer adopted only when it beats the queue.

On a frozen clock; the desk of ``test_forecasting`` (two agents, a queue of P2 tickets due in 50 minutes).
"""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation_engine import forecast as core
from escalation_engine import forecast_learning, forecasting, tasks
from escalation_engine.models import BreachForecast, ForecastCalibration, ForecastSample
from tests.escalation.test_forecasting import _desk, fifty_more
from tests.factories import TicketFactory
from tickets.models import Ticket

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # a Monday noon
pytestmark = [pytest.mark.travel(NOW), pytest.mark.django_db]


@pytest.fixture(autouse=True)
def _fresh_cache() -> None:
    cache.clear()


def test_the_forecast_task_keeps_a_sample_every_quarter_hour() -> None:
    _, _, tickets = _desk(queue=6)
    assert forecasting.refresh_forecasts(now=NOW).sampled == 6
    stored = {row.ticket_id: row for row in BreachForecast.objects.all()}
    for found in ForecastSample.objects.all():
        assert len(found.features) == len(core.FEATURES) and found.breached is None
        assert found.queue_probability == pytest.approx(stored[found.ticket_id].probability, abs=1e-4)  # no layer yet: the same
        assert found.due_at == NOW + timedelta(minutes=50)
    assert forecasting.refresh_forecasts(now=NOW + timedelta(minutes=14)).sampled == 0
    assert forecasting.refresh_forecasts(now=NOW + timedelta(minutes=15)).sampled == 6
    assert ForecastSample.objects.filter(ticket=tickets[0]).count() == 2


def test_outcomes_are_learned_and_samples_of_a_moved_target_or_an_unanswered_close_are_dropped() -> None:
    _, _, tickets = _desk(queue=6)
    forecasting.refresh_forecasts(now=NOW)
    due = NOW + timedelta(minutes=50)
    on_time, late, unanswered, moved, closed, waiting = tickets
    Ticket.objects.filter(pk=on_time.pk).update(first_response_at=due - timedelta(minutes=1))
    Ticket.objects.filter(pk=late.pk).update(first_response_at=due + timedelta(minutes=1))
    Ticket.objects.filter(pk=moved.pk).update(sla_first_response_due_at=due - timedelta(minutes=30))  # raised to P1
    Ticket.objects.filter(pk=closed.pk).update(status="closed")  # spam, closed without a reply
    Ticket.objects.filter(pk=waiting.pk).update(sla_first_response_due_at=due + timedelta(hours=3))
    ForecastSample.objects.filter(ticket=waiting).update(due_at=due + timedelta(hours=3))  # its target is later still
    done = forecast_learning.resolve(now=due + timedelta(minutes=5))
    outcome = dict(ForecastSample.objects.values_list("ticket_id", "breached"))
    assert outcome == {on_time.pk: False, late.pk: True, unanswered.pk: True, waiting.pk: None}
    assert (done.on_time, done.breached, done.dropped) == (1, 2, 2)
    assert ForecastSample.objects.get(ticket=late).resolved_at == due + timedelta(minutes=5)


def _history(rows: int, *, start: datetime, bias: float, seed: int, flip: bool = False) -> list[ForecastSample]:
    """Past forecasts of a desk whose queue under-states its risk: the truth is σ(logit(queue) + ``bias``)."""
    ticket = TicketFactory.create()
    rng = random.Random(seed)
    found = []
    for index in range(rows):
        queue = rng.uniform(0.01, 0.9)
        truth = 1 / (1 + math.exp(-(math.log(queue / (1 - queue)) + bias)))
        breached = rng.random() < (1 - truth if flip else truth)
        situation = core.Situation(remaining=rng.uniform(600, 7200), ahead=rng.randrange(0, 20), servers=2, category="")
        taken = start + timedelta(minutes=index)
        found.append(
            ForecastSample(
                ticket=ticket, taken_at=taken, due_at=taken + timedelta(hours=1), features=list(core.features(situation, queue)),
                queue_probability=queue, breached=breached, resolved_at=taken + timedelta(hours=1),
            )
        )  # fmt: skip
    return ForecastSample.objects.bulk_create(found)


def test_a_layer_that_beats_the_queue_on_the_newest_quarter_is_adopted_and_used() -> None:
    _history(4000, start=NOW - timedelta(days=10), bias=1.5, seed=1)
    record = forecast_learning.fit(now=NOW)
    assert record.adopted and record.samples == 4000 and record.held_out == 1000
    assert ForecastCalibration.objects.get(adopted=True).calibration["samples"] == 4000
    assert record.brier_calibrated is not None and record.brier_queue is not None
    assert record.brier_calibrated < record.brier_queue - 0.01
    layer = forecast_learning.current()
    assert layer.fitted and layer.samples == 4000  # refitted on every outcome once adopted
    # The known answer, logit + 1.5 (on this desk everyone is on duty, so the logit is read twice and the weight shared).
    assert layer.weights[0] + layer.weights[5] == pytest.approx(1.0, abs=0.25)
    assert layer.intercept + layer.weights[4] == pytest.approx(1.5, abs=0.4)
    # The live forecast now reads the layer: the queue said less than the desk will do.
    _desk(queue=14)
    forecasting.refresh_forecasts(now=NOW)
    row = BreachForecast.objects.order_by("-probability").first()
    assert row is not None and any(factor.startswith("calibrated on 4,000 past forecasts") for factor in row.factors)
    sample = ForecastSample.objects.filter(ticket=row.ticket, taken_at=NOW).get()
    assert row.probability > sample.queue_probability  # the sample keeps the queue's own probability to learn from


def test_a_layer_that_does_not_hold_on_the_newest_quarter_is_not_adopted() -> None:
    # The desk changed three weeks in: what the older outcomes teach is the opposite of the newest.
    _history(3000, start=NOW - timedelta(days=20), bias=0.0, seed=2, flip=True)
    _history(1000, start=NOW - timedelta(days=2), bias=0.0, seed=3)
    record = forecast_learning.fit(now=NOW)
    assert not record.adopted and record.brier_calibrated is not None and record.brier_queue is not None
    assert record.brier_calibrated > record.brier_queue
    assert not forecast_learning.current().fitted  # forecasts stay the queue's


def test_too_little_history_keeps_the_queue_and_old_samples_are_pruned() -> None:
    _history(300, start=NOW - timedelta(days=40), bias=1.0, seed=4)
    _history(500, start=NOW - timedelta(days=3), bias=1.0, seed=5)
    record = forecast_learning.fit(now=NOW)
    assert not record.adopted and "too little history: 375 older outcomes" in record.note
    assert ForecastSample.objects.count() == 500
    assert not forecast_learning.current().fitted


def test_the_fit_runs_daily_from_beat_through_its_task() -> None:
    entry: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE["breach-forecast-calibration"]
    assert entry["task"] == tasks.fit_forecast_calibration.name == "escalation.fit_forecast_calibration"
    assert entry["schedule"] == timedelta(hours=24)
    _history(4000, start=NOW - timedelta(days=10), bias=1.5, seed=6)
    assert tasks.fit_forecast_calibration.apply().get()["adopted"] is True


def test_sampling_and_learning_outcomes_read_a_constant_number_of_queries() -> None:
    team, _, tickets = _desk(queue=10)
    forecasting.refresh_forecasts(now=NOW - timedelta(minutes=30))  # warms the caches; samples due at NOW again
    with CaptureQueriesContext(connection) as ten:
        assert forecasting.refresh_forecasts(now=NOW).sampled == 10
    fifty_more(team, tickets[0].sla_policy)
    ForecastSample.objects.update(taken_at=NOW - timedelta(minutes=20))
    with CaptureQueriesContext(connection) as sixty:
        assert forecasting.refresh_forecasts(now=NOW).sampled == 60
    assert len(sixty) == len(ten)
