"""Routing simulation: our router against the strong baselines commercial desks ship.

Standalone (no Django): ``python -m bench.routing_sim`` prints JSON. The router policy calls
the real routing core in ``agents/routing_core.py`` — ``rank`` and ``eligible`` with capacity
units, ``active_skills`` / ``next_relaxation_seconds`` for optional skills, ``queue_key`` for
the team's queue order — so a change to the core shows here.

Model
-----
- **Tickets** arrive as a Poisson process. Each has a category (``CATEGORY_MIX``), a priority
  (P0 5 %, P1 15 %, P2 50 %, P3 30 %), a channel (e-mail 65 %, chat 35 %), a language (English
  70 %, German 18 %, French 12 %) and a customer tier with a lifetime value (``TIER_MIX``).
- **Eligibility** (the baselines, as the issue specifies): the category is the required skill
  with a minimum level (``MIN_LEVEL``: security 3, technical support 2, others 1) and the
  ticket's units must fit in what the agent has left. Our router calls ``routing_core.eligible``,
  where a senior may also stand in for a missing skill, but only once half the SLA time is gone
  (``stand_in_allowed``); ``*_stand_in`` variants of the baselines (seniors stand in at once)
  can be simulated for comparison and do worse (skill factor ≈ 1.3 against ≈ 0.9).
- **Agents** (``ROSTER``, 12) have skill levels 1–5 in two or three categories, a seniority 1–4,
  a performance score, the languages they write, and a **capacity in units** (4 for juniors,
  6 for the others). Everyone is on shift the whole time.
- **Capacity units** (``CHANNEL_WEIGHTS``, ``PRIORITY_MULTIPLIERS``): e-mail 1, chat 3, P0 ×2, at most the agent's total.
  A ticket holds its units for its whole handling time and is worked at full speed meanwhile
  (units are the desk's statement of how much concurrent work is sustainable).
- **Optional skill with a timeout** (router only — the baselines route on the required skill, as
  specified): a German or French ticket asks for an agent writing the language (optional,
  priority 2, dropped after ``LANGUAGE_TIMEOUT_MINUTES``). A ticket answered in another language
  takes ``LANGUAGE_MISMATCH_FACTOR`` longer (translation), whichever policy hands it out.
- **Service time** has mean ``BASE_SERVICE_MINUTES[category] × SKILL_FACTOR[level]`` (level 5
  → 0.6 … level 1 → 1.8, no skill → 2.5), × the language factor, lognormal with sigma 0.5. Each
  ticket carries one standard-normal draw (common random numbers: policies differ only in
  decisions).
- **Utilization u is nominal**: ``λ = u × Σ agent units / E[units × service minutes at factor
  1.0]``, the expectation over the category, channel and priority mixes. The load a policy
  actually carries depends on how well it matches skills; ``offered_load`` reports it.
- **SLA** first-response targets are the project defaults (P0 15 min, P1 1 h, P2 4 h, P3 24 h)
  in a 24×7 calendar (business time = wall time); a ticket breaches when it waits longer.

Policies
--------
- ``fifo_round_robin`` (reference only): one FIFO queue, skills ignored; an arriving ticket goes
  to the next agent in round-robin order with room for it; an agent with room takes the oldest
  ticket that fits.
- ``skills_round_robin`` (Zendesk-style): waiting tickets in one queue per required skill, ordered
  by priority then arrival; an agent with room takes the head of the best queue (priority, then
  arrival) it qualifies for and has room for; an arriving ticket goes to the next qualified agent
  with room in round-robin order.
- ``load_balanced_sla`` (Freshdesk Omniroute-style): an arriving ticket goes to the qualified agent
  with the most spare units (ties: longest idle); an agent with spare units takes the qualified
  waiting ticket with the earliest SLA due time that fits.
- ``router`` (ours): an arriving ticket is ranked by ``routing_core.rank`` over the agents with
  room (units in use, skill levels, languages) and goes to the best; otherwise it waits. An agent
  who frees units takes, in the team's queue order (``QUEUE_ORDER``, least SLA slack by default,
  priority breaking ties), the first waiting ticket ``routing_core.eligible`` allows; when a
  ticket's optional skill times out (at most 3 % of its SLA target) it is offered again without
  it; a waiting ticket within an hour of its target that fits nobody holds the two skilled agents
  closest to fitting it (``should_reserve`` / ``pick_reservation``), who take nothing else until
  one of them can take it — without this a P0 chat (a whole agent) starves behind lighter work.

Each scenario simulates a warm-up (a tenth of the measured count) and then ``tickets``
measured tickets; arrivals then stop and the queue drains, so every ticket is served. Waits
and breaches are over the measured tickets; agent utilization (units held ÷ units owned) is
over the measured tickets' arrival window. ``run`` repeats every level over ``SEEDS`` and
reports each figure's mean and min–max.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import json
import math
import random
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from agents import routing_core
from agents.routing_core import Candidate, CapacityProfile, SkillNeed, TicketFacts

POLICIES = ("fifo_round_robin", "skills_round_robin", "load_balanced_sla", "router")
BASELINES = ("skills_round_robin", "load_balanced_sla")
UTILIZATIONS = (0.70, 0.85, 0.95)
SEEDS = (7, 8, 9, 10, 11)
PRIORITIES = (0, 1, 2, 3)
PRIORITY_MIX = {0: 0.05, 1: 0.15, 2: 0.50, 3: 0.30}
SLA_FIRST_RESPONSE_MINUTES = {0: 15.0, 1: 60.0, 2: 240.0, 3: 1440.0}
CATEGORY_MIX = {
    "billing": 0.25,
    "account_access": 0.20,
    "technical_support": 0.25,
    "refund_request": 0.12,
    "security": 0.06,
    "general_inquiry": 0.12,
}
MIN_LEVEL = {"security": 3, "technical_support": 2}  # others 1
BASE_SERVICE_MINUTES = {
    "billing": 20.0,
    "account_access": 15.0,
    "technical_support": 40.0,
    "refund_request": 25.0,
    "security": 35.0,
    "general_inquiry": 15.0,
}
CHANNEL_MIX = {"email": 0.65, "chat": 0.35}
LANGUAGE_MIX = {"en": 0.70, "de": 0.18, "fr": 0.12}
LANGUAGE_TIMEOUT_MINUTES = 5.0
LANGUAGE_MISMATCH_FACTOR = 1.3
CHANNEL_WEIGHTS: dict[str, float] = {"email": 1.0, "chat": 3.0}
PRIORITY_MULTIPLIERS: dict[int, float] = {0: 2.0}
QUEUE_ORDER = routing_core.QueueOrder.SLA
SKILL_FACTOR: dict[int | None, float] = {5: 0.6, 4: 0.75, 3: 1.0, 2: 1.4, 1: 1.8, None: 2.5}
SERVICE_SIGMA = 0.5
# tier: (share of tickets, median lifetime value)
TIER_MIX = {
    "bronze": (0.40, 500.0),
    "silver": (0.30, 2_000.0),
    "gold": (0.18, 8_000.0),
    "platinum": (0.08, 20_000.0),
    "enterprise": (0.04, 60_000.0),
}
LIFETIME_VALUE_SIGMA = 0.8
WARMUP_SHARE = 0.10
TARGET_BREACH_RATIO = 0.5
TARGET_SEED_BREACH_RATIO = 0.7
TARGET_LEVELS = ("0.85", "0.95")


@dataclass(frozen=True)
class SimAgent:
    agent_id: int
    skills: dict[str, int]  # category → level 1–5; absent = no skill
    seniority: int
    performance_score: float
    languages: frozenset[str] = frozenset({"en"})
    capacity_units: float = 6.0

    @functools.cached_property
    def profile(self) -> CapacityProfile:
        return CapacityProfile(
            total_units=self.capacity_units,
            channel_weights=CHANNEL_WEIGHTS,
            priority_multipliers=PRIORITY_MULTIPLIERS,
        )


@dataclass(frozen=True, slots=True)
class SimTicket:
    ticket_id: int
    arrival_minutes: float
    priority: int
    category: str
    tier: str
    lifetime_value: float
    service_z: float  # standard-normal draw behind this ticket's service time
    channel: str = "email"
    language: str = "en"

    @property
    def due_minutes(self) -> float:
        return self.arrival_minutes + SLA_FIRST_RESPONSE_MINUTES[self.priority]

    @property
    def min_level(self) -> int:
        return MIN_LEVEL.get(self.category, 1)

    @property
    def needs(self) -> tuple[SkillNeed, ...]:
        """The router's optional language skill (English needs none: everyone writes it)."""
        if self.language == "en":
            return ()
        return (SkillNeed(f"lang:{self.language}", required=False, priority=2, relax_after_seconds=LANGUAGE_TIMEOUT_MINUTES * 60),)

    def facts(self) -> TicketFacts:
        return TicketFacts(
            priority=self.priority,
            category=self.category,
            tier=self.tier,
            lifetime_value=self.lifetime_value,
            channel=self.channel,
            language=self.language,
            subject="",
            body="",
            in_business_hours=True,
        )


@dataclass(frozen=True, slots=True)
class Assignment:
    ticket_id: int
    agent_id: int
    start_minutes: float
    end_minutes: float
    skill_factor: float
    units: float = 1.0


ROSTER: tuple[SimAgent, ...] = (
    SimAgent(1, {"technical_support": 5, "security": 3}, 4, 0.85, frozenset({"en"})),
    SimAgent(2, {"technical_support": 4, "account_access": 3}, 3, 0.75, frozenset({"en", "de"})),
    SimAgent(3, {"technical_support": 3, "general_inquiry": 4}, 2, 0.70, frozenset({"en", "fr"})),
    SimAgent(4, {"technical_support": 4, "billing": 2}, 2, 0.65, frozenset({"en", "de"})),
    SimAgent(5, {"billing": 5, "refund_request": 4}, 3, 0.80, frozenset({"en", "de"})),
    SimAgent(6, {"billing": 4, "refund_request": 3, "general_inquiry": 3}, 1, 0.60, frozenset({"en", "fr"}), 4.0),
    SimAgent(7, {"billing": 3, "account_access": 4}, 2, 0.70, frozenset({"en"})),
    SimAgent(8, {"account_access": 5, "security": 4}, 4, 0.90, frozenset({"en", "de"})),
    SimAgent(9, {"refund_request": 4, "general_inquiry": 3}, 1, 0.55, frozenset({"en", "fr"}), 4.0),
    SimAgent(10, {"security": 5, "technical_support": 3}, 3, 0.80, frozenset({"en", "fr"})),
    SimAgent(11, {"general_inquiry": 5, "account_access": 3, "billing": 2}, 1, 0.60, frozenset({"en", "de"}), 4.0),
    SimAgent(12, {"technical_support": 2, "refund_request": 2, "general_inquiry": 2}, 1, 0.50, frozenset({"en"}), 4.0),
)


def ticket_units(ticket: SimTicket, agent: SimAgent) -> float:
    return agent.profile.units(channel=ticket.channel, priority=ticket.priority)


def expected_unit_minutes(*, total_units: float = 6.0) -> float:
    """E[units × service minutes at skill factor 1.0] over the category, channel and priority mixes."""
    profile = CapacityProfile(total_units=total_units, channel_weights=CHANNEL_WEIGHTS, priority_multipliers=PRIORITY_MULTIPLIERS)
    units = sum(
        c_share * p_share * profile.units(channel=channel, priority=priority)
        for channel, c_share in CHANNEL_MIX.items()
        for priority, p_share in PRIORITY_MIX.items()
    )
    return units * sum(share * BASE_SERVICE_MINUTES[category] for category, share in CATEGORY_MIX.items())


def arrival_rate_per_minute(*, utilization: float, agents: Sequence[SimAgent] = ROSTER) -> float:
    """λ for a nominal utilization (see the module docstring)."""
    return utilization * sum(a.capacity_units for a in agents) / expected_unit_minutes()


def service_minutes(ticket: SimTicket, agent: SimAgent) -> tuple[float, float]:
    """(service minutes, skill factor) for this agent on this ticket; lognormal with the factor's mean."""
    factor = SKILL_FACTOR[agent.skills.get(ticket.category)]
    language = 1.0 if ticket.language in agent.languages else LANGUAGE_MISMATCH_FACTOR
    mean = BASE_SERVICE_MINUTES[ticket.category] * factor * language
    return mean * math.exp(SERVICE_SIGMA * ticket.service_z - SERVICE_SIGMA**2 / 2), factor


def _pick(rng: random.Random, mix: dict[Any, float]) -> Any:
    return rng.choices(list(mix), list(mix.values()))[0]


def make_tickets(*, count: int, utilization: float, seed: int, agents: Sequence[SimAgent] = ROSTER) -> list[SimTicket]:
    """A Poisson arrival stream; the same seed gives the same tickets at any utilization, only spaced differently."""
    rng = random.Random(seed)
    rate = arrival_rate_per_minute(utilization=utilization, agents=agents)
    tiers = {tier: share for tier, (share, _) in TIER_MIX.items()}
    now = 0.0
    tickets = []
    for ticket_id in range(count):
        now += rng.expovariate(1.0) / rate
        tier = _pick(rng, tiers)
        tickets.append(
            SimTicket(
                ticket_id=ticket_id,
                arrival_minutes=now,
                priority=_pick(rng, PRIORITY_MIX),
                category=_pick(rng, CATEGORY_MIX),
                tier=tier,
                lifetime_value=round(TIER_MIX[tier][1] * math.exp(rng.gauss(0.0, LIFETIME_VALUE_SIGMA)), 2),
                service_z=rng.gauss(0.0, 1.0),
                channel=_pick(rng, CHANNEL_MIX),
                language=_pick(rng, LANGUAGE_MIX),
            )
        )
    return tickets


def candidate_for(agent: SimAgent, category: str, *, idle_since: float, used_units: float = 0.0, units: float = 1.0) -> Candidate:
    """The agent as the routing core sees them: units in use, skill level, languages, and what the ticket weighs."""
    return Candidate(
        agent_id=agent.agent_id,
        skill_level=agent.skills.get(category),
        used_units=used_units,
        capacity_units=agent.capacity_units,
        seniority=agent.seniority,
        performance_score=agent.performance_score,
        idle_since=idle_since,
        skill_levels={f"lang:{language}": 5 for language in agent.languages},
        ticket_units=units,
    )


def qualified(agent: SimAgent, ticket: SimTicket, *, used_units: float, strict: bool = False) -> bool:
    """The shared eligibility: required skill at the minimum level (``routing_core.eligible``) and room for the units.

    ``strict``: only agents holding the skill at the minimum level (no senior stand-in), the
    variant a desk without our seniority rule would run; reported as a check on the baselines.
    """
    if strict and agent.skills.get(ticket.category, 0) < ticket.min_level:
        return False
    candidate = candidate_for(agent, ticket.category, idle_since=0.0, used_units=used_units, units=ticket_units(ticket, agent))
    return routing_core.eligible(candidate, min_level=ticket.min_level) is None


# Events at the same minute: completions free units first, then relaxations, then arrivals.
_COMPLETE, _RELAX, _ARRIVE = 0, 1, 2


class _Desk:
    """Event loop and bookkeeping shared by the policies; subclasses decide who takes what."""

    def __init__(self, agents: Sequence[SimAgent]) -> None:
        self.agents = {agent.agent_id: agent for agent in agents}
        self.order = [agent.agent_id for agent in agents]
        self.used: dict[int, float] = dict.fromkeys(self.order, 0.0)
        self.last_assigned: dict[int, float] = dict.fromkeys(self.order, 0.0)
        self.assignments: list[Assignment] = []
        self._events: list[tuple[float, int, int, Any]] = []
        self._sequence = itertools.count()

    def schedule(self, at: float, kind: int, payload: Any) -> None:
        heapq.heappush(self._events, (at, kind, next(self._sequence), payload))

    def run(self, tickets: Sequence[SimTicket]) -> list[Assignment]:
        for ticket in tickets:
            self.schedule(ticket.arrival_minutes, _ARRIVE, ticket)
        while self._events:
            now, kind, _, payload = heapq.heappop(self._events)
            if kind == _COMPLETE:
                agent_id, units = payload
                self.used[agent_id] -= units
                self.on_free(agent_id, now)
            elif kind == _RELAX:
                self.on_relax(payload, now)
            else:
                self.on_arrival(payload, now)
        if self.has_waiting():
            raise RuntimeError("tickets left waiting with every agent free")
        return self.assignments

    def room(self, agent_id: int) -> float:
        return self.agents[agent_id].capacity_units - self.used[agent_id]

    def start(self, ticket: SimTicket, agent_id: int, now: float) -> None:
        agent = self.agents[agent_id]
        units = ticket_units(ticket, agent)
        assert self.used[agent_id] + units <= agent.capacity_units + 1e-9, "over capacity"
        self.used[agent_id] += units
        self.last_assigned[agent_id] = now
        minutes, factor = service_minutes(ticket, agent)
        self.assignments.append(Assignment(ticket.ticket_id, agent_id, now, now + minutes, factor, units))
        self.schedule(now + minutes, _COMPLETE, (agent_id, units))

    def fill(self, agent_id: int, now: float) -> None:
        """Let the agent take waiting tickets until nothing more fits."""
        while (ticket := self.take_for(agent_id, now)) is not None:
            self.start(ticket, agent_id, now)

    def on_free(self, agent_id: int, now: float) -> None:
        self.fill(agent_id, now)

    def on_relax(self, ticket: SimTicket, now: float) -> None:
        pass

    def on_arrival(self, ticket: SimTicket, now: float) -> None:
        raise NotImplementedError

    def take_for(self, agent_id: int, now: float) -> SimTicket | None:
        raise NotImplementedError

    def has_waiting(self) -> bool:
        raise NotImplementedError


@dataclass(order=True)
class _Entry:
    key: tuple[float, ...]
    ticket: SimTicket = field(compare=False)
    version: int = field(default=0, compare=False)


class _Queues:
    """Waiting tickets in heaps by class (eligibility depends only on the class), each ordered by ``key``."""

    def __init__(self) -> None:
        self.heaps: dict[Any, list[_Entry]] = {}
        self.count = 0

    def push(self, cls: Any, key: tuple[float, ...], ticket: SimTicket) -> None:
        heapq.heappush(self.heaps.setdefault(cls, []), _Entry(key, ticket))
        self.count += 1

    def heads(self) -> Iterable[tuple[Any, _Entry]]:
        return ((cls, heap[0]) for cls, heap in self.heaps.items() if heap)

    def pop(self, cls: Any) -> SimTicket:
        self.count -= 1
        return heapq.heappop(self.heaps[cls]).ticket


def _sample_units(ticket: SimTicket) -> tuple[str, int]:
    # Units depend on channel and whether the priority has a multiplier; part of a ticket's class.
    return ticket.channel, 0 if ticket.priority in PRIORITY_MULTIPLIERS else 1


class FifoRoundRobin(_Desk):
    """Reference only: skill-blind, oldest first, round-robin over agents with room."""

    def __init__(self, agents: Sequence[SimAgent]) -> None:
        super().__init__(agents)
        self.queues = _Queues()
        self.next_position = 0

    def on_arrival(self, ticket: SimTicket, now: float) -> None:
        for step in range(len(self.order)):
            position = (self.next_position + step) % len(self.order)
            agent_id = self.order[position]
            if ticket_units(ticket, self.agents[agent_id]) <= self.room(agent_id) + 1e-9:
                self.next_position = position + 1
                self.start(ticket, agent_id, now)
                return
        self.queues.push(_sample_units(ticket), (ticket.arrival_minutes,), ticket)

    def take_for(self, agent_id: int, now: float) -> SimTicket | None:
        agent, room = self.agents[agent_id], self.room(agent_id)
        fits = [(entry.key, cls) for cls, entry in self.queues.heads() if ticket_units(entry.ticket, agent) <= room + 1e-9]
        return self.queues.pop(min(fits)[1]) if fits else None

    def has_waiting(self) -> bool:
        return bool(self.queues.count)


class _QueuedBySkill(_Desk):
    """The two strong baselines: waiting tickets in queues per skill class; a free agent takes the best head it qualifies for."""

    strict = True

    def __init__(self, agents: Sequence[SimAgent]) -> None:
        super().__init__(agents)
        self.queues = _Queues()

    def take_for(self, agent_id: int, now: float) -> SimTicket | None:
        agent, used = self.agents[agent_id], self.used[agent_id]
        best = None
        for cls, entry in self.queues.heads():
            if (best is None or entry.key < best[0]) and qualified(agent, entry.ticket, used_units=used, strict=self.strict):
                best = (entry.key, cls)
        return self.queues.pop(best[1]) if best else None

    def has_waiting(self) -> bool:
        return bool(self.queues.count)


class SkillsRoundRobin(_QueuedBySkill):
    """Zendesk-style: a queue per required skill (priority, arrival); round-robin hand-out on arrival."""

    def __init__(self, agents: Sequence[SimAgent]) -> None:
        super().__init__(agents)
        self.next_position = 0

    def on_arrival(self, ticket: SimTicket, now: float) -> None:
        for step in range(len(self.order)):
            position = (self.next_position + step) % len(self.order)
            agent_id = self.order[position]
            if qualified(self.agents[agent_id], ticket, used_units=self.used[agent_id], strict=self.strict):
                self.next_position = position + 1
                self.start(ticket, agent_id, now)
                return
        self.queues.push((ticket.category, *_sample_units(ticket)), (ticket.priority, ticket.arrival_minutes), ticket)


class LoadBalancedSla(_QueuedBySkill):
    """Freshdesk Omniroute-style: most spare units on arrival (ties: longest idle); earliest SLA due when units free."""

    def on_arrival(self, ticket: SimTicket, now: float) -> None:
        options = [
            (-self.room(agent_id), self.last_assigned[agent_id], agent_id)
            for agent_id in self.order
            if qualified(self.agents[agent_id], ticket, used_units=self.used[agent_id], strict=self.strict)
        ]
        if options:
            self.start(ticket, min(options)[2], now)
        else:
            self.queues.push((ticket.category, *_sample_units(ticket)), (ticket.due_minutes, ticket.arrival_minutes), ticket)


class Router(_Desk):
    """Ours: ``routing_core.rank`` on arrival; the team's queue order and ``eligible`` when units free.

    Waiting tickets sit in heaps by class (category, units, optional skills still asked for),
    each ordered by due time, which is the order ``routing_core.queue_key`` gives inside a class
    in a 24×7 calendar; across classes the heads are compared with ``queue_key`` itself. When a
    ticket's optional skill times out it moves to the class without it and is offered again
    (its old entry is left behind and skipped: entries carry a version). A senior stands in for
    a missing skill only when ``routing_core.stand_in_allowed``; a waiting ticket that
    ``routing_core.should_reserve`` holds the agent ``routing_core.pick_reservation`` names.
    """

    def __init__(self, agents: Sequence[SimAgent], *, order: str = QUEUE_ORDER) -> None:
        super().__init__(agents)
        self.order_mode = order
        self.heaps: dict[Any, list[_Entry]] = {}
        self.version: dict[int, int] = {}  # waiting ticket id → version of its live entry
        self.waiting: dict[int, SimTicket] = {}
        self.reserved: dict[int, int] = {}  # agent id → the waiting ticket they are held for
        self.reserving: dict[int, list[int]] = {}  # ticket id → agent ids

    @staticmethod
    def _slack(ticket: SimTicket, now: float) -> float:
        return (ticket.due_minutes - now) * 60

    def _stand_in(self, ticket: SimTicket, now: float) -> bool:
        target = SLA_FIRST_RESPONSE_MINUTES[ticket.priority] * 60
        return routing_core.stand_in_allowed(slack_seconds=self._slack(ticket, now), target_seconds=target)

    @staticmethod
    def _hold_limit(ticket: SimTicket) -> float | None:
        return routing_core.hold_limit_seconds(SLA_FIRST_RESPONSE_MINUTES[ticket.priority] * 60)

    def _needs(self, ticket: SimTicket, now: float) -> list[SkillNeed]:
        waited = (now - ticket.arrival_minutes) * 60 + 1e-6
        kept, _ = routing_core.active_skills(ticket.needs, waited_seconds=waited, hold_limit=self._hold_limit(ticket))
        return kept

    def _static_key(self, ticket: SimTicket) -> tuple[float, ...]:
        # Inside a class the relative order never changes with time.
        if self.order_mode == routing_core.QueueOrder.FIFO:
            return (ticket.arrival_minutes,)
        if self.order_mode == routing_core.QueueOrder.SLA:
            return (ticket.due_minutes, ticket.priority, ticket.arrival_minutes)
        return (ticket.priority, ticket.arrival_minutes)

    def _queue(self, ticket: SimTicket, now: float) -> None:
        version = self.version.get(ticket.ticket_id, -1) + 1
        self.version[ticket.ticket_id] = version
        self.waiting[ticket.ticket_id] = ticket
        needs = tuple(n.skill for n in self._needs(ticket, now))
        cls = (ticket.category, *_sample_units(ticket), needs)
        heapq.heappush(self.heaps.setdefault(cls, []), _Entry(self._static_key(ticket), ticket, version))

    def _taken(self, ticket: SimTicket) -> None:
        self.version.pop(ticket.ticket_id, None)
        self.waiting.pop(ticket.ticket_id, None)
        for agent_id in self.reserving.pop(ticket.ticket_id, []):
            del self.reserved[agent_id]

    def _candidate(self, agent: SimAgent, ticket: SimTicket) -> Candidate:
        return candidate_for(
            agent,
            ticket.category,
            idle_since=self.last_assigned[agent.agent_id],
            used_units=self.used[agent.agent_id],
            units=ticket_units(ticket, agent),
        )

    def _place(self, ticket: SimTicket, now: float) -> bool:
        """Offer the ticket to every agent with room, best first (``routing_core.rank``); True when someone took it."""
        candidates = [
            self._candidate(agent, ticket)
            for agent_id, agent in self.agents.items()
            if self.room(agent_id) > 0 and self.reserved.get(agent_id, ticket.ticket_id) == ticket.ticket_id
        ]
        ranked, _ = routing_core.rank(
            candidates, ticket.facts(), min_level=ticket.min_level, needs=self._needs(ticket, now), stand_in=self._stand_in(ticket, now)
        )
        if not ranked:
            return False
        self._taken(ticket)
        self.start(ticket, ranked[0].candidate.agent_id, now)
        return True

    def _reserve(self, now: float) -> None:
        """Waiting tickets near their SLA target that fit nobody each hold one agent (most urgent first)."""
        heads = []
        for heap in self.heaps.values():
            while heap and self.version.get(heap[0].ticket.ticket_id) != heap[0].version:
                heapq.heappop(heap)
            if heap and heap[0].ticket.ticket_id not in self.reserving:
                ticket = heap[0].ticket
                if routing_core.should_reserve(slack_seconds=self._slack(ticket, now)):
                    heads.append(ticket)
        for ticket in sorted(heads, key=lambda t: self._static_key(t)):
            free = [self._candidate(agent, ticket) for agent_id, agent in self.agents.items() if agent_id not in self.reserved]
            chosen = routing_core.pick_reservation(free, min_level=ticket.min_level, needs=self._needs(ticket, now))
            if chosen:
                self.reserving[ticket.ticket_id] = [c.agent_id for c in chosen]
                self.reserved.update((c.agent_id, ticket.ticket_id) for c in chosen)

    def on_arrival(self, ticket: SimTicket, now: float) -> None:
        if not self._place(ticket, now):
            self._queue(ticket, now)
            self._schedule_relaxation(ticket, now)
            self._reserve(now)

    def on_free(self, agent_id: int, now: float) -> None:
        self.fill(agent_id, now)
        self._reserve(now)

    def _schedule_relaxation(self, ticket: SimTicket, now: float) -> None:
        waited = (now - ticket.arrival_minutes) * 60 + 1e-6
        later = routing_core.next_relaxation_seconds(ticket.needs, waited_seconds=waited, hold_limit=self._hold_limit(ticket))
        if later is not None:
            self.schedule(ticket.arrival_minutes + later / 60, _RELAX, ticket)

    def on_relax(self, ticket: SimTicket, now: float) -> None:
        if ticket.ticket_id not in self.version:
            return  # taken meanwhile
        if not self._place(ticket, now):
            self._queue(ticket, now)  # the class without the dropped skill; the old entry goes stale
            self._schedule_relaxation(ticket, now)

    def take_for(self, agent_id: int, now: float) -> SimTicket | None:
        agent, used = self.agents[agent_id], self.used[agent_id]
        held = self.reserved.get(agent_id)
        if held is not None:
            # Held for a heavy ticket: take it once it fits, nothing else meanwhile.
            ticket = self.waiting[held]
            if ticket_units(ticket, agent) > self.room(agent_id) + 1e-9:
                return None
            self._taken(ticket)
            return ticket
        candidates: dict[tuple[str, float], Candidate] = {}
        best: tuple[tuple[float, ...], SimTicket] | None = None
        for cls, heap in self.heaps.items():
            while heap and self.version.get(heap[0].ticket.ticket_id) != heap[0].version:
                heapq.heappop(heap)
            if not heap:
                continue
            ticket = heap[0].ticket
            key = routing_core.queue_key(
                self.order_mode, priority=ticket.priority, arrived_at=ticket.arrival_minutes, slack_seconds=self._slack(ticket, now)
            )
            if best is not None and key >= best[0]:
                continue
            units = ticket_units(ticket, agent)
            candidate = candidates.get((ticket.category, units))
            if candidate is None:
                candidate = candidate_for(agent, ticket.category, idle_since=self.last_assigned[agent_id], used_units=used, units=units)
                candidates[(ticket.category, units)] = candidate
            needs = [n for n in ticket.needs if n.skill in cls[-1]]
            if routing_core.eligible(candidate, min_level=ticket.min_level, needs=needs, stand_in=self._stand_in(ticket, now)) is None:
                best = (key, ticket)
        if best is None:
            return None
        self._taken(best[1])
        return best[1]

    def has_waiting(self) -> bool:
        return bool(self.version)


class SkillsRoundRobinWithStandIn(SkillsRoundRobin):
    strict = False


class LoadBalancedSlaWithStandIn(LoadBalancedSla):
    strict = False


def simulate(tickets: Sequence[SimTicket], *, policy: str, agents: Sequence[SimAgent] = ROSTER) -> list[Assignment]:
    """Run one policy over the tickets until every ticket is served; one assignment per ticket."""
    desk: _Desk = {
        "fifo_round_robin": FifoRoundRobin,
        "skills_round_robin": SkillsRoundRobin,
        "load_balanced_sla": LoadBalancedSla,
        "skills_round_robin_stand_in": SkillsRoundRobinWithStandIn,
        "load_balanced_sla_stand_in": LoadBalancedSlaWithStandIn,
        "router": Router,
    }[policy](agents)
    return desk.run(tickets)


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _wait_stats(waits: Sequence[float]) -> dict[str, float | None]:
    if not waits:
        return {"mean": None, "p95": None, "n": 0}
    return {"mean": round(statistics.fmean(waits), 2), "p95": round(_p95(waits), 2), "n": len(waits)}


def _unit_minutes(assignments: Iterable[Assignment], *, window: tuple[float, float]) -> dict[int, float]:
    low, high = window
    held: dict[int, float] = {}
    for a in assignments:
        held[a.agent_id] = held.get(a.agent_id, 0.0) + a.units * max(0.0, min(a.end_minutes, high) - max(a.start_minutes, low))
    return held


def summarize(
    tickets: Sequence[SimTicket], assignments: Sequence[Assignment], *, warmup: int, agents: Sequence[SimAgent]
) -> dict[str, Any]:
    """Waits, breaches and utilization over the measured tickets (those after the warm-up).

    ``offered_load`` is arrivals per minute × the mean unit-minutes this policy actually
    produced ÷ the desk's units: the real utilization the policy asks of the desk. At 1 or
    above the queue grows for as long as tickets arrive.
    """
    by_ticket = {a.ticket_id: a for a in assignments}
    measured = tickets[warmup:]
    waits: dict[int, list[float]] = {p: [] for p in PRIORITIES}
    breaches: dict[int, int] = dict.fromkeys(PRIORITIES, 0)
    factors, unit_minutes, language_matched = [], [], 0
    agents_by_id = {agent.agent_id: agent for agent in agents}
    for ticket in measured:
        assignment = by_ticket[ticket.ticket_id]
        wait = assignment.start_minutes - ticket.arrival_minutes
        waits[ticket.priority].append(wait)
        breaches[ticket.priority] += wait > SLA_FIRST_RESPONSE_MINUTES[ticket.priority]
        factors.append(assignment.skill_factor)
        unit_minutes.append(assignment.units * (assignment.end_minutes - assignment.start_minutes))
        language_matched += ticket.language in agents_by_id[assignment.agent_id].languages
    window = (measured[0].arrival_minutes, measured[-1].arrival_minutes)
    held = _unit_minutes(assignments, window=window)
    shares = [held.get(agent.agent_id, 0.0) / (agent.capacity_units * (window[1] - window[0])) for agent in agents]
    all_waits = [w for p in PRIORITIES for w in waits[p]]
    arrivals_per_minute = (len(measured) - 1) / (window[1] - window[0])
    offered_load = arrivals_per_minute * statistics.fmean(unit_minutes) / sum(agent.capacity_units for agent in agents)
    return {
        "first_response_wait_minutes": {**{f"P{p}": _wait_stats(waits[p]) for p in PRIORITIES}, "overall": _wait_stats(all_waits)},
        "sla_breach_rate": round(sum(breaches.values()) / len(measured), 4),
        "sla_breach_rate_by_priority": {f"P{p}": round(breaches[p] / len(waits[p]), 4) if waits[p] else None for p in PRIORITIES},
        "agent_utilization": {
            "min": round(min(shares), 3),
            "max": round(max(shares), 3),
            "mean": round(statistics.fmean(shares), 3),
            "stdev": round(statistics.pstdev(shares), 3),
        },
        "mean_skill_factor": round(statistics.fmean(factors), 3),
        "language_match_share": round(language_matched / len(measured), 3),
        "offered_load": round(offered_load, 3),
        "overloaded": offered_load >= 1.0,
        "tickets_simulated": len(measured),
        "warmup_tickets": warmup,
    }


# The figures the README table and the targets read, as paths into one summary.
FIGURES: dict[str, tuple[str, ...]] = {
    "sla_breach_rate": ("sla_breach_rate",),
    "p0_mean_wait": ("first_response_wait_minutes", "P0", "mean"),
    "p0_p95_wait": ("first_response_wait_minutes", "P0", "p95"),
    "p1_mean_wait": ("first_response_wait_minutes", "P1", "mean"),
    "p1_p95_wait": ("first_response_wait_minutes", "P1", "p95"),
    "p2_p95_wait": ("first_response_wait_minutes", "P2", "p95"),
    "p3_mean_wait": ("first_response_wait_minutes", "P3", "mean"),
    "p3_p95_wait": ("first_response_wait_minutes", "P3", "p95"),
    "utilization_mean": ("agent_utilization", "mean"),
    "utilization_stdev": ("agent_utilization", "stdev"),
    "mean_skill_factor": ("mean_skill_factor",),
    "language_match_share": ("language_match_share",),
    "offered_load": ("offered_load",),
}


def _figure(summary: dict[str, Any], path: tuple[str, ...]) -> float:
    value: Any = summary
    for part in path:
        value = value[part]
    return float(value) if value is not None else math.nan


def _spread(values: Sequence[float]) -> dict[str, float]:
    return {"mean": round(statistics.fmean(values), 4), "min": round(min(values), 4), "max": round(max(values), 4)}


def _breach_ratio(router: float, baseline: float) -> float:
    if baseline == 0:
        return 0.0 if router == 0 else math.inf
    return router / baseline


def evaluate_targets(level: dict[str, Any], *, check_p3: bool) -> dict[str, Any]:
    """The issue's targets at one level, on the seed means (and the per-seed breach ratios)."""
    mean = {policy: {name: level[policy][name]["mean"] for name in FIGURES} for policy in POLICIES}
    better = min(BASELINES, key=lambda p: mean[p]["sla_breach_rate"])
    ratio = _breach_ratio(mean["router"]["sla_breach_rate"], mean[better]["sla_breach_rate"])
    seed_ratios = level["seed_breach_ratios"]
    checks: dict[str, Any] = {
        "better_baseline": better,
        "breach_ratio": round(ratio, 4),
        "breach_ratio_ok": ratio <= TARGET_BREACH_RATIO,
        "worst_seed_breach_ratio": round(max(seed_ratios), 4),
        "worst_seed_breach_ratio_ok": max(seed_ratios) <= TARGET_SEED_BREACH_RATIO,
    }
    for figure in ("p0_p95_wait", "p1_p95_wait"):
        best = min(mean[p][figure] for p in BASELINES)
        checks[figure] = {"router": mean["router"][figure], "best_baseline": best, "ok": mean["router"][figure] <= best}
    stdev = mean["load_balanced_sla"]["utilization_stdev"]
    checks["utilization_stdev"] = {"router": mean["router"]["utilization_stdev"], "load_balanced_sla": stdev}
    checks["utilization_stdev"]["ok"] = mean["router"]["utilization_stdev"] <= stdev
    if check_p3:
        p3 = mean["router"]["p3_p95_wait"]
        checks["p3_p95_wait"] = {"router": p3, "sla": SLA_FIRST_RESPONSE_MINUTES[3], "ok": p3 <= SLA_FIRST_RESPONSE_MINUTES[3]}
    checks["met"] = all(v["ok"] if isinstance(v, dict) else v for k, v in checks.items() if k.endswith("_ok") or isinstance(v, dict))
    return checks


def run(*, tickets: int = 10000, seeds: Sequence[int] = SEEDS, utilizations: Sequence[float] = UTILIZATIONS) -> dict[str, Any]:
    """Every policy at each nominal utilization over each seed's arrival stream; JSON-ready."""
    warmup = int(tickets * WARMUP_SHARE)
    levels: dict[str, Any] = {}
    for utilization in utilizations:
        per_seed: dict[str, list[dict[str, Any]]] = {policy: [] for policy in POLICIES}
        for seed in seeds:
            stream = make_tickets(count=warmup + tickets, utilization=utilization, seed=seed)
            for policy in POLICIES:
                per_seed[policy].append(summarize(stream, simulate(stream, policy=policy), warmup=warmup, agents=ROSTER))
        level: dict[str, Any] = {"arrival_rate_per_hour": round(60 * arrival_rate_per_minute(utilization=utilization), 3)}
        for policy in POLICIES:
            level[policy] = {name: _spread([_figure(s, path) for s in per_seed[policy]]) for name, path in FIGURES.items()}
            level[policy]["overloaded_seeds"] = sum(s["overloaded"] for s in per_seed[policy])
        level["seed_breach_ratios"] = [
            round(
                _breach_ratio(router["sla_breach_rate"], min(per_seed[b][i]["sla_breach_rate"] for b in BASELINES)),
                4,
            )
            for i, router in enumerate(per_seed["router"])
        ]
        key = f"{utilization:.2f}"
        if key in TARGET_LEVELS:
            level["targets"] = evaluate_targets(level, check_p3=key == "0.85")
        levels[key] = level
    return {
        "model": {
            "agents": len(ROSTER),
            "capacity_units": {a.agent_id: a.capacity_units for a in ROSTER},
            "unit_weights": {
                "channel": CHANNEL_WEIGHTS,
                "priority_multiplier": {f"P{p}": m for p, m in PRIORITY_MULTIPLIERS.items()},
            },
            "optional_skill": f"ticket language, priority 2, dropped after {LANGUAGE_TIMEOUT_MINUTES:g} min",
            "queue_order": QUEUE_ORDER,
            "utilization_definition": "nominal: arrival rate = u x agent units / E[units x service minutes at skill factor 1.0]",
            "sla_first_response_minutes": {f"P{p}": m for p, m in SLA_FIRST_RESPONSE_MINUTES.items()},
            "seeds": list(seeds),
            "tickets_per_seed": tickets,
        },
        "levels": levels,
        "targets_met": all(level["targets"]["met"] for key, level in levels.items() if "targets" in level),
    }


def markdown_table(result: dict[str, Any]) -> str:
    """The README table: every policy at every level, seed mean (min–max) where it matters."""

    def cell(figure: dict[str, float], *, percent: bool = False, spread: bool = False) -> str:
        scale, unit = (100, " %") if percent else (1, "")
        digits = 1 if percent or figure["mean"] < 100 else 0
        text = f"{figure['mean'] * scale:,.{digits}f}{unit}"
        if spread:
            text += f" ({figure['min'] * scale:,.{digits}f}–{figure['max'] * scale:,.{digits}f})"
        return text

    rows = [
        "| utilization | policy | SLA breaches (min–max) | P0 p95 wait | P1 p95 | P2 p95 | P3 p95 | util. stdev | skill factor |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for key, level in result["levels"].items():
        for policy in POLICIES:
            f = level[policy]
            rows.append(
                f"| {float(key):.0%} | {policy} | {cell(f['sla_breach_rate'], percent=True, spread=True)} | {cell(f['p0_p95_wait'])} | "
                f"{cell(f['p1_p95_wait'])} | {cell(f['p2_p95_wait'])} | {cell(f['p3_p95_wait'])} | "
                f"{f['utilization_stdev']['mean']:.3f} | {f['mean_skill_factor']['mean']:.2f} |"
            )
    return "\n".join(rows)


if __name__ == "__main__":
    import sys

    outcome = run()
    print(json.dumps(outcome, indent=2))
    print(markdown_table(outcome), file=sys.stderr)
