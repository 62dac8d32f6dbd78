"""Satisfaction prediction for open tickets, and churn risk per customer.

**Satisfaction** uses the escalation signals the sweep already computes (SLA, sentiment
trend, frustration, repeats, interactions, agent silence, …) plus reopenings. Once
``CSAT_MODEL_MIN_ANSWERS`` surveys with both outcomes exist, a logistic regression trained
on the signals recorded at resolution predicts P(rating ≥ 4); its factors are
``weight × (value − mean)``. Before that, a documented rule (``RULE_WEIGHTS``) is used.
The sweep stores the prediction and top factors on each open ticket it checks.

**Churn risk** (low / medium / high) is a noisy-OR of recent satisfaction, low ratings,
repeat contacts and escalations in the last 90 days, raised for gold and enterprise
customers, with the contributing factors kept for the dashboard.
"""

from __future__ import annotations

import math
import threading
import time
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Q
from django.utils import timezone

FEATURES = ("sla", "sentiment_trend", "frustration", "legal", "repeat_contacts", "customer_value", "interactions",
            "agent_silence", "incident", "requested", "reopened")  # fmt: skip
# The rule before enough answers exist: start at 0.9 and subtract weight × signal.
RULE_BASE = 0.9
RULE_WEIGHTS = {"sla": 0.35, "frustration": 0.3, "sentiment_trend": 0.25, "repeat_contacts": 0.15, "interactions": 0.1,
                "agent_silence": 0.1, "reopened": 0.1, "legal": 0.1}  # fmt: skip
SATISFIED_AT_OR_ABOVE = 4


@dataclass(frozen=True)
class Prediction:
    probability: float
    factors: list[dict[str, Any]]  # [{"signal", "effect"}], most negative first
    source: str  # "model" or "rule"


@dataclass(frozen=True)
class LogisticModel:
    intercept: float
    weights: dict[str, float]
    means: dict[str, float]
    trained_on: int

    def predict(self, features: dict[str, float]) -> Prediction:
        z = self.intercept + sum(self.weights[f] * features.get(f, 0.0) for f in FEATURES)
        effects = {f: self.weights[f] * (features.get(f, 0.0) - self.means[f]) for f in FEATURES}
        return Prediction(1 / (1 + math.exp(-z)), _top(effects), "model")


def features_of(signals: dict[str, float], reopen_count: int) -> dict[str, float]:
    return {**{f: float(signals.get(f, 0.0)) for f in FEATURES if f != "reopened"}, "reopened": min(1.0, reopen_count / 2)}


def _top(effects: dict[str, float], n: int = 3) -> list[dict[str, Any]]:
    ranked = sorted((item for item in effects.items() if abs(item[1]) >= 0.005), key=lambda item: item[1])
    return [{"signal": name, "effect": round(value, 3)} for name, value in ranked[:n]]


def rule_predict(features: dict[str, float]) -> Prediction:
    effects = {name: -weight * features.get(name, 0.0) for name, weight in RULE_WEIGHTS.items()}
    probability = min(0.98, max(0.02, RULE_BASE + sum(effects.values())))
    return Prediction(probability, _top(effects), "rule")


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


_lock = threading.Lock()
_cached: tuple[float, LogisticModel | None] | None = None
MODEL_CACHE_SECONDS = 600.0


def current_model() -> LogisticModel | None:
    """The model trained on the latest answers (cached per process for 10 minutes)."""
    global _cached
    with _lock:
        if _cached is not None and time.monotonic() - _cached[0] < MODEL_CACHE_SECONDS:
            return _cached[1]
    from analytics.models import SatisfactionSurvey

    answered = SatisfactionSurvey.objects.filter(answered_at__isnull=False, rating__isnull=False).order_by("-answered_at")
    rows = [
        (features_of(signals or {}, int((signals or {}).get("reopened", 0) * 2)), int(rating or 0))
        for signals, rating in answered.values_list("signals", "rating")[:20000]
    ]
    model = train(rows)
    with _lock:
        _cached = (time.monotonic(), model)
    return model


def forget_model() -> None:
    global _cached
    with _lock:
        _cached = None


def predict(signals: dict[str, float], reopen_count: int) -> Prediction:
    features = features_of(signals, reopen_count)
    model = current_model()
    return model.predict(features) if model else rule_predict(features)


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
    from analytics.models import SatisfactionSurvey
    from escalation.models import Escalation
    from tickets.models import Customer, Ticket

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
