"""Escalation scoring: signals in [0, 1], admin-editable weights, an explainable combination.

Pure Python (no Django). The score is a *noisy-OR* of weighted signals,
``1 - Π(1 - weight_i × signal_i)``: every signal can raise the score on its own (an SLA
breach alone escalates), several moderate signals add up, and the score never exceeds 1.
Each signal's contribution ``weight × value`` is kept, so the console can say why.

Recommendation: **immediate** above 0.8, **priority** above 0.6, otherwise **monitor**.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

DEFAULT_WEIGHTS: dict[str, float] = {
    "sla": 0.9,  # at risk 0.6, breached 1.0
    "sentiment_trend": 0.5,  # deterioration across the customer's messages
    "frustration": 0.6,  # only above 0.75
    "churn": 0.75,  # a threat to leave or a complaint repeated; with a valuable customer, escalates
    "legal": 0.9,  # a threat of legal action or a dispute with the bank escalates on its own
    "repeat_contacts": 0.6,  # > 2 in 7 days → 0.85
    "customer_value": 0.4,
    "interactions": 0.4,  # > 5 without resolution
    "agent_silence": 0.5,  # time since the last agent reply
    "incident": 0.9,  # part of a multi-customer burst
    "requested": 0.7,  # a routing rule or an agent asked for escalation
    "p0": 0.7,  # triage (or a person) set P0: an outage, data loss or breach is escalated before its clock runs out
    # The severity model's P(a supervisor should see it) (tickets/triage/severity.py): from WORDING_FLOOR up to
    # WORDING_FULL it grows to the full weight, which is just short of escalating on its own: with any other
    # signal (a valuable customer, frustration, a churn cue) it escalates.
    "wording": 0.6,
    # The breach forecast: the next response target is probably missed within the lead time
    # (at most priority on its own, as the 75 % rule).
    "forecast": 0.75,
}
IMMEDIATE = 0.8
PRIORITY = 0.6
WORDING_FLOOR = 0.35
WORDING_FULL = 0.6

TIER_VALUE = {"bronze": 0.0, "silver": 0.2, "gold": 0.5, "platinum": 0.8, "enterprise": 1.0}


@dataclass(frozen=True)
class Assessment:
    score: float
    recommendation: str  # immediate | priority | monitor
    signals: dict[str, float]
    contributions: dict[str, float]

    def explain(self) -> str:
        top = sorted(self.contributions.items(), key=lambda item: -item[1])
        return ", ".join(f"{name} {value:.2f}" for name, value in top if value > 0) or "no signal"


def recommend(score: float, *, immediate: float = IMMEDIATE, priority: float = PRIORITY) -> str:
    if score > immediate:
        return "immediate"
    if score > priority:
        return "priority"
    return "monitor"


def combine(signals: Mapping[str, float], weights: Mapping[str, float] | None = None) -> Assessment:
    weights = {**DEFAULT_WEIGHTS, **(weights or {})}
    contributions: dict[str, float] = {}
    remaining = 1.0
    for name, value in signals.items():
        part = max(0.0, min(1.0, weights.get(name, 0.0))) * max(0.0, min(1.0, value))
        contributions[name] = round(part, 4)
        remaining *= 1 - part
    score = round(1 - remaining, 4)
    return Assessment(
        score=score, recommendation=recommend(score), signals={k: round(v, 4) for k, v in signals.items()}, contributions=contributions
    )


# Signal functions: each maps facts to [0, 1].


def sla_signal(status: str) -> float:
    return {"breached": 1.0, "at_risk": 0.6}.get(status, 0.0)


def sentiment_trend_signal(compounds: Sequence[float]) -> float:
    """Deterioration across the customer's messages, oldest first (needs two or more).

    The least-squares slope of VADER compound per message, negated and scaled so a fall of
    0.5 per message reads as 1.0; a steady or improving conversation is 0.
    """
    n = len(compounds)
    if n < 2:
        return 0.0
    mean_x = (n - 1) / 2
    mean_y = sum(compounds) / n
    numerator = sum((i - mean_x) * (y - mean_y) for i, y in enumerate(compounds))
    denominator = sum((i - mean_x) ** 2 for i in range(n))
    slope = numerator / denominator
    return max(0.0, min(1.0, -slope / 0.5))


def frustration_signal(frustration: float | None) -> float:
    return float(frustration) if frustration is not None and frustration > 0.75 else 0.0


def repeat_signal(repeat_count: int) -> float:
    if repeat_count > 2:
        return 0.85
    return {0: 0.0, 1: 0.3, 2: 0.55}.get(repeat_count, 0.0)


def customer_value_signal(tier: str, lifetime_value: float) -> float:
    return max(TIER_VALUE.get(tier, 0.0), min(1.0, lifetime_value / 200_000))


def interactions_signal(count: int) -> float:
    return 1.0 if count > 5 else max(0.0, (count - 3) / 3)


def agent_silence_signal(hours_since_agent_reply: float | None) -> float:
    """None = the customer has never heard from an agent (the SLA signal covers the first reply)."""
    if hours_since_agent_reply is None:
        return 0.0
    return max(0.0, min(1.0, hours_since_agent_reply / 48))


# After a supervisor decides: what counts as materially worse (pure, so the rules are testable on their own).

RECOMMENDATION_RANK = {"monitor": 0, "priority": 1, "immediate": 2}
SLA_RANK = {"at_risk": 1, "breached": 2}  # anything else (ok, paused, met, none) ranks 0
BANDS = 4  # a signal must rise past the next quarter to count as worse
# A higher recommendation counts only with a real rise in score: a score sitting on a threshold
# would otherwise flip to "immediate" on a minute of agent silence.
RECOMMENDATION_HYSTERESIS = 0.05


def band(value: float) -> int:
    return min(BANDS, int(max(0.0, value) * BANDS + 1e-9))


@dataclass(frozen=True)
class Decision:
    """What a supervisor decided on, as the escalation recorded it."""

    status: str  # accepted | dismissed | deescalated
    recommendation: str
    signals: Mapping[str, float]
    sla_status: str
    score: float = 0.0
    quiet_signals: frozenset[str] = frozenset()  # dismissed signals still in their cool-down
    sla_target: str = ""  # the clock that was at risk or breached (first_response, next_response, resolution)


def worse_than_decided(
    decision: Decision, current: Assessment, *, sla_status: str, sla_target: str = "", new_evidence: Sequence[str] = ()
) -> list[str]:
    """Why the ticket is materially worse than when it was decided (empty: it is not; stay quiet).

    Worse is: a higher recommendation, a worse SLA state (or the same state on another clock:
    warned once per target), a signal past the next quarter band
    (a new one reaching 0.25, an old one its next quarter; dismissed ones stay quiet in their
    cool-down), or new evidence the caller found (a customer message after the decision that
    would escalate on its own).
    """
    reasons: list[str] = []
    higher = RECOMMENDATION_RANK.get(current.recommendation, 0) > RECOMMENDATION_RANK.get(decision.recommendation, 0)
    if higher and current.score >= decision.score + RECOMMENDATION_HYSTERESIS:
        reasons.append(f"recommendation {decision.recommendation} → {current.recommendation}")
    if SLA_RANK.get(sla_status, 0) > SLA_RANK.get(decision.sla_status, 0):
        reasons.append(f"SLA {decision.sla_status or 'ok'} → {sla_status}")
    elif SLA_RANK.get(sla_status, 0) and sla_target and sla_target != decision.sla_target:
        reasons.append(f"SLA {sla_status} on another target: {sla_target}")  # warned once per target
    for name, value in current.signals.items():
        if value <= 0 or current.contributions.get(name, 0.0) <= 0 or name in decision.quiet_signals or name == "sla":
            continue  # the SLA signal is judged by its state above
        before = float(decision.signals.get(name, 0.0))
        if name == "forecast":  # a state like the SLA's: firing is new, a firing forecast growing surer is not
            if before <= 0:
                reasons.append("new signal forecast")
            continue
        if band(value) > band(before):  # a trace of a new signal (a few minutes of silence) is not worse
            reasons.append(f"new signal {name}" if before <= 0 else f"{name} rose {before:.2f} → {value:.2f}")
    reasons.extend(new_evidence)
    return reasons


def message_escalates(*, frustration: float | None, legal: float | None, weights: Mapping[str, float] | None = None) -> bool:
    """Whether one customer message, on its own signals (frustration, legal language), would be escalated."""
    signals = {"frustration": frustration_signal(frustration), "legal": float(legal or 0.0)}
    return combine(signals, weights).recommendation != "monitor"


def wording_signal(lean: float | None) -> float:
    """0 below ``WORDING_FLOOR``, 1 from ``WORDING_FULL``, linear between; 0 without a reading."""
    if lean is None:
        return 0.0
    return max(0.0, min(1.0, (float(lean) - WORDING_FLOOR) / (WORDING_FULL - WORDING_FLOOR)))
