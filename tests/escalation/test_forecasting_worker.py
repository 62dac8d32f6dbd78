"""Breach forecasts through the real broker and a real Celery worker (real Redis and PostgreSQL): the refresh an agent's
availability asks for, and the daily calibration fit.

Beat's entries are asserted in ``test_forecast_calibration`` (beat sends an interval task only after its first interval).

The worker is another process: the history is laid out relative to the real clock, nothing travels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from agents.models import Availability
from agents.services import set_availability
from escalation_engine import tasks
from escalation_engine.models import BreachForecast, ForecastCalibration, SlaPolicy
from tests.conftest import wait_for
from tests.escalation.test_forecast_calibration import _history
from tests.factories import AgentFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.integration


def test_a_real_worker_fits_and_adopts_the_layer(celery_worker_process: Any) -> None:
    _history(4000, start=timezone.now() - timedelta(days=10), bias=1.5, seed=7)
    worker = celery_worker_process()
    tasks.fit_forecast_calibration.delay()
    fitted = wait_for(lambda: ForecastCalibration.objects.filter(adopted=True).first(), timeout=120, interval=0.5, what="the daily fit")
    assert worker.poll() is None
    assert fitted.samples == 4000 and fitted.brier_calibrated is not None and fitted.brier_queue is not None
    assert fitted.brier_calibrated < fitted.brier_queue
    assert ForecastCalibration.objects.count() == 1


def test_an_agent_going_online_has_the_worker_refresh_the_teams_forecasts(celery_worker_process: Any) -> None:
    now = timezone.now()
    team = TeamFactory.create()
    agent = AgentFactory.create(availability=Availability.OFFLINE)
    agent.teams.add(team)
    policy = SlaPolicy.objects.create(
        name="P2 test", priority=2, first_response_minutes=60, next_response_minutes=60, resolution_minutes=600
    )
    waiting = [  # assigned to the agent: routing, which the same change asks for, leaves them where they are
        TicketFactory.create(
            team=team, status="assigned", assignee=agent, priority=2, sla_policy=policy, created_at=now - timedelta(minutes=5),
            sla_first_response_due_at=now + timedelta(hours=4), triaged_at=now,
        )
        for _ in range(3)
    ]  # fmt: skip
    worker = celery_worker_process()
    set_availability(agent=agent, availability=Availability.ONLINE, by=None)  # no forecast row yet: only the event makes them
    rows = wait_for(
        lambda: (found := list(BreachForecast.objects.filter(ticket__team=team))) and len(found) == 3 and found,
        timeout=60, interval=0.5, what="the team's forecasts",
    )  # fmt: skip
    assert worker.poll() is None
    assert {row.ticket_id for row in rows} == {t.pk for t in waiting}
    assert all(row.computed_at >= now for row in rows)
