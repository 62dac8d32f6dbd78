"""Priority from signals, with reasons a supervisor can read."""

from __future__ import annotations

from typing import Any

import pytest

from tickets.triage.priority import DEFAULT_WEIGHTS, PriorityInput, score_priority


def test_enterprise_outage_from_a_frustrated_customer_is_p0_or_p1_with_reasons_in_order() -> None:
    decision = score_priority(
        PriorityInput(
            frustration_score=0.8,
            compound=-0.4,
            urgency_score=0.9,
            urgency_terms=["outage"],
            tier="enterprise",
            lifetime_value=250_000,
            repeat_count=1,
            category="technical_support",
        )
    )
    assert decision.priority in (0, 1)
    signals = [r.signal for r in decision.reasons]
    # The impact floor is not in the input here (it comes from signals.Signals.impact); the tier no longer outweighs the outage.
    assert signals[:4] == ["urgency", "category", "tier", "frustration"]  # a reported problem weighs 0.25 on its own
    contributions = [r.contribution for r in decision.reasons]
    assert contributions == sorted(contributions, reverse=True)
    assert all(c > 0 for c in contributions)
    assert decision.score == round(min(1.0, sum(contributions)), 4)
    assert decision.explain().startswith(
        f"P{decision.priority}: 'outage' +0.27, category technical_support +0.25, enterprise customer +0.20, frustration 0.80 +0.20"
    )


def test_an_outage_or_data_loss_is_p1_at_least_and_a_wide_one_p0_whatever_the_tier() -> None:
    def calm(**impact: Any) -> PriorityInput:
        return PriorityInput(compound=0.3, tier="bronze", category="general_inquiry", **impact)

    assert score_priority(calm()).priority == 3
    severe = score_priority(calm(impact="severe", impact_terms=["data loss"]))
    wide = score_priority(calm(impact="wide", impact_terms=["wiped", "production"]))
    assert severe.priority == 1 and wide.priority == 0
    assert wide.reasons[0].signal == "impact" and "'wiped', 'production'" in wide.reasons[0].label
    assert wide.explain().startswith("P0: wide impact 'wiped', 'production': at least P0")


def test_calm_bronze_how_to_is_p3_without_reasons() -> None:
    decision = score_priority(PriorityInput(compound=0.5, tier="bronze", lifetime_value=120, category="general_inquiry"))
    assert decision.priority == 3
    assert decision.score == 0.0
    assert decision.reasons == []
    assert decision.explain() == "P3: no signals"


def test_legal_threat_alone_is_at_least_p2_and_named() -> None:
    decision = score_priority(PriorityInput(legal_score=1.0, legal_terms=["lawsuit"], tier="silver"))
    assert decision.priority <= 2
    assert decision.reasons[0].signal == "legal"
    assert decision.reasons[0].label == "'lawsuit'"


def test_thresholds_and_weights_can_be_changed() -> None:
    inp = PriorityInput(frustration_score=1.0)  # 0.25 with the default weight
    assert score_priority(inp).priority == 2
    assert score_priority(inp, thresholds=(0.9, 0.2, 0.1)).priority == 1
    assert score_priority(inp, weights={"frustration": 0.8}).priority == 0


def test_score_is_capped_at_one() -> None:
    everything = PriorityInput(1.0, -1.0, 1.0, ["outage"], 1.0, ["lawyer"], "enterprise", 1e7, 10, "security")
    decision = score_priority(everything)
    assert decision.score == 1.0
    assert decision.priority == 0


def test_repeat_contacts_are_capped_and_weights_documented() -> None:
    many = score_priority(PriorityInput(repeat_count=50))
    assert many.reasons[0].signal == "repeat_contacts"
    assert many.reasons[0].contribution == pytest.approx(DEFAULT_WEIGHTS["repeat_contact"] * 3)
    assert many.reasons[0].label == "50 earlier contacts"


def test_a_churn_threat_raises_priority_with_its_words_as_the_reason() -> None:
    calm = score_priority(PriorityInput(tier="platinum", frustration_score=0.3))
    threatened = score_priority(
        PriorityInput(tier="platinum", frustration_score=0.3, churn_score=1.0, churn_terms=["if this isn't fixed we'll cancel"])
    )
    assert threatened.priority < calm.priority
    reason = next(r for r in threatened.reasons if r.signal == "churn")
    assert reason.contribution == pytest.approx(DEFAULT_WEIGHTS["churn"]) and "cancel" in reason.label
    assert all(r.signal != "churn" for r in calm.reasons)


def test_a_reported_problem_is_normal_priority_and_a_question_or_idea_low() -> None:
    for problem in ("technical_support", "billing", "account_access", "refund_request", "product_complaint", "security"):
        assert score_priority(PriorityInput(category=problem)).priority == 2, problem
    for ask in ("feature_request", "general_inquiry"):
        assert score_priority(PriorityInput(category=ask)).priority == 3, ask
