"""Satisfaction prediction for open tickets: the sweep stores it, with its top factors, on each ticket it checks.

The features are the escalation signals the sweep already computes (SLA, sentiment trend,
frustration, repeats, interactions, agent silence, …) plus reopenings. The newest stored
``SatisfactionModel`` (a logistic regression that analytics fits on the signals recorded at
resolution, ``analytics.train_satisfaction_model``) predicts P(rating ≥ 4); its factors are
``weight × (value − mean)``. Until one is stored, a documented rule (``RULE_WEIGHTS``) is used.

Training reads the surveys, which belong to analytics above this layer, and takes seconds; so
the sweep never trains. It reads the stored row, and each process keeps the model it read and
looks for a newer row at most every ``MODEL_REFRESH_SECONDS`` (one small query).
"""

from __future__ import annotations

import logging
import math
import threading
from dataclasses import dataclass
from datetime import datetime
from time import monotonic
from typing import Any

from escalation_engine.models import SatisfactionModel

logger = logging.getLogger(__name__)

FEATURES = ("sla", "sentiment_trend", "frustration", "legal", "repeat_contacts", "customer_value", "interactions",
            "agent_silence", "incident", "requested", "reopened")  # fmt: skip
# The rule before a model is stored: start at 0.9 and subtract weight × signal.
RULE_BASE = 0.9
RULE_WEIGHTS = {"sla": 0.35, "frustration": 0.3, "sentiment_trend": 0.25, "repeat_contacts": 0.15, "interactions": 0.1,
                "agent_silence": 0.1, "reopened": 0.1, "legal": 0.1}  # fmt: skip
SATISFIED_AT_OR_ABOVE = 4
MODEL_REFRESH_SECONDS = 60.0


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


def _from_row(row: SatisfactionModel) -> LogisticModel | None:
    # A model fitted on another feature list (stored before FEATURES changed) would weigh the
    # wrong signals: the rule is the safer answer until the next training.
    if set(row.weights or {}) != set(FEATURES) or set(row.means or {}) != set(FEATURES):
        logger.warning("stored satisfaction model %s has other features than %s; using the rule", row.pk, FEATURES)
        return None
    return LogisticModel(
        intercept=float(row.intercept),
        weights={f: float(row.weights[f]) for f in FEATURES},
        means={f: float(row.means[f]) for f in FEATURES},
        trained_on=row.trained_on,
    )


_lock = threading.Lock()
# (read at, (row id, trained_at) or None, model): this process's copy of the newest stored model.
_cached: tuple[float, tuple[int, datetime] | None, LogisticModel | None] | None = None


def stored_model() -> LogisticModel | None:
    """The newest stored model, or None (re-read at most every ``MODEL_REFRESH_SECONDS`` per process)."""
    global _cached
    now = monotonic()
    with _lock:
        cached = _cached
    if cached is not None and now - cached[0] < MODEL_REFRESH_SECONDS:
        return cached[2]
    row = SatisfactionModel.objects.order_by("-trained_at", "-id").first()
    key: tuple[int, datetime] | None = None
    model: LogisticModel | None = None
    if row is not None:
        key = (row.pk, row.trained_at)
        model = cached[2] if cached is not None and cached[1] == key else _from_row(row)
    with _lock:
        _cached = (now, key, model)
    return model


def forget_model() -> None:
    """Read the stored model again on next use (after training in this process, and between tests)."""
    global _cached
    with _lock:
        _cached = None


def predict(signals: dict[str, float], reopen_count: int) -> Prediction:
    """P(satisfied) for an open ticket from its escalation signals: the stored model, else the rule."""
    features = features_of(signals, reopen_count)
    model = stored_model()
    return model.predict(features) if model else rule_predict(features)
