"""Routing simulation: skill-blind FIFO vs our router, on the same tickets and the same agents.

Standalone (no Django): ``python -m bench.routing_sim`` prints JSON. The router policy calls
the real scoring code in ``agents/routing_core.py`` (``eligible`` and ``rank``), so what is
measured here is what ``agents.services.route_ticket`` does in production.

Model
-----
- **Tickets** arrive as a Poisson process. Each has a category (``CATEGORY_MIX``), a priority
  (P0 5 %, P1 15 %, P2 50 %, P3 30 %) and a customer tier with a lifetime value
  (``TIER_MIX``); tier and value only matter to the router's seniority term.
- **Agents** (``ROSTER``, 12 of them) have a skill level 1–5 in two or three categories and
  none in the others, a seniority 1–4 and a performance score. Every category is covered by
  at least three agents, and seniors (seniority ≥ 3) may take anything, so no ticket can wait
  forever. Everyone is on shift the whole time.
- **Capacity 1**: an agent works on one ticket at a time. The *first-response wait* is the time
  from a ticket's arrival until an agent picks it up; the agent is then busy for the service
  time and takes nothing else.
- **Service time** has mean ``BASE_SERVICE_MINUTES[category] × SKILL_FACTOR[level]`` (level 5
  → 0.6 … level 1 → 1.8, no skill → 2.5) and is lognormal with sigma 0.5. Each ticket carries
  one standard-normal draw, so the same ticket takes proportionally as long whichever policy
  hands it to whichever agent (common random numbers: the policies differ only in decisions).
- **Utilization u is nominal**: ``λ = u × agents / E[service minutes at factor 1.0]``, the
  expectation taken over the category mix. It is the load the desk would carry if every
  ticket were handled at skill factor 1.0 (a level-3 agent). The load a policy actually
  carries depends on how well it matches skills: a skill-blind policy hands many tickets to
  agents without the skill (factor 2.5), so its real load is well above u and may exceed 1,
  in which case its queue grows for as long as tickets keep arriving. The measured busy share
  and mean skill factor of each policy are reported next to the waits for that reason, with
  ``offered_load`` (the real load) and ``overloaded``. With this roster (two or three skills of
  six per agent) a skill-blind policy averages a factor near 1.9, so FIFO is overloaded at every
  level studied and its waits say more about the run length than about the policy.
- **SLA** first-response targets are the project defaults (P0 15 min, P1 1 h, P2 4 h, P3 24 h);
  a ticket breaches when its wait is longer than its target.

Policies
--------
- ``fifo_round_robin``: one FIFO queue, skills ignored. An arriving ticket goes to the next
  free agent in round-robin order; an agent who frees up takes the head of the queue.
- ``router``: an arriving ticket is ranked by ``routing_core.rank`` over the free agents
  (``open_tickets`` 0, ``capacity`` 1, ``idle_since`` = when they freed up) and goes to the
  best; if no free agent is eligible it waits. An agent who frees up takes the first waiting
  ticket, in (priority, arrival) order, that ``routing_core.eligible`` allows, or stays idle
  until the next arrival.

Each scenario simulates a warm-up (a tenth of the measured count) and then ``tickets``
measured tickets; arrivals then stop and the queue drains, so every ticket is served. Waits
and breaches are over the measured tickets; agent busy share is over the measured tickets'
arrival window.
"""

from __future__ import annotations

import heapq
import json
import math
import random
import statistics
from collections import deque
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from agents import routing_core
from agents.routing_core import Candidate, TicketFacts

POLICIES = ("fifo_round_robin", "router")
UTILIZATIONS = (0.70, 0.85, 0.95)
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
BASE_SERVICE_MINUTES = {
    "billing": 20.0,
    "account_access": 15.0,
    "technical_support": 40.0,
    "refund_request": 25.0,
    "security": 35.0,
    "general_inquiry": 15.0,
}
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
TARGET_P0P1_WAIT_REDUCTION = 0.70


@dataclass(frozen=True)
class SimAgent:
    agent_id: int
    skills: dict[str, int]  # category → level 1–5; absent = no skill
    seniority: int
    performance_score: float


@dataclass(frozen=True, slots=True)
class SimTicket:
    ticket_id: int
    arrival_minutes: float
    priority: int
    category: str
    tier: str
    lifetime_value: float
    service_z: float  # standard-normal draw behind this ticket's service time

    def facts(self) -> TicketFacts:
        return TicketFacts(
            priority=self.priority,
            category=self.category,
            tier=self.tier,
            lifetime_value=self.lifetime_value,
            channel="email",
            language="en",
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


ROSTER: tuple[SimAgent, ...] = (
    SimAgent(1, {"technical_support": 5, "security": 3}, seniority=4, performance_score=0.85),
    SimAgent(2, {"technical_support": 4, "account_access": 3}, seniority=3, performance_score=0.75),
    SimAgent(3, {"technical_support": 3, "general_inquiry": 4}, seniority=2, performance_score=0.70),
    SimAgent(4, {"technical_support": 4, "billing": 2}, seniority=2, performance_score=0.65),
    SimAgent(5, {"billing": 5, "refund_request": 4}, seniority=3, performance_score=0.80),
    SimAgent(6, {"billing": 4, "refund_request": 3, "general_inquiry": 3}, seniority=1, performance_score=0.60),
    SimAgent(7, {"billing": 3, "account_access": 4}, seniority=2, performance_score=0.70),
    SimAgent(8, {"account_access": 5, "security": 4}, seniority=4, performance_score=0.90),
    SimAgent(9, {"refund_request": 4, "general_inquiry": 3}, seniority=1, performance_score=0.55),
    SimAgent(10, {"security": 5, "technical_support": 3}, seniority=3, performance_score=0.80),
    SimAgent(11, {"general_inquiry": 5, "account_access": 3, "billing": 2}, seniority=1, performance_score=0.60),
    SimAgent(12, {"technical_support": 2, "refund_request": 2, "general_inquiry": 2}, seniority=1, performance_score=0.50),
)


def nominal_service_minutes() -> float:
    """E[service minutes] at skill factor 1.0 over the category mix."""
    return sum(share * BASE_SERVICE_MINUTES[category] for category, share in CATEGORY_MIX.items())


def arrival_rate_per_minute(*, utilization: float, agents: int) -> float:
    """λ for a nominal utilization (see the module docstring)."""
    return utilization * agents / nominal_service_minutes()


def service_minutes(ticket: SimTicket, agent: SimAgent) -> tuple[float, float]:
    """(service minutes, skill factor) for this agent on this ticket; lognormal with the factor's mean."""
    factor = SKILL_FACTOR[agent.skills.get(ticket.category)]
    mean = BASE_SERVICE_MINUTES[ticket.category] * factor
    return mean * math.exp(SERVICE_SIGMA * ticket.service_z - SERVICE_SIGMA**2 / 2), factor


def make_tickets(*, count: int, utilization: float, seed: int, agents: int = len(ROSTER)) -> list[SimTicket]:
    """A Poisson arrival stream; the same seed gives the same tickets at any utilization, only spaced differently."""
    rng = random.Random(seed)
    rate = arrival_rate_per_minute(utilization=utilization, agents=agents)
    categories, category_weights = list(CATEGORY_MIX), list(CATEGORY_MIX.values())
    priorities, priority_weights = list(PRIORITY_MIX), list(PRIORITY_MIX.values())
    tiers, tier_weights = list(TIER_MIX), [share for share, _ in TIER_MIX.values()]
    now = 0.0
    tickets = []
    for ticket_id in range(count):
        now += rng.expovariate(1.0) / rate
        tier = rng.choices(tiers, tier_weights)[0]
        tickets.append(
            SimTicket(
                ticket_id=ticket_id,
                arrival_minutes=now,
                priority=rng.choices(priorities, priority_weights)[0],
                category=rng.choices(categories, category_weights)[0],
                tier=tier,
                lifetime_value=round(TIER_MIX[tier][1] * math.exp(rng.gauss(0.0, LIFETIME_VALUE_SIGMA)), 2),
                service_z=rng.gauss(0.0, 1.0),
            )
        )
    return tickets


def candidate_for(agent: SimAgent, category: str, *, idle_since: float) -> Candidate:
    """The agent as the router sees them when free (capacity 1, nothing open)."""
    return Candidate(
        agent_id=agent.agent_id,
        skill_level=agent.skills.get(category),
        open_tickets=0,
        capacity=1,
        seniority=agent.seniority,
        performance_score=agent.performance_score,
        idle_since=idle_since,
    )


class _Desk:
    """Event loop and bookkeeping shared by the policies; subclasses decide who takes what."""

    def __init__(self, agents: Sequence[SimAgent]) -> None:
        self.agents = {agent.agent_id: agent for agent in agents}
        self.order = [agent.agent_id for agent in agents]
        self.free_since: dict[int, float] = dict.fromkeys(self.order, 0.0)  # free agents only
        self.assignments: list[Assignment] = []
        self._completions: list[tuple[float, int]] = []

    def run(self, tickets: Sequence[SimTicket]) -> list[Assignment]:
        arrivals = sorted(tickets, key=lambda t: t.arrival_minutes)
        index = 0
        while index < len(arrivals) or self._completions:
            # A completion at or before the next arrival frees its agent first.
            if self._completions and (index == len(arrivals) or self._completions[0][0] <= arrivals[index].arrival_minutes):
                now, agent_id = heapq.heappop(self._completions)
                self.free_since[agent_id] = now
                self.on_free(agent_id, now)
            else:
                ticket = arrivals[index]
                index += 1
                self.on_arrival(ticket, ticket.arrival_minutes)
        if self.has_waiting():
            raise RuntimeError("tickets left waiting with every agent free")
        return self.assignments

    def start(self, ticket: SimTicket, agent_id: int, now: float) -> None:
        del self.free_since[agent_id]
        minutes, factor = service_minutes(ticket, self.agents[agent_id])
        self.assignments.append(Assignment(ticket.ticket_id, agent_id, now, now + minutes, factor))
        heapq.heappush(self._completions, (now + minutes, agent_id))

    def on_arrival(self, ticket: SimTicket, now: float) -> None:
        raise NotImplementedError

    def on_free(self, agent_id: int, now: float) -> None:
        raise NotImplementedError

    def has_waiting(self) -> bool:
        raise NotImplementedError


class FifoRoundRobin(_Desk):
    """Skill-blind: one FIFO queue, free agents taken in round-robin order."""

    def __init__(self, agents: Sequence[SimAgent]) -> None:
        super().__init__(agents)
        self.queue: deque[SimTicket] = deque()
        self.next_position = 0

    def on_arrival(self, ticket: SimTicket, now: float) -> None:
        if not self.free_since:
            self.queue.append(ticket)
            return
        for step in range(len(self.order)):
            position = (self.next_position + step) % len(self.order)
            if self.order[position] in self.free_since:
                self.next_position = position + 1
                self.start(ticket, self.order[position], now)
                return

    def on_free(self, agent_id: int, now: float) -> None:
        if self.queue:
            self.start(self.queue.popleft(), agent_id, now)

    def has_waiting(self) -> bool:
        return bool(self.queue)


class Router(_Desk):
    """Our router: ``routing_core.rank`` on arrival, ``routing_core.eligible`` when an agent frees up."""

    def __init__(self, agents: Sequence[SimAgent]) -> None:
        super().__init__(agents)
        # Eligibility depends only on the category, so one FIFO per (priority, category) holds
        # the waiting tickets; the heads are the only ones an agent needs to look at.
        self.waiting: dict[tuple[int, str], deque[SimTicket]] = {(p, c): deque() for p in PRIORITIES for c in CATEGORY_MIX}

    def on_arrival(self, ticket: SimTicket, now: float) -> None:
        if self.free_since:
            candidates = [candidate_for(self.agents[a], ticket.category, idle_since=since) for a, since in self.free_since.items()]
            ranked, _ = routing_core.rank(candidates, ticket.facts(), min_level=1)
            if ranked:
                self.start(ticket, ranked[0].candidate.agent_id, now)
                return
        self.waiting[(ticket.priority, ticket.category)].append(ticket)

    def on_free(self, agent_id: int, now: float) -> None:
        agent = self.agents[agent_id]
        for priority in PRIORITIES:
            best: deque[SimTicket] | None = None
            for category in CATEGORY_MIX:
                queue = self.waiting[(priority, category)]
                if not queue or (best is not None and best[0].arrival_minutes <= queue[0].arrival_minutes):
                    continue
                if routing_core.eligible(candidate_for(agent, category, idle_since=now), min_level=1) is None:
                    best = queue
            if best is not None:
                self.start(best.popleft(), agent_id, now)
                return

    def has_waiting(self) -> bool:
        return any(self.waiting.values())


def simulate(tickets: Sequence[SimTicket], *, policy: str, agents: Sequence[SimAgent] = ROSTER) -> list[Assignment]:
    """Run one policy over the tickets until every ticket is served; one assignment per ticket."""
    desk: _Desk = {"fifo_round_robin": FifoRoundRobin, "router": Router}[policy](agents)
    return desk.run(tickets)


def _p95(values: Sequence[float]) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def _wait_stats(waits: Sequence[float]) -> dict[str, float | None]:
    if not waits:
        return {"mean": None, "p95": None, "n": 0}
    return {"mean": round(statistics.fmean(waits), 2), "p95": round(_p95(waits), 2), "n": len(waits)}


def _busy_minutes(assignments: Iterable[Assignment], *, window: tuple[float, float]) -> dict[int, float]:
    low, high = window
    busy: dict[int, float] = {}
    for a in assignments:
        busy[a.agent_id] = busy.get(a.agent_id, 0.0) + max(0.0, min(a.end_minutes, high) - max(a.start_minutes, low))
    return busy


def summarize(
    tickets: Sequence[SimTicket], assignments: Sequence[Assignment], *, warmup: int, agents: Sequence[SimAgent]
) -> dict[str, Any]:
    """Waits, breaches and busy share over the measured tickets (those after the warm-up).

    ``offered_load`` is arrivals per minute × the mean service minutes this policy actually
    produced ÷ agents: the real utilization the policy asks of the desk. At 1 or above the
    queue grows for as long as tickets arrive, and the waits grow with the run length.
    """
    by_ticket = {a.ticket_id: a for a in assignments}
    measured = tickets[warmup:]
    waits: dict[int, list[float]] = {p: [] for p in PRIORITIES}
    breaches: dict[int, int] = dict.fromkeys(PRIORITIES, 0)
    factors, served_minutes = [], []
    for ticket in measured:
        assignment = by_ticket[ticket.ticket_id]
        wait = assignment.start_minutes - ticket.arrival_minutes
        waits[ticket.priority].append(wait)
        breaches[ticket.priority] += wait > SLA_FIRST_RESPONSE_MINUTES[ticket.priority]
        factors.append(assignment.skill_factor)
        served_minutes.append(assignment.end_minutes - assignment.start_minutes)
    window = (measured[0].arrival_minutes, measured[-1].arrival_minutes)
    busy = _busy_minutes(assignments, window=window)
    shares = [busy.get(agent.agent_id, 0.0) / (window[1] - window[0]) for agent in agents]
    all_waits = [w for p in PRIORITIES for w in waits[p]]
    arrivals_per_minute = (len(measured) - 1) / (window[1] - window[0])
    offered_load = arrivals_per_minute * statistics.fmean(served_minutes) / len(agents)
    return {
        "first_response_wait_minutes": {**{f"P{p}": _wait_stats(waits[p]) for p in PRIORITIES}, "overall": _wait_stats(all_waits)},
        "sla_breach_rate": round(sum(breaches.values()) / len(measured), 4),
        "sla_breach_rate_by_priority": {f"P{p}": round(breaches[p] / len(waits[p]), 4) if waits[p] else None for p in PRIORITIES},
        "p0p1_mean_wait_minutes": round(statistics.fmean(waits[0] + waits[1]), 2) if waits[0] or waits[1] else None,
        "agent_utilization": {
            "min": round(min(shares), 3),
            "max": round(max(shares), 3),
            "mean": round(statistics.fmean(shares), 3),
            "stdev": round(statistics.pstdev(shares), 3),
        },
        "mean_skill_factor": round(statistics.fmean(factors), 3),
        "offered_load": round(offered_load, 3),
        "overloaded": offered_load >= 1.0,
        "tickets_simulated": len(measured),
        "warmup_tickets": warmup,
    }


def _compare(fifo: dict[str, Any], router: dict[str, Any]) -> dict[str, float | None]:
    fifo_breach, fifo_wait = fifo["sla_breach_rate"], fifo["p0p1_mean_wait_minutes"]
    return {
        "breach_ratio_router_vs_fifo": round(router["sla_breach_rate"] / fifo_breach, 4) if fifo_breach else None,
        "p0p1_mean_wait_reduction": round(1 - router["p0p1_mean_wait_minutes"] / fifo_wait, 4) if fifo_wait else None,
    }


def run(*, tickets: int = 20000, seed: int = 7) -> dict[str, Any]:
    """Both policies at each nominal utilization on the same arrival stream; JSON-ready."""
    warmup = int(tickets * WARMUP_SHARE)
    levels: dict[str, Any] = {}
    for utilization in UTILIZATIONS:
        stream = make_tickets(count=warmup + tickets, utilization=utilization, seed=seed)
        level: dict[str, Any] = {
            "arrival_rate_per_hour": round(60 * arrival_rate_per_minute(utilization=utilization, agents=len(ROSTER)), 3)
        }
        for policy in POLICIES:
            level[policy] = summarize(stream, simulate(stream, policy=policy), warmup=warmup, agents=ROSTER)
        level["comparison"] = _compare(level["fifo_round_robin"], level["router"])
        levels[f"{utilization:.2f}"] = level
    at_85 = levels["0.85"]["comparison"]
    ratio, reduction = at_85["breach_ratio_router_vs_fifo"], at_85["p0p1_mean_wait_reduction"]
    return {
        "model": {
            "agents": len(ROSTER),
            "capacity_per_agent": 1,
            "nominal_service_minutes": round(nominal_service_minutes(), 2),
            "utilization_definition": "nominal: arrival rate = u x agents / E[service minutes at skill factor 1.0]",
            "sla_first_response_minutes": {f"P{p}": m for p, m in SLA_FIRST_RESPONSE_MINUTES.items()},
            "seed": seed,
        },
        "levels": levels,
        "targets": {"breach_ratio_max": TARGET_BREACH_RATIO, "p0p1_mean_wait_reduction_min": TARGET_P0P1_WAIT_REDUCTION},
        "targets_met_at_85": ratio is not None
        and reduction is not None
        and ratio <= TARGET_BREACH_RATIO
        and reduction >= TARGET_P0P1_WAIT_REDUCTION,
    }


if __name__ == "__main__":
    print(json.dumps(run(), indent=2))
