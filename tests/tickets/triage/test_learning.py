"""The learning loop's pure rules: the permanent split, learned priority weights, the promotion rule."""

from __future__ import annotations

import hashlib
import itertools
from typing import Any

import pytest

from tickets.triage import learning, priority


def test_the_held_out_split_is_sha256_of_the_ticket_id_modulo_five() -> None:
    for ticket_id in (1, 2, 17, 4096, 987654321):
        expected = int(hashlib.sha256(str(ticket_id).encode()).hexdigest(), 16) % 5 == 0
        assert learning.is_held_out(ticket_id) is expected


def test_about_one_ticket_in_five_is_held_out_and_the_choice_never_changes() -> None:
    first = [learning.is_held_out(ticket_id) for ticket_id in range(1, 20_001)]
    assert 0.18 < sum(first) / len(first) < 0.22
    assert first == [learning.is_held_out(ticket_id) for ticket_id in range(1, 20_001)]
    # Not a pattern in the ids: neighbours are not held out together.
    assert sum(a and b for a, b in itertools.pairwise(first)) < 0.07 * len(first)


def example(category: str, human: int, **signals: Any) -> learning.PriorityExample:
    return learning.PriorityExample(signals=priority.PriorityInput(**signals), category=category, priority=human)


def test_a_category_people_raise_learns_the_smallest_weight_that_matches_them() -> None:
    # Calm delivery tickets score 0 (P3); people set P2 on all of them: +0.25 is the least that gets there.
    rows = [example("delivery", 2) for _ in range(6)]
    assert learning.fit_priority_adjustments(rows, base_weights={}) == {"category_delivery": 0.25}


def test_a_category_people_lower_learns_a_negative_weight_and_says_so() -> None:
    # 'urgent' alone is 0.30 (P2); people keep these general questions at P3.
    rows = [example("general_inquiry", 3, urgency_score=1.0, urgency_terms=["urgent"]) for _ in range(5)]
    learned = learning.fit_priority_adjustments(rows, base_weights={})
    assert learned == {"category_general_inquiry": -0.1}
    decision = priority.score_priority(
        priority.PriorityInput(urgency_score=1.0, urgency_terms=["urgent"], category="general_inquiry"), weights=learned
    )
    assert decision.priority == 3
    assert decision.reasons[-1].signal == "category" and decision.reasons[-1].contribution == -0.1
    assert "category general_inquiry -0.10" in decision.explain()


def test_too_few_labels_an_admin_weight_or_labels_that_already_agree_learn_nothing() -> None:
    assert learning.fit_priority_adjustments([example("delivery", 2) for _ in range(4)], base_weights={}) == {}
    rows = [example("security", 2) for _ in range(8)]
    assert learning.fit_priority_adjustments(rows, base_weights={"category_security": 0.3}, fixed={"category_security"}) == {}
    # Security's default 0.30 is P2 for a calm message; people agree (P2): nothing changes.
    assert learning.fit_priority_adjustments([example("security", 2) for _ in range(8)], base_weights={}) == {}


def test_mixed_labels_choose_the_weight_with_the_fewest_band_errors() -> None:
    rows = [example("delivery", 2) for _ in range(7)] + [example("delivery", 3) for _ in range(3)]
    assert learning.fit_priority_adjustments(rows, base_weights={}) == {"category_delivery": 0.25}
    rows = [example("delivery", 2) for _ in range(3)] + [example("delivery", 3) for _ in range(7)]
    assert learning.fit_priority_adjustments(rows, base_weights={}) == {}
    # Billing is P2 by default (a reported problem); people keep most at P3: the nearest weight under P2 is learned.
    rows = [example("billing", 2) for _ in range(3)] + [example("billing", 3) for _ in range(7)]
    assert learning.fit_priority_adjustments(rows, base_weights={}) == {"category_billing": 0.2}


def test_priority_report_counts_band_errors() -> None:
    report = learning.priority_report([0, 1, 3, 2], [0, 2, 1, 2])
    assert report == {"n": 4, "mean_band_error": 0.75, "exact": 0.5, "within_one": 0.75}
    assert learning.priority_report([], []) == {"n": 0}
    with pytest.raises(ValueError):
        learning.priority_report([1], [])


RULE = {"min_category_labels": 20, "min_priority_labels": 10}


@pytest.mark.parametrize(
    ("facts", "promoted", "reason"),
    [
        ({"candidate_accuracy": 0.95, "active_accuracy": 0.50, "category_labels": 19}, False, "too few held-out"),
        ({"candidate_accuracy": 0.60, "active_accuracy": None, "category_labels": 20}, True, "no active"),
        ({"candidate_accuracy": 0.81, "active_accuracy": 0.80, "category_labels": 40}, True, "better"),
        ({"candidate_accuracy": 0.80, "active_accuracy": 0.80, "category_labels": 40}, False, "no better"),
        ({"candidate_accuracy": 0.79, "active_accuracy": 0.80, "category_labels": 40}, False, "worse"),
        (
            {
                "candidate_accuracy": 0.90,
                "active_accuracy": 0.80,
                "category_labels": 40,
                "candidate_priority_error": 0.6,
                "active_priority_error": 0.5,
                "priority_labels": 12,
            },
            False,
            "worse",
        ),
        (
            {
                "candidate_accuracy": 0.90,
                "active_accuracy": 0.80,
                "category_labels": 40,
                "candidate_priority_error": 0.6,
                "active_priority_error": 0.5,
                "priority_labels": 9,
            },
            True,
            "better",
        ),
        (
            {
                "candidate_accuracy": 0.80,
                "active_accuracy": 0.80,
                "category_labels": 40,
                "candidate_priority_error": 0.3,
                "active_priority_error": 0.5,
                "priority_labels": 10,
            },
            True,
            "better",
        ),
    ],
)
def test_promotion_needs_enough_held_out_labels_and_no_side_worse_and_one_side_better(
    facts: dict[str, Any], promoted: bool, reason: str
) -> None:
    decision = learning.decide_promotion(**facts, **RULE)
    assert decision.promote is promoted
    assert decision.reason.startswith(reason), decision.reason
