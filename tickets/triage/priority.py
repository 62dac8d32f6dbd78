"""Priority from the triage signals, with the reasons that produced it.

The score is a sum of contributions, capped at 1; each contribution is one weight from
``DEFAULT_WEIGHTS`` (or the caller's ``weights``) times a signal in [0, 1]:

=================  ==========================================  =====================================
signal             contribution                                default weight
=================  ==========================================  =====================================
tier               ``tier_<tier>`` (flat)                      silver 0.05, gold 0.08, platinum 0.15,
                                                               enterprise 0.20, bronze 0
lifetime_value     ``lifetime_value`` × log-scale of value     0.10 (0 at ≤ 1,000, full at ≥ 100,000)
urgency            ``urgency`` × urgency_score                 0.30 ("outage" 0.9 → +0.27)
legal              ``legal`` × legal_score                     0.45 (a lawsuit threat alone → P1)
frustration        ``frustration`` × frustration_score         0.25
sentiment          ``sentiment`` × max(0, -compound)           0.10
repeat_contacts    ``repeat_contact`` × repeats (≤ 3 counted)  0.05 per earlier contact
churn              ``churn`` × churn_score                     0.30 (an ultimatum, a threat to move to
                                                               another vendor, "my fourth email",
                                                               "nobody has answered")
category           ``category_<slug>`` (flat)                  security 0.30; technical_support,
                                                               account_access, billing, refund_request,
                                                               product_complaint 0.25 (a problem is P2
                                                               on its own); questions and ideas 0;
                                                               a model version may carry learned
                                                               ones (−0.30 … +0.50, learning.py)
=================  ==========================================  =====================================

Thresholds (score ≥ 0.75 → P0, ≥ 0.55 → P1, ≥ 0.25 → P2, else P3). Impact sets a floor
whatever the tier: a severe event (outage, data loss, breach, "nobody can …") is at least
P1, and a wide one (with a scope: "all our users", "production", "400 users") is P0. An enterprise customer
reporting an outage in a frustrated message lands at P0/P1; a calm how-to from a bronze
customer stays P3.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field

DEFAULT_WEIGHTS: dict[str, float] = {
    "tier_bronze": 0.0,
    "tier_silver": 0.05,
    "tier_gold": 0.08,
    "tier_platinum": 0.15,
    "tier_enterprise": 0.20,
    "lifetime_value": 0.10,
    "urgency": 0.30,
    "legal": 0.45,
    "frustration": 0.25,
    "sentiment": 0.10,
    "repeat_contact": 0.05,
    "churn": 0.30,
    # A problem (something broken, a charge, a lost login) is normal priority on its own; a question or an idea is low.
    "category_security": 0.30,
    "category_account_access": 0.25,
    "category_technical_support": 0.25,
    "category_billing": 0.25,
    "category_refund_request": 0.25,
    "category_product_complaint": 0.25,
    # The learned severity model: its lean towards urgent adds up to this much (severity.py, floors above).
    "severity": 0.30,
}

# Lifetime value counts from LTV_FLOOR (nothing) to LTV_CEILING (the full weight), on a log scale.
LTV_FLOOR = 1_000.0
LTV_CEILING = 100_000.0
MAX_REPEATS_COUNTED = 3


@dataclass(frozen=True)
class Reason:
    signal: str
    label: str
    contribution: float


@dataclass(frozen=True)
class PriorityInput:
    frustration_score: float = 0.0
    compound: float = 0.0
    urgency_score: float = 0.0
    urgency_terms: list[str] = field(default_factory=list)
    legal_score: float = 0.0
    legal_terms: list[str] = field(default_factory=list)
    tier: str = "bronze"
    lifetime_value: float = 0.0
    repeat_count: int = 0
    category: str | None = None
    impact: str = ""  # "wide" (severe event with a scope), "severe", or "" (signals.Signals.impact)
    impact_terms: list[str] = field(default_factory=list)
    churn_score: float = 0.0  # a threat to leave, or a complaint repeated or ignored (signals.Signals.churn_score)
    churn_terms: list[str] = field(default_factory=list)
    # How serious the message reads to the learned severity model (severity.Severity), None without one.
    severity_urgent: float | None = None
    severity_critical: float | None = None
    severity_cues: list[str] = field(default_factory=list)


# Score → P0 / P1 / P2 (else P3). A missed P0 costs more than an over-ranked P1, so P0 stays reachable by adding up
# signals (a frustrated enterprise customer with a broken feature and a deadline), not only by impact (below).
THRESHOLDS = (0.75, 0.55, 0.25)

# An outage, data loss or breach is urgent whoever reports it: at least P1, and P0 when it is wide.
IMPACT_FLOOR = {"severe": 1, "wide": 0}

# The learned severity model (severity.py) floors the priority when it is sure: a message that reads critical
# with at least SEVERITY_P0 probability (and urgent with SEVERITY_P0_URGENT) is at least P0, one that reads
# urgent with at least SEVERITY_P1 is at least P1. Below those it adds ``severity`` × how far P(urgent) is above one half to the score.
# Chosen leave one author out on the 1,520 training mails (README "Realistic mail"): P0 urgency bar 0.7 → 0.65
# took P0 recall 0.964 → 0.973 for one more P0 that was not (within one band 0.964 → 0.966).
SEVERITY_P0 = 0.5
SEVERITY_P0_URGENT = 0.65
SEVERITY_P1 = 0.7


@dataclass(frozen=True)
class PriorityDecision:
    priority: int
    score: float
    reasons: list[Reason]

    def explain(self) -> str:
        """``"P1: enterprise customer +0.30, 'outage' +0.27, frustration 0.80 +0.20"``."""
        if not self.reasons:
            return f"P{self.priority}: no signals"
        return f"P{self.priority}: " + ", ".join(f"{reason.label} {reason.contribution:+.2f}" for reason in self.reasons)


def _clamp(value: float) -> float:
    return min(1.0, max(0.0, float(value)))


def _quoted(terms: list[str], fallback: str) -> str:
    return ", ".join(f"'{term}'" for term in terms[:2]) if terms else fallback


def score_priority(
    inp: PriorityInput,
    *,
    weights: Mapping[str, float] | None = None,
    thresholds: tuple[float, float, float] = THRESHOLDS,
) -> PriorityDecision:
    """Weighted sum of the ticket's signals → P0–P3, with every non-zero contribution as a reason."""
    w = {**DEFAULT_WEIGHTS, **(weights or {})}
    tier = (inp.tier or "bronze").lower()
    value = max(float(inp.lifetime_value or 0.0), 0.0)
    value_share = _clamp(math.log10(max(value, LTV_FLOOR) / LTV_FLOOR) / math.log10(LTV_CEILING / LTV_FLOOR))
    contacts = max(int(inp.repeat_count), 0)
    repeats = min(contacts, MAX_REPEATS_COUNTED)
    negativity = _clamp(-inp.compound)
    category = inp.category or ""

    candidates = [
        Reason("tier", f"{tier} customer", w.get(f"tier_{tier}", 0.0)),
        Reason("lifetime_value", f"lifetime value {value:,.0f}", w["lifetime_value"] * value_share),
        Reason("urgency", _quoted(inp.urgency_terms, "urgency"), w["urgency"] * _clamp(inp.urgency_score)),
        Reason("legal", _quoted(inp.legal_terms, "legal/compliance"), w["legal"] * _clamp(inp.legal_score)),
        Reason("frustration", f"frustration {_clamp(inp.frustration_score):.2f}", w["frustration"] * _clamp(inp.frustration_score)),
        Reason("sentiment", f"sentiment {inp.compound:+.2f}", w["sentiment"] * negativity),
        Reason("churn", _quoted(inp.churn_terms, "churn"), w.get("churn", 0.0) * _clamp(inp.churn_score)),
        Reason("repeat_contacts", f"{contacts} earlier contact{'s' if contacts != 1 else ''}", w["repeat_contact"] * repeats),
        Reason("category", f"category {category}", w.get(f"category_{category}", 0.0) if category else 0.0),
    ]
    if inp.severity_urgent is not None:
        lean = max(0.0, 2 * (_clamp(inp.severity_urgent) - 0.5))
        label = f"reads urgent {inp.severity_urgent:.2f}" + (f": {_quoted(inp.severity_cues, '')}" if inp.severity_cues else "")
        candidates.append(Reason("severity", label, w.get("severity", 0.0) * lean))
    # Only a learned category weight can be negative (a category people rank lower than its words suggest).
    reasons = sorted(
        (Reason(r.signal, r.label, round(r.contribution, 4)) for r in candidates if round(r.contribution, 4) != 0),
        key=lambda r: -r.contribution,
    )
    score = round(_clamp(sum(r.contribution for r in reasons)), 4)
    p0, p1, p2 = thresholds
    priority = 0 if score >= p0 else 1 if score >= p1 else 2 if score >= p2 else 3
    floor = IMPACT_FLOOR.get(inp.impact)
    if floor is not None and priority > floor:
        priority = floor
        label = f"{'wide ' if inp.impact == 'wide' else ''}impact {_quoted(inp.impact_terms, inp.impact)}: at least P{floor}"
        reasons = [Reason("impact", label, 0.0), *reasons]
    learned_floor = _severity_floor(inp, w)
    if learned_floor is not None and priority > learned_floor:
        priority = learned_floor
        odds = inp.severity_critical if learned_floor == 0 else inp.severity_urgent
        cues = f": {_quoted(inp.severity_cues, '')}" if inp.severity_cues else ""
        label = f"reads {'critical' if learned_floor == 0 else 'urgent'} {odds:.2f}{cues}: at least P{learned_floor}"
        reasons = [Reason("severity_floor", label, 0.0), *[r for r in reasons if r.signal != "severity"]]
    return PriorityDecision(priority=priority, score=score, reasons=reasons)


def _severity_floor(inp: PriorityInput, w: Mapping[str, float]) -> int | None:
    """P0 or P1 when the severity model is sure enough (thresholds can be tuned as weights), else None."""
    if inp.severity_urgent is None or inp.severity_critical is None:
        return None
    reads_critical = inp.severity_critical >= w.get("severity_p0", SEVERITY_P0)
    if reads_critical and inp.severity_urgent >= w.get("severity_p0_urgent", SEVERITY_P0_URGENT):
        return 0
    if inp.severity_urgent >= w.get("severity_p1", SEVERITY_P1):
        return 1
    return None
