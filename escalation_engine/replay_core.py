"""What-if replay, pure (no Django): a period of the desk's own tickets played again at a
desk changed by a scenario, through the real routing and SLA-clock cores.

1. ``fit_handling`` estimates handling times from an earlier period's records: per agent and
   category, the first-response work (assignment → first reply) and the resolution work (the
   first reply, or the customer's answer, → resolved) as lognormals; an agent with fewer than
   ``MIN_SAMPLES`` tickets in a category borrows the category's spread at their skill level
   (then the category's over everyone), scaled by their own speed when it is known.
2. ``replay`` turns the later period's records back into arrivals (time, category, priority,
   channel, language, and the customer's recorded pending time), and plays them at the desk
   (``desk_core.simulate``) with work drawn from the fitted model. Each ticket's draws depend
   only on the seed and the ticket, so a baseline and a scenario differ only by their decisions.
3. ``Scenario`` changes the desk: agents added (like an existing one, on a team and shift) or
   removed, capacity, shifts, skills, routing rules, queue order, SLA targets, business hours.
4. ``report`` measures what a supervisor compares: first-response compliance, first-response
   and resolution waits per priority, breaches, utilization per agent and team.

``backtest``: fit on one period, replay a later one with the desk as it was, and compare with
what was recorded (first-response compliance within ±5 points, median first-response wait
within ±15 %).
"""

from __future__ import annotations

import math
import random
import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

from agents.routing_core import RuleSpec
from escalation_engine.desk_core import DAY, Desk, DeskAgent, DeskTicket, TicketRecord, Work, simulate
from foundation.business_time import Calendar

MIN_SAMPLES = 8
DEFAULT_SIGMA = 0.6
COMPLIANCE_TOLERANCE_POINTS = 5.0
MEDIAN_WAIT_TOLERANCE = 0.15


@dataclass(frozen=True)
class LogNormal:
    mu: float
    sigma: float
    samples: int

    @property
    def mean(self) -> float:
        return math.exp(self.mu + self.sigma**2 / 2)

    def draw(self, z: float) -> float:
        return math.exp(self.mu + self.sigma * z)


def fit_lognormal(values: Iterable[float]) -> LogNormal | None:
    logs = [math.log(max(v, 1.0)) for v in values]
    if not logs:
        return None
    sigma = statistics.pstdev(logs) if len(logs) > 1 else DEFAULT_SIGMA
    return LogNormal(statistics.fmean(logs), sigma, len(logs))


@dataclass(frozen=True)
class HandlingModel:
    """Fitted work times: (first-response work, resolution work) per (agent, category), with fallbacks."""

    by_agent: Mapping[tuple[int, str], tuple[LogNormal, LogNormal]]
    by_level: Mapping[tuple[str, int | None], tuple[LogNormal, LogNormal]]
    by_category: Mapping[str, tuple[LogNormal, LogNormal]]
    speed: Mapping[int, float]  # agent's log-ratio to their peers' times, over all categories
    overall: tuple[LogNormal, LogNormal]

    def estimate(self, agent: DeskAgent, category: str, *, like: int | None = None) -> tuple[LogNormal, LogNormal]:
        """The work distributions for this agent on this category (``like``: an agent whose history stands in)."""
        source = like if like is not None else agent.agent_id
        found = self.by_agent.get((source, category))
        if found is not None and found[0].samples >= MIN_SAMPLES:
            return found
        pooled = self.by_level.get((category, agent.skills.get(category)))
        if pooled is None or pooled[0].samples < MIN_SAMPLES:
            pooled = self.by_category.get(category, self.overall)
        shift = self.speed.get(source, 0.0)
        first, resolution = pooled
        return replace(first, mu=first.mu + shift), replace(resolution, mu=resolution.mu + shift)


def fit_handling(records: Iterable[TicketRecord], agents: Sequence[DeskAgent]) -> HandlingModel:
    """Estimate work times from resolved tickets' records (only tickets both assigned and resolved count)."""
    levels = {a.agent_id: a.skills for a in agents}
    first: dict[Any, list[float]] = defaultdict(list)
    rest: dict[Any, list[float]] = defaultdict(list)
    rows = []
    for record in records:
        work1, work2 = record.first_work_seconds, record.resolution_work_seconds
        if record.agent_id is None or work1 is None or work2 is None:
            continue
        level = levels.get(record.agent_id, {}).get(record.category)
        rows.append((record.agent_id, record.category, work1, work2))
        for key in ((record.agent_id, record.category), ("level", record.category, level), ("category", record.category), ("all",)):
            first[key].append(work1)
            rest[key].append(work2)

    def pair(key: Any) -> tuple[LogNormal, LogNormal] | None:
        a, b = fit_lognormal(first.get(key, ())), fit_lognormal(rest.get(key, ()))
        return (a, b) if a is not None and b is not None else None

    by_agent = {k: p for k in first if len(k) == 2 and isinstance(k[0], int) and (p := pair(k))}
    by_level = {(k[1], k[2]): p for k in first if k[0] == "level" and (p := pair(k))}
    by_category = {k[1]: p for k in first if k[0] == "category" and (p := pair(k))}
    overall = pair(("all",)) or (LogNormal(math.log(600), DEFAULT_SIGMA, 0), LogNormal(math.log(900), DEFAULT_SIGMA, 0))
    # Speed: how an agent's times compare with others at the same level in the same categories (log-ratio).
    ratios: dict[int, list[float]] = defaultdict(list)
    for agent_id, category, work1, work2 in rows:
        level = levels.get(agent_id, {}).get(category)
        peers = by_level.get((category, level))
        if peers is not None:
            ratios[agent_id].append(math.log(max(work1 + work2, 1.0)) - math.log(peers[0].mean + peers[1].mean))
    speed = {agent_id: statistics.median(values) for agent_id, values in ratios.items() if len(values) >= MIN_SAMPLES}
    return HandlingModel(by_agent=by_agent, by_level=by_level, by_category=by_category, speed=speed, overall=overall)


# --- scenarios -------------------------------------------------------------------------------


@dataclass(frozen=True)
class AddedAgent:
    """``count`` more agents like ``like`` (their skills, capacity and history), optionally on another team or shift."""

    like: int
    count: int = 1
    team: str | None = None
    shift: Calendar | None = None


@dataclass(frozen=True)
class Scenario:
    name: str = "baseline"
    add: Sequence[AddedAgent] = ()
    remove: frozenset[int] = frozenset()
    capacity_units: Mapping[int, float] = field(default_factory=dict)  # agent id → total units
    shifts: Mapping[int, Calendar] = field(default_factory=dict)  # agent id → shift
    skills: Mapping[int, Mapping[str, int]] = field(default_factory=dict)  # agent id → skills (replaced)
    rules: Sequence[tuple[RuleSpec, str]] | None = None
    queue_order: str | None = None
    targets_minutes: Mapping[int, tuple[float, float, float]] = field(default_factory=dict)  # priority → (first, next, resolution)
    business_hours: Calendar | None = None


def apply_scenario(desk: Desk, scenario: Scenario) -> tuple[Desk, dict[int, int]]:
    """The changed desk and, for every added agent, the agent whose history stands in for theirs."""
    agents: list[DeskAgent] = []
    for agent in desk.agents:
        if agent.agent_id in scenario.remove:
            continue
        profile = agent.profile
        if agent.agent_id in scenario.capacity_units:
            profile = replace(profile, total_units=scenario.capacity_units[agent.agent_id])
        agents.append(
            replace(
                agent,
                profile=profile,
                shift=scenario.shifts.get(agent.agent_id, agent.shift),
                skills=scenario.skills.get(agent.agent_id, agent.skills),
            )
        )
    by_id = {a.agent_id: a for a in desk.agents}
    stand_ins: dict[int, int] = {}
    next_id = max([a.agent_id for a in desk.agents] + [0]) + 1
    for added in scenario.add:
        model = by_id[added.like]
        for index in range(added.count):
            agents.append(
                replace(
                    model,
                    agent_id=next_id,
                    name=f"{model.name} (scenario {index + 1})",
                    team=added.team or model.team,
                    shift=added.shift or model.shift,
                )
            )
            stand_ins[next_id] = added.like
            next_id += 1
    policies = dict(desk.policies)
    for priority, (first, following, resolution) in scenario.targets_minutes.items():
        policies[priority] = replace(
            policies[priority], first_response_seconds=first * 60, next_response_seconds=following * 60, resolution_seconds=resolution * 60
        )
    if scenario.business_hours is not None:
        policies = {p: replace(policy, calendar=scenario.business_hours) for p, policy in policies.items()}
    changed = replace(
        desk,
        agents=agents,
        rules=list(scenario.rules) if scenario.rules is not None else desk.rules,
        queue_order=scenario.queue_order or desk.queue_order,
        policies=policies,
    )
    return changed, stand_ins


# --- replay ----------------------------------------------------------------------------------


def tickets_from(records: Iterable[TicketRecord]) -> list[DeskTicket]:
    """The arrivals behind recorded tickets, with the customer's recorded pending time."""
    tickets = []
    for r in records:
        pending = None
        if r.pending_from_seconds is not None and r.pending_until_seconds is not None:
            pending = r.pending_until_seconds - r.pending_from_seconds
        tickets.append(
            DeskTicket(
                ticket_id=r.ticket_id,
                arrival_seconds=r.arrival_seconds,
                category=r.category,
                priority=r.priority,
                channel=r.channel,
                language=r.language,
                pending_seconds=pending,
            )
        )
    return tickets


def sampled_handling(model: HandlingModel, *, seed: int, stand_ins: Mapping[int, int] | None = None) -> Any:
    """Work drawn from the fitted model; each ticket's two draws depend only on (seed, ticket)."""
    cache: dict[tuple[int, str], tuple[LogNormal, LogNormal]] = {}
    stand_ins = stand_ins or {}

    def handling(ticket: DeskTicket, agent: DeskAgent) -> Work:
        key = (agent.agent_id, ticket.category)
        estimate = cache.get(key)
        if estimate is None:
            estimate = cache[key] = model.estimate(agent, ticket.category, like=stand_ins.get(agent.agent_id))
        rng = random.Random(seed * 1_000_003 + ticket.ticket_id)
        return Work(estimate[0].draw(rng.gauss(0.0, 1.0)), estimate[1].draw(rng.gauss(0.0, 1.0)))

    return handling


def replay(
    desk: Desk,
    records: Sequence[TicketRecord],
    model: HandlingModel,
    *,
    scenario: Scenario | None = None,
    seed: int = 1,
    processes: int = 1,
) -> tuple[Desk, list[TicketRecord]]:
    """Play the recorded tickets again at the desk (changed by ``scenario``) with fitted work times.

    ``processes`` > 1 plays groups of teams in forked processes (``desk_core.simulate``): the
    same records, for a big desk on several CPUs; not from a daemon process (a Celery worker's).
    """
    changed, stand_ins = apply_scenario(desk, scenario or Scenario())
    handling = sampled_handling(model, seed=seed, stand_ins=stand_ins)
    return changed, simulate(changed, tickets_from(records), handling, processes=processes)


def _percentile(values: Sequence[float], share: float) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def _minutes(value: float | None) -> float | None:
    return None if value is None else round(value / 60, 2)


def report(desk: Desk, records: Sequence[TicketRecord], *, window: tuple[float, float] | None = None) -> dict[str, Any]:
    """SLA compliance, waits per priority, breaches and utilization over tickets arriving in ``window`` (seconds)."""
    low, high = window or (
        min((r.arrival_seconds for r in records), default=0.0),
        max((r.arrival_seconds for r in records), default=0.0) + 1,
    )
    measured = [r for r in records if low <= r.arrival_seconds < high]
    result: dict[str, Any] = {"tickets": len(measured), "by_priority": {}}
    for priority in sorted({r.priority for r in measured}):
        group = [r for r in measured if r.priority == priority]
        waits = [w for r in group if (w := r.wait_seconds) is not None]
        resolutions = [r.resolved_seconds - r.arrival_seconds for r in group if r.resolved_seconds is not None]
        result["by_priority"][f"P{priority}"] = {
            "tickets": len(group),
            "first_response_compliance": round(1 - sum(r.first_response_breached for r in group) / len(group), 4),
            "first_response_wait_minutes": {"median": _minutes(_percentile(waits, 0.5)), "p90": _minutes(_percentile(waits, 0.9))},
            "resolution_wait_minutes": {"median": _minutes(_percentile(resolutions, 0.5)), "p90": _minutes(_percentile(resolutions, 0.9))},
            "first_response_breaches": sum(r.first_response_breached for r in group),
            "next_response_breaches": sum(r.next_response_breached for r in group),
            "resolution_breaches": sum(r.resolution_breached for r in group),
        }
    waits = [w for r in measured if (w := r.wait_seconds) is not None]
    count = max(1, len(measured))
    result["first_response_compliance"] = round(1 - sum(r.first_response_breached for r in measured) / count, 4)
    result["median_first_response_wait_minutes"] = _minutes(statistics.median(waits)) if waits else None
    result["breaches"] = {
        "first_response": sum(r.first_response_breached for r in measured),
        "next_response": sum(r.next_response_breached for r in measured),
        "resolution": sum(r.resolution_breached for r in measured),
    }
    result["unanswered"] = sum(r.first_response_seconds is None for r in measured)
    result["utilization"] = utilization(desk, records, window=(low, high))
    return result


def utilization(desk: Desk, records: Sequence[TicketRecord], *, window: tuple[float, float]) -> dict[str, Any]:
    """Units held in work ÷ units on duty, per agent and team, over the window (work after a shift counts too)."""
    low, high = window
    agents = {a.agent_id: a for a in desk.agents}
    held: dict[int, float] = defaultdict(float)
    weights: dict[tuple[int, str, int], float] = {}  # a million records, a few hundred kinds of ticket per agent
    for r in records:
        agent = agents.get(r.agent_id) if r.agent_id is not None else None
        if agent is None or r.assigned_seconds is None or r.first_response_seconds is None:
            continue
        units = weights.get((agent.agent_id, r.channel, r.priority))
        if units is None:
            units = weights[agent.agent_id, r.channel, r.priority] = agent.profile.units(channel=r.channel, priority=r.priority)
        spans = [(r.assigned_seconds, r.first_response_seconds)]
        if r.resolved_seconds is not None:
            spans.append((r.pending_until_seconds or r.first_response_seconds, r.resolved_seconds))
        for begin, end in spans:
            held[agent.agent_id] += units * max(0.0, min(end, high) - max(begin, low))
    start = desk.start
    on_duty: dict[int, float] = {}
    for agent in desk.agents:
        seconds = agent.shift.elapsed(start + timedelta(seconds=low), start + timedelta(seconds=high))
        on_duty[agent.agent_id] = seconds * agent.profile.total_units
    per_agent = {a.agent_id: round(held[a.agent_id] / on_duty[a.agent_id], 4) if on_duty[a.agent_id] else None for a in desk.agents}
    teams: dict[str, list[int]] = defaultdict(list)
    for agent in desk.agents:
        teams[agent.team].append(agent.agent_id)
    per_team = {
        team: round(sum(held[i] for i in ids) / total, 4) if (total := sum(on_duty[i] for i in ids)) else None
        for team, ids in sorted(teams.items())
    }
    return {"agents": per_agent, "teams": per_team}


def compare(recorded: Mapping[str, Any], replayed: Mapping[str, Any]) -> dict[str, Any]:
    """The backtest's verdict: compliance within ±5 points, median first-response wait within ±15 %."""
    points = 100 * (replayed["first_response_compliance"] - recorded["first_response_compliance"])
    base = recorded["median_first_response_wait_minutes"] or 0.0
    wait = replayed["median_first_response_wait_minutes"] or 0.0
    relative = (wait - base) / base if base else math.inf
    return {
        "first_response_compliance": {"recorded": recorded["first_response_compliance"], "replayed": replayed["first_response_compliance"]},
        "compliance_difference_points": round(points, 2),
        "compliance_ok": abs(points) <= COMPLIANCE_TOLERANCE_POINTS,
        "median_first_response_wait_minutes": {"recorded": base, "replayed": wait},
        "median_wait_difference": round(relative, 4),
        "median_wait_ok": abs(relative) <= MEDIAN_WAIT_TOLERANCE,
    }


def backtest(
    desk: Desk,
    records: Sequence[TicketRecord],
    *,
    fit_days: tuple[float, float],
    replay_days: tuple[float, float],
    warmup_days: float = 1.0,
    seed: int = 1,
) -> dict[str, Any]:
    """Fit work times on ``fit_days``, replay ``replay_days`` (after a warm-up) with the desk as it was, compare with the record."""
    model = fit_handling([r for r in records if fit_days[0] * DAY <= r.arrival_seconds < fit_days[1] * DAY], desk.agents)
    window = (replay_days[0] * DAY, replay_days[1] * DAY)
    played = [r for r in records if window[0] - warmup_days * DAY <= r.arrival_seconds < window[1]]
    _, replayed = replay(desk, played, model, seed=seed)
    recorded_report = report(desk, records, window=window)
    replayed_report = report(desk, replayed, window=window)
    return {"recorded": recorded_report, "replayed": replayed_report, "verdict": compare(recorded_report, replayed_report)}
