"""Satisfaction prediction (rule, then a trained model) and churn risk, with their factors."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from analytics import prediction, tasks
from analytics.models import SatisfactionSurvey
from escalation_engine import satisfaction
from escalation_engine.models import Escalation, SatisfactionModel
from escalation_engine.sweep import sweep
from tests.factories import CustomerFactory, TicketFactory
from tickets.models import Customer, Ticket

pytestmark = pytest.mark.django_db

CALM = {"sla": 0.0, "frustration": 0.0, "sentiment_trend": 0.0}
ANGRY_LATE = {"sla": 1.0, "frustration": 0.9, "sentiment_trend": 0.8}


@pytest.fixture(autouse=True)
def _no_cached_model() -> Any:
    prediction.forget_model()
    yield
    prediction.forget_model()


def test_the_rule_is_documented_arithmetic_with_its_factors() -> None:
    calm = prediction.rule_predict(prediction.features_of(CALM, 0))
    assert calm.probability == 0.9 and calm.factors == [] and calm.source == "rule"
    late = prediction.rule_predict(prediction.features_of({"sla": 1.0, "frustration": 0.5}, 2))
    assert late.probability == pytest.approx(0.9 - 0.35 - 0.15 - 0.1)
    assert late.factors == [
        {"signal": "sla", "effect": -0.35},
        {"signal": "frustration", "effect": -0.15},
        {"signal": "reopened", "effect": -0.1},
    ]
    assert prediction.rule_predict(prediction.features_of(dict.fromkeys(prediction.FEATURES, 1.0), 4)).probability == 0.02


def _answers(n: int) -> None:
    for index in range(n):
        happy = index % 2 == 0
        ticket = TicketFactory.create(status="resolved")
        SatisfactionSurvey.objects.create(
            ticket=ticket, customer=ticket.customer, signals=CALM if happy else ANGRY_LATE, sent_at=timezone.now(),
            answered_at=timezone.now(), rating=5 if happy else 1,
        )  # fmt: skip


def test_a_model_is_trained_once_enough_answers_exist(settings: Any) -> None:
    settings.CSAT_MODEL_MIN_ANSWERS = 40
    _answers(39)
    prediction.train_and_store()
    assert prediction.predict(ANGRY_LATE, 0).source == "rule"
    prediction.forget_model()
    _answers(1)
    prediction.train_and_store()
    model = prediction.current_model()
    assert model is not None and model.trained_on == 40
    calm, angry = prediction.predict(CALM, 0), prediction.predict(ANGRY_LATE, 0)
    assert calm.source == angry.source == "model"
    assert calm.probability > 0.8 > 0.2 > angry.probability
    assert {f["signal"] for f in angry.factors} <= {"sla", "frustration", "sentiment_trend"} and angry.factors[0]["effect"] < 0


def test_only_one_outcome_keeps_the_rule(settings: Any) -> None:
    settings.CSAT_MODEL_MIN_ANSWERS = 10
    for _ in range(12):
        ticket = TicketFactory.create(status="resolved")
        SatisfactionSurvey.objects.create(ticket=ticket, customer=ticket.customer, signals=CALM, answered_at=timezone.now(), rating=5)
    prediction.train_and_store()
    assert prediction.current_model() is None


def test_the_sweep_stores_a_prediction_on_open_tickets_only() -> None:
    now = timezone.now()
    open_ticket = TicketFactory.create(status="triaged", frustration_score=0.95, next_check_at=now - timedelta(minutes=1))
    closed = TicketFactory.create(status="closed", predicted_satisfaction=0.5, next_check_at=now - timedelta(minutes=1))
    sweep(now=now)
    open_ticket.refresh_from_db()
    closed.refresh_from_db()
    assert open_ticket.predicted_satisfaction is not None and open_ticket.predicted_satisfaction < 0.9
    assert open_ticket.satisfaction_factors[0]["signal"] == "frustration"
    assert closed.predicted_satisfaction is None and closed.satisfaction_factors == []


def test_training_stores_nothing_with_too_few_answers(settings: Any) -> None:
    settings.CSAT_MODEL_MIN_ANSWERS = 40
    _answers(39)
    assert prediction.train_and_store() is None
    assert not SatisfactionModel.objects.exists()
    _answers(1)
    stored = prediction.train_and_store()
    assert stored is not None and stored.trained_on == 40
    assert SatisfactionModel.objects.get() == stored and set(stored.weights) == set(stored.means) == set(prediction.FEATURES)


def test_the_sweep_predicts_with_the_stored_model_and_never_trains(
    settings: Any, monkeypatch: pytest.MonkeyPatch, django_capture_on_commit_callbacks: Any
) -> None:
    settings.CSAT_MODEL_MIN_ANSWERS = 10
    _answers(20)  # enough answers with both outcomes: the sweep used to train on them itself
    made: list[satisfaction.Prediction] = []
    real = satisfaction.predict

    def spy(signals: dict[str, float], reopen_count: int) -> satisfaction.Prediction:
        made.append(real(signals, reopen_count))
        return made[-1]

    monkeypatch.setattr(satisfaction, "predict", spy)
    now = timezone.now()
    before = TicketFactory.create(status="triaged", frustration_score=0.5, next_check_at=now - timedelta(minutes=1))
    with CaptureQueriesContext(connection) as queries:
        sweep(now=now)
    assert not [q["sql"] for q in queries.captured_queries if SatisfactionSurvey._meta.db_table in q["sql"]]
    before.refresh_from_db()
    assert [p.source for p in made] == ["rule"] and before.predicted_satisfaction == round(made[0].probability, 4)

    with django_capture_on_commit_callbacks(execute=True):
        stored = prediction.train_and_store()
    assert stored is not None
    after = TicketFactory.create(status="triaged", frustration_score=0.5, next_check_at=now - timedelta(minutes=1))
    with CaptureQueriesContext(connection) as queries:
        sweep(now=now)
    assert not [q["sql"] for q in queries.captured_queries if SatisfactionSurvey._meta.db_table in q["sql"]]
    after.refresh_from_db()
    assert [p.source for p in made] == ["rule", "model"] and after.predicted_satisfaction == round(made[1].probability, 4)
    assert after.predicted_satisfaction != before.predicted_satisfaction


def test_the_hourly_task_trains_and_stores_the_model(settings: Any) -> None:
    settings.CSAT_MODEL_MIN_ANSWERS = 10
    entry = settings.CELERY_BEAT_SCHEDULE["analytics-satisfaction-model"]
    assert entry["task"] == tasks.train_satisfaction_model.name == "analytics.train_satisfaction_model"
    assert entry["schedule"] == timedelta(hours=1)
    assert tasks.train_satisfaction_model.delay().get() == 0 and not SatisfactionModel.objects.exists()
    _answers(12)
    assert tasks.train_satisfaction_model.delay().get() == 12
    assert SatisfactionModel.objects.get().trained_on == 12


def test_churn_levels_and_factors() -> None:
    score, level, factors = prediction.churn_for(avg_rating=None, low_ratings=0, repeats=0, escalations=0, tier="enterprise")
    assert (score, level, factors) == (0.0, "low", [])
    score, level, factors = prediction.churn_for(avg_rating=1.0, low_ratings=2, repeats=1, escalations=1, tier="gold")
    # 1 − (1 − 0.6)(1 − 0.3)(1 − 0.05)(1 − 0.1)(1 − 0.1)
    assert score == round(1 - 0.4 * 0.7 * 0.95 * 0.9 * 0.9, 4) and level == "high"
    assert [f["factor"] for f in factors] == ["recent satisfaction", "low ratings", "escalations", "valuable customer", "repeat contacts"]
    # average 3: (4 − 3) / 3 × 0.6 = 0.2; one escalation 0.1 → 0.28 (low); two → 1 − 0.8 × 0.8 = 0.36 (medium)
    assert prediction.churn_for(avg_rating=3.0, low_ratings=0, repeats=0, escalations=1, tier="bronze")[:2] == (0.28, "low")
    assert prediction.churn_for(avg_rating=3.0, low_ratings=0, repeats=0, escalations=2, tier="bronze")[:2] == (0.36, "medium")


def test_scoring_touches_only_customers_with_recent_activity() -> None:
    now = timezone.now()
    unhappy = CustomerFactory.create(tier="gold")
    quiet = CustomerFactory.create()
    TicketFactory.create(customer=quiet, created_at=now - timedelta(days=30))
    for rating in (1, 2):
        ticket = TicketFactory.create(customer=unhappy, status="resolved", repeat_count=1, created_at=now - timedelta(hours=1))
        SatisfactionSurvey.objects.create(ticket=ticket, customer=unhappy, answered_at=now - timedelta(minutes=30), rating=rating)
    first = Ticket.objects.filter(customer=unhappy).earliest("id")
    Escalation.objects.create(ticket=first, tier="on_call", score=0.9, recommendation="immediate")

    assert prediction.score_churn(since=now - timedelta(hours=2), now=now) == 1
    unhappy.refresh_from_db()
    assert unhappy.churn_score is not None
    assert unhappy.churn_risk == "high" and unhappy.churn_score > 0.6 and unhappy.churn_factors[0]["factor"] == "recent satisfaction"
    assert Customer.objects.get(pk=quiet.pk).churn_scored_at is None
