"""Analytics tasks: survey e-mails, rollup refresh, churn scoring, satisfaction model training."""

from __future__ import annotations

from datetime import timedelta

from django.utils import timezone

from foundation.retry import retrying_task


@retrying_task("analytics.send_survey", backoff=5, backoff_max=600, max_retries=12, also_retry=(OSError,))
def send_survey(survey_id: int) -> bool:
    from analytics import csat

    return csat.send(survey_id=survey_id)


@retrying_task("analytics.send_pending_surveys")
def send_pending_surveys() -> int:
    """Surveys whose task was lost (broker down when the ticket was resolved) are sent now."""
    from analytics.models import SatisfactionSurvey

    cutoff = timezone.now() - timedelta(minutes=10)
    ids = list(SatisfactionSurvey.objects.filter(sent_at__isnull=True, created_at__lt=cutoff).values_list("id", flat=True)[:500])
    for survey_id in ids:
        send_survey.delay(survey_id)
    return len(ids)


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
