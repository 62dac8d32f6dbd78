"""Training the satisfaction model, and churn risk per customer.

**Satisfaction**: once ``CSAT_MODEL_MIN_ANSWERS`` answered surveys with both outcomes
exist, :func:`train_and_store` (the hourly ``analytics.train_satisfaction_model`` task) fits
a logistic regression on the escalation signals recorded at resolution and stores it as a
``SatisfactionModel``. The sweep predicts with the newest stored model, or the documented
rule before there is one (``escalation_engine.satisfaction``); it never trains.

**Churn risk** (low / medium / high) is a noisy-OR of recent satisfaction, low ratings,
repeat contacts and escalations in the last 90 days, raised for gold and enterprise
customers, with the contributing factors kept for the dashboard.
"""

from __future__ import annotations

import math
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Avg, Count, Q
from django.utils import timezone

from analytics.models import SatisfactionSurvey
from escalation_engine import satisfaction
from escalation_engine.models import Escalation, SatisfactionModel
from escalation_engine.satisfaction import (  # noqa: F401 - re-exported: the prediction side moved to the engine
    FEATURES,
    RULE_BASE,
    RULE_WEIGHTS,
    SATISFIED_AT_OR_ABOVE,
    LogisticModel,
    Prediction,
    features_of,
    forget_model,
    predict,
    rule_predict,
)
from tickets.models import Customer, Ticket

TRAINING_ROWS = 20000


def train(rows: list[tuple[dict[str, float], int]]) -> LogisticModel | None:
    """Fit on (features, rating) pairs; None when there are too few answers or only one outcome."""
    labels = [int(rating >= SATISFIED_AT_OR_ABOVE) for _, rating in rows]
    if len(rows) < settings.CSAT_MODEL_MIN_ANSWERS or len(set(labels)) < 2:
        return None
    import numpy as np
    from sklearn.linear_model import LogisticRegression

    matrix = np.array([[features.get(f, 0.0) for f in FEATURES] for features, _ in rows])
    model = LogisticRegression(C=1.0, max_iter=1000).fit(matrix, labels)
    return LogisticModel(
        intercept=float(model.intercept_[0]),
        weights={f: float(w) for f, w in zip(FEATURES, model.coef_[0], strict=True)},
        means={f: float(m) for f, m in zip(FEATURES, matrix.mean(axis=0), strict=True)},
        trained_on=len(rows),
    )


def train_and_store() -> SatisfactionModel | None:
    """Fit on the latest answered surveys and store the model the sweep reads; None (nothing stored) when training declines."""
    answered = SatisfactionSurvey.objects.filter(answered_at__isnull=False, rating__isnull=False).order_by("-answered_at")
    rows = [
        (features_of(signals or {}, int((signals or {}).get("reopened", 0) * 2)), int(rating or 0))
        for signals, rating in answered.values_list("signals", "rating")[:TRAINING_ROWS]
    ]
    model = train(rows)
    if model is None:
        return None
    stored = SatisfactionModel.objects.create(
        trained_on=model.trained_on, intercept=model.intercept, weights=model.weights, means=model.means
    )
    # Other processes see it within a minute; this one at once (after commit, so never a rolled-back row).
    transaction.on_commit(satisfaction.forget_model)
    return stored


def current_model() -> LogisticModel | None:
    """The newest stored model, as the sweep uses it (None before one is stored)."""
    return satisfaction.stored_model()


# Churn risk ----------------------------------------------------------------------------

CHURN_WINDOW = timedelta(days=90)
CHURN_LEVELS = ((0.6, "high"), (0.3, "medium"), (0.0, "low"))


def churn_for(*, avg_rating: float | None, low_ratings: int, repeats: int, escalations: int, tier: str) -> tuple[float, str, list]:
    """Noisy-OR of the factors; returns (score, level, factors)."""
    factors = {
        "recent satisfaction": 0.0 if avg_rating is None else max(0.0, min(1.0, (4 - avg_rating) / 3)) * 0.6,
        "low ratings": min(2, low_ratings) * 0.15,
        "repeat contacts": min(4, repeats) * 0.05,
        "escalations": min(3, escalations) * 0.1,
    }
    if any(factors.values()) and tier in ("gold", "enterprise"):
        factors["valuable customer"] = 0.1
    score = 1 - math.prod(1 - value for value in factors.values())
    level = next(name for bound, name in CHURN_LEVELS if score >= bound)
    ranked = [{"factor": name, "weight": round(value, 3)} for name, value in sorted(factors.items(), key=lambda i: -i[1]) if value]
    return round(score, 4), level, ranked


def score_churn(*, since: datetime, now: datetime | None = None) -> int:
    """Rescore customers with activity since ``since`` (and stale medium/high ones); returns how many."""

    now = now or timezone.now()
    window_start = now - CHURN_WINDOW
    active = (
        set(Ticket.objects.filter(created_at__gte=since).values_list("customer_id", flat=True))
        | set(SatisfactionSurvey.objects.filter(answered_at__gte=since).values_list("customer_id", flat=True))
        | set(Escalation.objects.filter(created_at__gte=since).values_list("ticket__customer_id", flat=True))
        | set(
            Customer.objects.filter(churn_risk__in=("medium", "high"), churn_scored_at__lt=now - timedelta(days=1)).values_list(
                "pk", flat=True
            )
        )
    )
    ids = sorted(active)
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        ratings = {
            row["customer_id"]: row
            for row in SatisfactionSurvey.objects.filter(customer_id__in=chunk, answered_at__gte=window_start)
            .values("customer_id")
            .annotate(avg=Avg("rating"), low=Count("id", filter=Q(rating__lte=2)))
            .order_by()
        }
        tickets = {
            row["customer_id"]: row
            for row in Ticket.objects.filter(customer_id__in=chunk, created_at__gte=window_start)
            .values("customer_id")
            .annotate(n_repeats=Count("id", filter=Q(repeat_count__gt=0)), n_escalations=Count("escalations", distinct=True))
            .order_by()
        }
        customers = list(Customer.objects.filter(pk__in=chunk).only("pk", "tier"))
        for customer in customers:
            rating, ticket = ratings.get(customer.pk, {}), tickets.get(customer.pk, {})
            customer.churn_score, customer.churn_risk, customer.churn_factors = churn_for(
                avg_rating=rating.get("avg"),
                low_ratings=rating.get("low", 0),
                repeats=ticket.get("n_repeats", 0),
                escalations=ticket.get("n_escalations", 0),
                tier=customer.tier,
            )
            customer.churn_scored_at = now
        Customer.objects.bulk_update(customers, ["churn_score", "churn_risk", "churn_factors", "churn_scored_at"])
    return len(ids)
