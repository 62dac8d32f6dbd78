"""Analytics tasks: survey e-mails, rollup refresh, churn scoring, satisfaction model training."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from foundation import outbox
from foundation.retry import retrying_task


@retrying_task("analytics.send_survey")
def send_survey(survey_id: int) -> bool:
    """Deprecated (kept one release for tasks queued before the outbox): queues the survey in the outbox if it is
    not there yet and hands it to ``foundation.send_outbox_message``, which sends it once."""
    from analytics import csat

    return csat.send(survey_id=survey_id)


@retrying_task("analytics.send_pending_surveys")
def send_pending_surveys() -> int:
    """Deprecated (kept one release for old beat schedules): the outbox's one sweep, ``foundation.resend_outbox``."""
    return outbox.resend_overdue(grace=timedelta(minutes=5))


@retrying_task("analytics.refresh_rollups")
def refresh_rollups() -> int:
    from analytics.rollup import refresh

    return len(refresh())


@retrying_task("analytics.score_churn")
def score_churn() -> int:
    from analytics.prediction import score_churn as score

    return score(since=timezone.now() - timedelta(hours=2))


@retrying_task("analytics.train_satisfaction_model")
def train_satisfaction_model() -> int:
    """Fit the satisfaction model on the latest answers and store it for the sweep; how many answers it used (0: none stored)."""
    from analytics.prediction import train_and_store

    stored = train_and_store()
    return stored.trained_on if stored else 0
