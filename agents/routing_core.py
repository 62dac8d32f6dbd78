"""Pure routing logic: rule matching and agent scoring, without Django.

Used by ``agents.services.route_ticket`` against the database and by
``bench/routing_sim.py`` in a discrete-event simulation, so both exercise the same code.

Agent score (higher wins), every term in [0, 1] times its weight:

* **skill** 0.40 — the agent's level in the ticket's skill / 5 (a senior without the skill
  counts as level 2: they may take anything, but a specialist is better);
* **load** 0.30 — free capacity, ``1 - used units / capacity units`` (see ``CapacityProfile``);
* **seniority** 0.15 — ``seniority / 4``, only for P0/P1 tickets or high-value customers
  (gold and above, or lifetime value ≥ 25,000);
* **performance** 0.15 — the agent's recent performance score (resolution rate, CSAT).

Ties go to the agent idle the longest (oldest last assignment).

Capacity is counted in **units** (``CapacityProfile``): a ticket weighs its channel's weight
times its priority's multiplier (chat 3, e-mail 1, P0 ×2 …), and an agent takes a ticket only
if the units in use plus the ticket's units stay within the profile's total. With no profile
every ticket weighs 1 and the total is the agent's ``capacity`` (open tickets, as before).

A rule's **skills** (``SkillNeed``) are required or optional with a priority 1–3 (1 matters
most); a waiting ticket drops its optional skills lowest priority first, each after its own
timeout (``active_skills``), and is offered again with fewer conditions.

**Queue order** per team (``QueueOrder``): FIFO, priority then arrival, or least SLA slack in
business seconds with priority breaking ties (``queue_key``).

**Fair hand-out**: a profile may cap new assignments per minute, so an agent who signs in to a
queue of hundreds gets them at that rate while the others take the rest.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace

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
class CapacityProfile:
    """Units an agent can carry and what each ticket weighs (Salesforce Omni-Channel's capacity model).

    A ticket weighs ``channel_weights[channel] × priority_multipliers[priority]`` units (1 where
    absent), at most ``total_units``, so one ticket alone always fits an idle agent.
    ``pending_frees_units``: tickets waiting on the customer weigh nothing (their clock is stopped).
    """

    total_units: float
    channel_weights: Mapping[str, float] = field(default_factory=dict)
    priority_multipliers: Mapping[int, float] = field(default_factory=dict)
    pending_frees_units: bool = True
    max_assignments_per_minute: int | None = None  # fair hand-out; None = no limit

    def units(self, *, channel: str, priority: int) -> float:
        weight = self.channel_weights.get(channel, 1.0) * self.priority_multipliers.get(priority, 1.0)
        return min(weight, self.total_units) if self.total_units > 0 else weight

    def used_units(self, open_tickets: Iterable[tuple[str, int, bool]]) -> float:
        """Units in use by ``(channel, priority, clock_running)`` of each open ticket."""
        return sum(
            self.units(channel=channel, priority=priority)
            for channel, priority, running in open_tickets
            if running or not self.pending_frees_units
        )


def legacy_profile(capacity: int) -> CapacityProfile:
    """An agent without a profile: every open ticket (pending ones too) weighs 1, ``capacity`` of them."""
    return CapacityProfile(total_units=float(capacity), pending_frees_units=False)


@dataclass(frozen=True)
class SkillNeed:
    """One skill a routing rule asks for: required, or optional (priority 1–3) and dropped after a timeout."""

    skill: str
    min_level: int = 1
    required: bool = True
    priority: int = 1  # 1 matters most; optional skills are dropped 3 first
    relax_after_seconds: float = 0.0


@dataclass(frozen=True)
class Dropped:
    skill: str
    after_seconds: float


OPTIONAL_HOLD_SHARE = 0.03


def hold_limit_seconds(target_seconds: float | None) -> float | None:
    """The longest optional skills may hold a ticket: 3 % of its first-response target.

    A skill timeout is one setting for every priority; without this, five minutes of waiting for
    a German speaker is a third of a P0's 15 minutes. With the default targets P0 waits at most
    27 s for its optional skills, P1 108 s, P2 7.2 min, P3 43 min (or their own timeouts if shorter).
    In the simulation 5 % left the P1 p95 wait at 95 % load 2 % above the best baseline's.
    """
    return OPTIONAL_HOLD_SHARE * target_seconds if target_seconds else None


def drop_times(needs: Sequence[SkillNeed], *, hold_limit: float | None = None) -> dict[SkillNeed, float]:
    """Seconds of waiting after which each optional skill is dropped.

    Optional skills go lowest priority first: a skill is dropped at its own timeout, but never
    before every optional skill of lower priority (higher number) has gone, so a priority-1
    skill with a short timeout still outlives a priority-3 one with a long timeout. No optional
    skill outlives ``hold_limit`` (``hold_limit_seconds``).
    """
    optional = sorted((n for n in needs if not n.required), key=lambda n: (-n.priority, n.relax_after_seconds, n.skill))
    times: dict[SkillNeed, float] = {}
    floor = 0.0
    for need in optional:
        floor = max(floor, need.relax_after_seconds)
        times[need] = floor if hold_limit is None else min(floor, hold_limit)
    return times


def active_skills(
    needs: Sequence[SkillNeed], *, waited_seconds: float, hold_limit: float | None = None
) -> tuple[list[SkillNeed], list[Dropped]]:
    """The skills still asked for after waiting ``waited_seconds``, and the optional ones dropped (with when)."""
    times = drop_times(needs, hold_limit=hold_limit)
    kept = [n for n in needs if n.required or times[n] > waited_seconds]
    dropped = [Dropped(n.skill, at) for n, at in times.items() if at <= waited_seconds]
    return kept, dropped


def next_relaxation_seconds(needs: Sequence[SkillNeed], *, waited_seconds: float, hold_limit: float | None = None) -> float | None:
    """Seconds of waiting at which the next optional skill is dropped, or None when none is left to drop."""
    later = [at for at in drop_times(needs, hold_limit=hold_limit).values() if at > waited_seconds]
    return min(later) if later else None


class QueueOrder:
    FIFO = "fifo"
    PRIORITY = "priority"
    SLA = "sla"
    ALL = ("fifo", "priority", "sla")


SLACK_TIE_SECONDS = 60.0  # slacks within the same minute are a tie: priority decides


def queue_key(order: str, *, priority: int, arrived_at: float, slack_seconds: float | None) -> tuple[float, ...]:
    """Sort key for a waiting ticket (smaller goes first) under the team's queue order.

    ``sla``: least slack (business seconds left before the first due SLA target; negative when
    breached), in whole minutes so that near-equal slacks tie and the higher priority goes first;
    a ticket without a running SLA clock comes after every ticket with one.
    """
    if order == QueueOrder.FIFO:
        return (arrived_at,)
    if order == QueueOrder.SLA:
        bucket = math.floor(slack_seconds / SLACK_TIE_SECONDS) if slack_seconds is not None else math.inf
        return (bucket, priority, arrived_at)
    return (priority, arrived_at)


@dataclass(frozen=True)
class Candidate:
    agent_id: int
    skill_level: int | None  # None: lacks the skill
    used_units: float  # units in use (open tickets when each weighs 1)
    capacity_units: float
    seniority: int
    performance_score: float = 0.5
    idle_since: float = 0.0  # timestamp of the last assignment (smaller = idle longer)
    skill_levels: Mapping[str, int] = field(default_factory=dict)  # the rule's other skills the agent has
    ticket_units: float = 1.0  # what the ticket being routed weighs under this agent's profile
    assignments_last_minute: int = 0
    max_assignments_per_minute: int | None = None


@dataclass(frozen=True)
class Scored:
    candidate: Candidate
    score: float
    parts: dict[str, float] = field(default_factory=dict)

    def explain(self) -> str:
        return ", ".join(f"{name} {value:+.2f}" for name, value in self.parts.items() if value)


def _units(value: float) -> str:
    return f"{value:g}"


def eligible(candidate: Candidate, *, min_level: int, needs: Sequence[SkillNeed] = (), stand_in: bool = True) -> str | None:
    """Why the agent cannot take the ticket (None when they can).

    Over capacity means the ticket's units do not fit in what is left; an agent already over
    (a ticket came back from the customer) takes nothing until they are under again.
    ``stand_in``: whether a senior may take it without the skill (see ``stand_in_allowed``).
    """
    if candidate.used_units + candidate.ticket_units > candidate.capacity_units + 1e-9:
        used, total, needed = (_units(v) for v in (candidate.used_units, candidate.capacity_units, candidate.ticket_units))
        return f"at capacity ({used}/{total} units, ticket needs {needed})"
    limit = candidate.max_assignments_per_minute
    if limit is not None and candidate.assignments_last_minute >= limit:
        return f"hand-out limit ({candidate.assignments_last_minute} in the last minute, at most {limit})"
    for need in needs:
        level = candidate.skill_levels.get(need.skill)
        if level is None or level < need.min_level:
            have = "no" if level is None else f"level {level}"
            kind = "required" if need.required else f"optional P{need.priority}"
            return f"{have} {need.skill} ({kind}, needs level {need.min_level})"
    if candidate.skill_level is None or candidate.skill_level < min_level:
        if candidate.seniority >= SENIOR and stand_in:
            return None
        have = "no skill" if candidate.skill_level is None else f"level {candidate.skill_level}"
        return f"{have} (needs level {min_level})"
    return None


STAND_IN_SLACK_SHARE = 0.5


def stand_in_allowed(*, slack_seconds: float | None, target_seconds: float | None) -> bool:
    """A senior stands in for a missing skill only once half the ticket's SLA time is gone.

    Without the skill a ticket takes far longer (the simulation's factor is 2.5), so while the
    SLA has room a specialist is worth waiting for; with no SLA clock the stand-in is always
    allowed, and callers allow it too when no specialist is on duty (``specialist_on_duty``).
    """
    if slack_seconds is None or not target_seconds:
        return True
    return slack_seconds <= STAND_IN_SLACK_SHARE * target_seconds


def specialist_on_duty(candidates: Iterable[Candidate], *, min_level: int) -> bool:
    """Whether anyone on duty has the skill at the level (busy or not): without one, waiting for a specialist is pointless."""
    return any(c.skill_level is not None and c.skill_level >= min_level for c in candidates)


RESERVE_WITHIN_SLACK_SECONDS = 3600.0
RESERVE_AGENTS = 2  # agents held per ticket: the first to fit takes it, the other is released


def should_reserve(*, slack_seconds: float | None) -> bool:
    """Whether a waiting ticket that fits nobody's free units may hold an agent for itself.

    Without a hold, a heavy ticket (a P0 chat worth a whole agent) waits for ever: each time an
    agent frees a unit, a lighter ticket takes it. Within an hour of its SLA target (at once for
    P0 and P1 with the default targets) the ticket reserves one agent (``pick_reservation``),
    who takes no new work until the ticket fits.
    """
    return slack_seconds is not None and slack_seconds <= RESERVE_WITHIN_SLACK_SECONDS


def pick_reservation(
    candidates: Iterable[Candidate], *, min_level: int, needs: Sequence[SkillNeed] = (), count: int = RESERVE_AGENTS
) -> list[Candidate]:
    """The agents to hold for a ticket that fits nobody: those with the skills closest to fitting it (then more skilled).

    Which agent empties first is unknown (it depends on how their tickets go), so the ticket
    holds ``count`` of them; the first to have room takes it and the others are released.
    """
    options = [c for c in candidates if eligible(replace(c, used_units=0.0), min_level=min_level, needs=needs, stand_in=False) is None]
    options.sort(key=lambda c: (c.used_units + c.ticket_units - c.capacity_units, -(c.skill_level or 0), c.agent_id))
    return options[:count]


SCORE_PARTS = ("skill", "load", "seniority", "performance")


def important(facts: TicketFacts) -> bool:
    """Whether seniority counts in the score (an urgent or high-value ticket)."""
    return facts.priority <= 1 or facts.tier in HIGH_VALUE_TIERS or facts.lifetime_value >= HIGH_VALUE_LTV


def _parts(candidate: Candidate, seniority_counts: bool) -> tuple[float, float, float, float]:
    """The weighted parts of the score, in ``SCORE_PARTS`` order."""
    level = candidate.skill_level if candidate.skill_level is not None else SENIOR_WITHOUT_SKILL_LEVEL
    return (
        WEIGHTS["skill"] * min(level, 5) / 5,
        WEIGHTS["load"] * (max(0.0, 1 - candidate.used_units / candidate.capacity_units) if candidate.capacity_units else 0.0),
        WEIGHTS["seniority"] * (candidate.seniority / 4 if seniority_counts else 0.0),
        WEIGHTS["performance"] * max(0.0, min(1.0, candidate.performance_score)),
    )


def score(candidate: Candidate, facts: TicketFacts) -> Scored:
    parts = _parts(candidate, important(facts))
    return Scored(candidate=candidate, score=round(sum(parts), 6), parts={k: round(v, 4) for k, v in zip(SCORE_PARTS, parts, strict=True)})


def rank(
    candidates: Iterable[Candidate],
    facts: TicketFacts,
    *,
    min_level: int = 1,
    needs: Sequence[SkillNeed] = (),
    stand_in: bool = True,
) -> tuple[list[Scored], dict[int, str]]:
    """Eligible candidates best first, and the reason each other one was skipped."""
    ranked, skipped = [], {}
    for candidate in candidates:
        why_not = eligible(candidate, min_level=min_level, needs=needs, stand_in=stand_in)
        if why_not:
            skipped[candidate.agent_id] = why_not
        else:
            ranked.append(score(candidate, facts))
    ranked.sort(key=lambda s: (-s.score, s.candidate.idle_since, s.candidate.agent_id))
    return ranked, skipped


def rank_key(candidate: Candidate, facts: TicketFacts) -> tuple[float, float, int]:
    """The order ``rank`` puts eligible candidates in (smaller first): best score, then idle longest, then lowest id."""
    return (-round(sum(_parts(candidate, important(facts))), 6), candidate.idle_since, candidate.agent_id)


def load_loss(*, used_units: float, capacity_units: float) -> float:
    """What units in use take off the score: ``score_ceiling`` less ``score``, up to their rounding (each to 1e-6).

    A simulation can pass over an agent whose ceiling less this is below the best score found
    without scoring them (``tests/agents/test_routing_core.py`` checks the bound).
    """
    if not capacity_units:
        return 0.0
    return WEIGHTS["load"] * (1 - max(0.0, 1 - used_units / capacity_units))


def score_ceiling(candidate: Candidate, facts: TicketFacts) -> float:
    """The most this candidate can score, whatever units they hold (the load term is highest with none in use).

    A simulation offering a ticket to a big team can go through its agents from the highest
    ceiling down and stop where the ceiling falls below the best score found (``rank_key``).
    """
    return round(sum(_parts(replace(candidate, used_units=0.0), important(facts))), 6)
