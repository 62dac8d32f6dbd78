"""Pure routing logic: rule matching and agent scoring, without Django.

Used by ``agents.services.route_ticket`` against the database and by
``bench/routing_sim.py`` in a discrete-event simulation, so both exercise the same code.

Agent score (higher wins), every term in [0, 1] times its weight:

* **skill** 0.40 — the agent's level in the ticket's skill / 5 (a senior without the skill
  counts as level 2: they may take anything, but a specialist is better);
* **load** 0.30 — free capacity, ``1 - open / capacity``;
* **seniority** 0.15 — ``seniority / 4``, only for P0/P1 tickets or high-value customers
  (gold and above, or lifetime value ≥ 25,000);
* **performance** 0.15 — the agent's recent performance score (resolution rate, CSAT).

Ties go to the agent idle the longest (oldest last assignment).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from foundation import patterns

WEIGHTS = {"skill": 0.40, "load": 0.30, "seniority": 0.15, "performance": 0.15}
SENIOR = 3
HIGH_VALUE_TIERS = {"gold", "platinum", "enterprise"}
HIGH_VALUE_LTV = 25_000.0
SENIOR_WITHOUT_SKILL_LEVEL = 2


@dataclass(frozen=True)
class TicketFacts:
    priority: int
    category: str | None
    tier: str
    lifetime_value: float
    channel: str
    language: str
    subject: str
    body: str
    in_business_hours: bool


@dataclass(frozen=True)
class RuleSpec:
    """Conditions (empty = any) and actions of one routing rule."""

    id: int
    name: str
    categories: frozenset[str] = frozenset()
    priorities: frozenset[int] = frozenset()
    tiers: frozenset[str] = frozenset()
    channels: frozenset[str] = frozenset()
    languages: frozenset[str] = frozenset()
    pattern: str = ""
    business_hours: str = "any"  # any | inside | outside
    continue_matching: bool = False


def rule_mismatch(rule: RuleSpec, facts: TicketFacts) -> str | None:
    """Why the rule does not match (None when it does): the first failing condition."""
    if rule.categories and facts.category not in rule.categories:
        return f"category {facts.category or 'none'} not in {sorted(rule.categories)}"
    if rule.priorities and facts.priority not in rule.priorities:
        return f"priority P{facts.priority} not in {sorted(f'P{p}' for p in rule.priorities)}"
    if rule.tiers and facts.tier not in rule.tiers:
        return f"tier {facts.tier} not in {sorted(rule.tiers)}"
    if rule.channels and facts.channel not in rule.channels:
        return f"channel {facts.channel} not in {sorted(rule.channels)}"
    if rule.languages and facts.language not in rule.languages:
        return f"language {facts.language or 'unknown'} not in {sorted(rule.languages)}"
    if rule.business_hours == "inside" and not facts.in_business_hours:
        return "outside business hours"
    if rule.business_hours == "outside" and facts.in_business_hours:
        return "inside business hours"
    if rule.pattern:
        # RE2, linear in the text: no stored pattern can stall a worker or hold a transaction open.
        try:
            found = patterns.search(rule.pattern, f"{facts.subject}\n{facts.body}")
        except patterns.UnsafePattern as exc:
            return f"pattern cannot be used: {exc}"
        if not found:
            return f"text does not match /{rule.pattern}/"
    return None


def matching_rules(rules: Sequence[RuleSpec], facts: TicketFacts) -> list[RuleSpec]:
    """Rules that apply, in order: the first match wins unless it says *continue*."""
    matched = []
    for rule in rules:
        if rule_mismatch(rule, facts) is None:
            matched.append(rule)
            if not rule.continue_matching:
                break
    return matched


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    skill_level: int | None  # None: lacks the skill
    open_tickets: int
    capacity: int
    seniority: int
    performance_score: float = 0.5
    idle_since: float = 0.0  # timestamp of the last assignment (smaller = idle longer)


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    parts: dict[str, float] = field(default_factory=dict)

    def explain(self) -> str:
        return ", ".join(f"{name} {value:+.2f}" for name, value in self.parts.items() if value)


def eligible(candidate: Candidate, *, min_level: int) -> str | None:
    """Why the agent cannot take the ticket (None when they can)."""
    if candidate.open_tickets >= candidate.capacity:
        return f"at capacity ({candidate.open_tickets}/{candidate.capacity})"
    if candidate.skill_level is None or candidate.skill_level < min_level:
        if candidate.seniority >= SENIOR:
            return None
        have = "no skill" if candidate.skill_level is None else f"level {candidate.skill_level}"
        return f"{have} (needs level {min_level})"
    return None


def score(candidate: Candidate, facts: TicketFacts) -> Scored:
    level = candidate.skill_level if candidate.skill_level is not None else SENIOR_WITHOUT_SKILL_LEVEL
    important = facts.priority <= 1 or facts.tier in HIGH_VALUE_TIERS or facts.lifetime_value >= HIGH_VALUE_LTV
    parts = {
        "skill": WEIGHTS["skill"] * min(level, 5) / 5,
        "load": WEIGHTS["load"] * (1 - candidate.open_tickets / candidate.capacity if candidate.capacity else 0.0),
        "seniority": WEIGHTS["seniority"] * (candidate.seniority / 4 if important else 0.0),
        "performance": WEIGHTS["performance"] * max(0.0, min(1.0, candidate.performance_score)),
    }
    return Scored(candidate=candidate, score=round(sum(parts.values()), 6), parts={k: round(v, 4) for k, v in parts.items()})


def rank(candidates: Iterable[Candidate], facts: TicketFacts, *, min_level: int = 1) -> tuple[list[Scored], dict[int, str]]:
    """Eligible candidates best first, and the reason each other one was skipped."""
    ranked, skipped = [], {}
    for candidate in candidates:
        why_not = eligible(candidate, min_level=min_level)
        if why_not:
            skipped[candidate.agent_id] = why_not
        else:
            ranked.append(score(candidate, facts))
    ranked.sort(key=lambda s: (-s.score, s.candidate.idle_since, s.candidate.agent_id))
    return ranked, skipped
