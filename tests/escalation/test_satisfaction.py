"""The sweep's satisfaction prediction reads the newest stored model, and each process looks for a newer one at most every minute."""

import ast
import math
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.utils import timezone

from escalation_engine import satisfaction
from escalation_engine.models import SatisfactionModel

pytestmark = pytest.mark.django_db

CALM = {"sla": 0.0, "frustration": 0.0, "sentiment_trend": 0.0}


class ProcessClock:
    """Stands in for ``time.monotonic`` where the engine reads it."""

    def __init__(self) -> None:
        self.seconds = 1000.0

    def advance(self, seconds: float) -> None:
        self.seconds += seconds


@pytest.fixture(autouse=True)
def process_clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[ProcessClock]:
    clock = ProcessClock()
    monkeypatch.setattr(satisfaction, "monotonic", lambda: clock.seconds)
    satisfaction.forget_model()
    yield clock
    satisfaction.forget_model()


def _store(intercept: float, *, trained_at: Any, weights: dict[str, float] | None = None) -> SatisfactionModel:
    """A model whose prediction is sigmoid(intercept) for every ticket (all weights zero unless given)."""
    return SatisfactionModel.objects.create(
        trained_at=trained_at,
        trained_on=100,
        intercept=intercept,
        weights=dict.fromkeys(satisfaction.FEATURES, 0.0) if weights is None else weights,
        means=dict.fromkeys(satisfaction.FEATURES, 0.0),
    )


def _sigmoid(z: float) -> float:
    return 1 / (1 + math.exp(-z))


def test_without_a_stored_model_the_rule_predicts() -> None:
    predicted = satisfaction.predict({"sla": 1.0}, 0)
    assert predicted.source == "rule" and predicted.probability == pytest.approx(0.9 - 0.35)


def test_the_newest_stored_model_predicts_with_its_factors() -> None:
    now = timezone.now()
    _store(-3.0, trained_at=now - timedelta(hours=2))
    weights = {**dict.fromkeys(satisfaction.FEATURES, 0.0), "sla": -2.0}
    _store(1.0, trained_at=now - timedelta(hours=1), weights=weights)
    _store(-3.0, trained_at=now - timedelta(hours=3))  # stored last, trained earliest: not the newest
    predicted = satisfaction.predict({"sla": 1.0}, 0)
    assert predicted.source == "model" and predicted.probability == pytest.approx(_sigmoid(1.0 - 2.0))
    assert predicted.factors == [{"signal": "sla", "effect": -2.0}]


def test_a_newer_stored_model_is_used_once_the_refresh_interval_has_passed(
    process_clock: ProcessClock, django_assert_num_queries: Any
) -> None:
    now = timezone.now()
    _store(2.0, trained_at=now - timedelta(hours=1))
    assert satisfaction.predict(CALM, 0).probability == pytest.approx(_sigmoid(2.0))
    _store(-1.0, trained_at=now)

    process_clock.advance(satisfaction.MODEL_REFRESH_SECONDS - 1)
    with django_assert_num_queries(0):
        assert satisfaction.predict(CALM, 0).probability == pytest.approx(_sigmoid(2.0))

    process_clock.advance(2)
    with django_assert_num_queries(1):
        assert satisfaction.predict(CALM, 0).probability == pytest.approx(_sigmoid(-1.0))


def test_an_unchanged_stored_model_is_not_rebuilt_on_refresh(process_clock: ProcessClock) -> None:
    _store(2.0, trained_at=timezone.now())
    first = satisfaction.stored_model()
    process_clock.advance(satisfaction.MODEL_REFRESH_SECONDS + 1)
    assert first is not None and satisfaction.stored_model() is first


def test_a_model_stored_with_other_features_falls_back_to_the_rule() -> None:
    weights = {name: 0.0 for name in satisfaction.FEATURES if name != "reopened"}
    _store(5.0, trained_at=timezone.now(), weights=weights)
    assert satisfaction.stored_model() is None
    assert satisfaction.predict(CALM, 0).source == "rule"


def test_the_engine_module_imports_nothing_from_analytics() -> None:
    """The engine sits below analytics: not even an import inside a function reaches up."""
    tree = ast.parse(Path(satisfaction.__file__).read_text())
    imported = {alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names}
    imported |= {node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)}
    assert "escalation_engine.models" in imported
    assert not [name for name in imported if name.split(".")[0] == "analytics"]
