"""Escalation signals and their weighted combination."""

import pytest

from escalation_engine import scoring


def test_recommendation_thresholds() -> None:
    assert scoring.recommend(0.81) == "immediate"
    assert scoring.recommend(0.8) == "priority"
    assert scoring.recommend(0.61) == "priority"
    assert scoring.recommend(0.6) == "monitor"


def test_one_strong_signal_escalates_alone_and_weak_ones_add_up() -> None:
    assert scoring.combine({"sla": 1.0}).recommendation == "immediate"  # breach × 0.9
    assert scoring.combine({"customer_value": 1.0}).recommendation == "monitor"  # 0.4 alone
    several = scoring.combine({"customer_value": 1.0, "agent_silence": 1.0, "interactions": 1.0})
    assert several.score == pytest.approx(1 - 0.6 * 0.5 * 0.6)
    assert several.recommendation == "immediate"
    assert several.contributions == {"customer_value": 0.4, "agent_silence": 0.5, "interactions": 0.4}


def test_weights_are_editable_and_clamped() -> None:
    assert scoring.combine({"legal": 1.0}, {"legal": 0.0}).score == 0
    assert scoring.combine({"legal": 5.0}, {"legal": 2.0}).score == 1.0
    assert "legal 0.90" in scoring.combine({"legal": 1.0, "sla": 0.0}).explain()


def test_sentiment_trend_reads_deterioration_not_just_the_last_value() -> None:
    assert scoring.sentiment_trend_signal([0.6, 0.1, -0.4]) == pytest.approx(1.0)
    assert scoring.sentiment_trend_signal([-0.5, -0.5, -0.5]) == 0  # unhappy but steady: frustration covers it
    assert scoring.sentiment_trend_signal([-0.6, 0.0, 0.5]) == 0  # improving
    assert scoring.sentiment_trend_signal([0.5]) == 0


def test_other_signals() -> None:
    assert scoring.sla_signal("breached") == 1 and scoring.sla_signal("at_risk") == 0.6 and scoring.sla_signal("ok") == 0
    assert scoring.frustration_signal(0.9) == 0.9 and scoring.frustration_signal(0.7) == 0
    assert scoring.repeat_signal(3) == 0.85 and scoring.repeat_signal(2) < 0.85 and scoring.repeat_signal(0) == 0
    assert scoring.customer_value_signal("enterprise", 0) == 1 and scoring.customer_value_signal("bronze", 100_000) == 0.5
    assert scoring.interactions_signal(6) == 1 and scoring.interactions_signal(3) == 0
    assert scoring.agent_silence_signal(None) == 0 and scoring.agent_silence_signal(24) == 0.5 and scoring.agent_silence_signal(100) == 1
