"""The daily calibration fit sent through the real broker and run by a real Celery worker (real Redis and PostgreSQL).

Beat's entry is asserted in ``test_forecast_calibration`` (beat sends an interval task only after its first interval).

The worker is another process: the history is laid out relative to the real clock, nothing travels."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone

from escalation_engine import tasks
from escalation_engine.models import ForecastCalibration
from tests.conftest import wait_for
from tests.escalation.test_forecast_calibration import _history

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
