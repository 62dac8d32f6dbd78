"""A known-truth desk history: a queueing simulation of named agents, skills and shifts.

Standalone (no Django): ``python -m bench.desk_sim --days 42 --scale 1 --seed 7`` prints a
summary as JSON (``--records FILE`` writes every ticket record as JSON lines). The history is
what issue 28's what-if backtest and issue 29's breach forecast are scored on: unlike
``bench/load.py``, whose outcomes involve no agents, every wait here comes from agents on
shifts taking tickets through the real routing core (``agents/routing_core.py``), and every SLA
outcome from the real clock core (``escalation_engine/clock_core.py``) — both run by
``escalation_engine.desk_core.simulate``. The same seed gives the same history.

The truth (returned as ``History.truth`` beside the records)
-------------------------------------------------------------
- **Teams and skills**: billing (billing, refund_request), accounts (account_access, security
  at level ≥ 3), technical (technical_support at level ≥ 2), general (general_inquiry); routing
  rules send each category to its team. ``scale`` multiplies the 24-agent roster; each team's first
  agent is its lead (seniority 4).
- **Agents**: a name, levels 2–5 in their team's skills, a seniority 1–4, a performance score,
  the languages they write (German, French beside English), a capacity of 4 units (juniors 3;
  chat 2, e-mail 1), a speed (lognormal, sigma ``AGENT_SPEED_SIGMA``), a shift pattern
  (``SHIFTS``: early, day, late, or a weekend crew off on Tuesday and Wednesday) in
  Europe/Berlin and ``LEAVE_DAYS`` random days of leave.
- **Arrivals**: a Poisson process whose hourly rate follows a weekly pattern (``WEEKDAY_FACTOR``
  × ``HOUR_FACTOR``, local time), with a priority, channel and language mix and a category mix
  where billing doubles on Mondays (``MONDAY_BILLING_FACTOR``).
- **Handling** per agent and category: first-response work and resolution work, each lognormal
  (sigma ``WORK_SIGMA``) with mean ``BASE_WORK_MINUTES[category] × SKILL_FACTOR[level] × the
  agent's speed`` (× ``LANGUAGE_MISMATCH_FACTOR`` in another language). Each ticket carries two
  standard-normal draws, so any agent's time on it is defined (common random numbers: a what-if
  with other agents changes decisions, not luck).
- **Pending**: after the first reply the agent asks the customer something with probability
  ``PENDING_SHARE[category]``; the customer answers after a lognormal wall time (median
  ``PENDING_MEDIAN_HOURS``); meanwhile the ticket's units are free and its resolution clock is
  paused.
- **SLA** (``TARGET_MINUTES``): first response, next response and resolution per priority in the
  desk's business hours (``BUSINESS_HOURS``: weekdays 08–20, weekends 09–17, Europe/Berlin), at
  risk at 75 %.
- **Load**: the arrival rate is set so that the work offered in a week is ``utilization`` of the
  unit-hours the roster is on duty in a week (at skill factor 1.0); peaks are higher.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import time as timer
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agents.routing_core import CapacityProfile, RuleSpec
from escalation_engine import clock_core, replay_core
from escalation_engine.desk_core import Desk, DeskAgent, DeskTicket, TicketRecord, Work, simulate
from foundation.business_time import Calendar

ZONE = "Europe/Berlin"
START = datetime(2026, 1, 5, 0, 0, tzinfo=ZoneInfo(ZONE))  # a Monday
HOUR, DAY, WEEK = 3600.0, 86400.0, 7 * 86400.0

TEAMS: dict[str, tuple[str, ...]] = {
    "billing": ("billing", "refund_request"),
    "accounts": ("account_access", "security"),
    "technical": ("technical_support",),
    "general": ("general_inquiry",),
}
TEAM_SIZE = {"billing": 6, "accounts": 4, "technical": 11, "general": 3}  # at scale 1: 24 agents
MIN_LEVEL = {"security": 3, "technical_support": 2}
CATEGORY_MIX = {
    "billing": 0.22,
    "refund_request": 0.10,
    "account_access": 0.20,
    "security": 0.05,
    "technical_support": 0.28,
    "general_inquiry": 0.15,
}
MONDAY_BILLING_FACTOR = 2.0
PRIORITY_MIX = {0: 0.03, 1: 0.12, 2: 0.55, 3: 0.30}
CHANNEL_MIX = {"email": 0.70, "chat": 0.30}
LANGUAGE_MIX = {"en": 0.75, "de": 0.15, "fr": 0.10}
CHANNEL_WEIGHTS = {"email": 1.0, "chat": 2.0}
# category: (first-response work, resolution work) mean minutes at skill factor 1.0
BASE_WORK_MINUTES = {
    "billing": (4.0, 16.0),
    "refund_request": (5.0, 20.0),
    "account_access": (3.0, 12.0),
    "security": (6.0, 35.0),
    "technical_support": (6.0, 40.0),
    "general_inquiry": (3.0, 8.0),
}
SKILL_FACTOR: dict[int | None, float] = {5: 0.6, 4: 0.75, 3: 1.0, 2: 1.4, 1: 1.8, None: 2.5}
LANGUAGE_MISMATCH_FACTOR = 1.3
WORK_SIGMA = 0.6
AGENT_SPEED_SIGMA = 0.2
PENDING_SHARE = {
    "billing": 0.30,
    "refund_request": 0.40,
    "account_access": 0.35,
    "security": 0.25,
    "technical_support": 0.40,
    "general_inquiry": 0.15,
}
PENDING_MEDIAN_HOURS = 3.0
PENDING_SIGMA = 1.0
WEEKDAY_FACTOR = (1.3, 1.1, 1.0, 1.0, 0.9, 0.4, 0.3)  # Monday first
HOUR_FACTOR = (
    (0.15,) * 6 + (0.4, 0.8, 1.3, 1.6, 1.7, 1.6, 1.3, 1.4, 1.6, 1.5, 1.3, 1.0, 0.8, 0.6, 0.5, 0.4) + (0.3, 0.2)
)  # local hours 0–23
SHIFTS: dict[str, dict[int, list[tuple[time, time]]]] = {
    "early": {d: [(time(7), time(15))] for d in range(5)},
    "day": {d: [(time(9), time(17))] for d in range(5)},
    "late": {d: [(time(12), time(20))] for d in range(5)},
    "weekend": {d: [(time(9), time(17))] for d in (0, 3, 4, 5, 6)},  # off Tuesday and Wednesday
}
SHIFT_ROTATION = ("day", "early", "weekend", "late", "day", "early", "weekend", "late")
LEAVE_DAYS = 3  # per agent, random weekdays of the history
BUSINESS_HOURS = {**{d: [(time(8), time(20))] for d in range(5)}, 5: [(time(9), time(17))], 6: [(time(9), time(17))]}
# priority: (first response, next response, resolution) minutes of business time
TARGET_MINUTES = {0: (15, 30, 240), 1: (60, 120, 480), 2: (240, 480, 1440), 3: (1440, 1440, 4320)}
NAMES = (
    "Ada", "Bilal", "Chiara", "Dmitri", "Elif", "Farah", "Gustav", "Hana", "Ivo", "Jonas", "Kira", "Luca",
    "Mara", "Nils", "Olga", "Pavel", "Quinn", "Rosa", "Sami", "Tess", "Ugo", "Vera", "Wim", "Yara",
)  # fmt: skip


@dataclass
class History:
    desk: Desk
    tickets: list[DeskTicket]
    records: list[TicketRecord]
    truth: dict[str, Any]
    draws: dict[int, tuple[float, float]] = field(repr=False)  # ticket id → the standard-normal draws behind its work

    def window(self, start_day: float, end_day: float) -> list[TicketRecord]:
        """Records of the tickets that arrived in [start_day, end_day) days from the desk's start."""
        low, high = start_day * DAY, end_day * DAY
        return [r for r in self.records if low <= r.arrival_seconds < high]


def policies() -> dict[int, clock_core.Policy]:
    calendar = Calendar(time_zone=ZONE, weekly=BUSINESS_HOURS)
    return {
        p: clock_core.Policy(
            key=f"P{p}", first_response_seconds=fr * 60, next_response_seconds=nr * 60, resolution_seconds=res * 60, calendar=calendar
        )
        for p, (fr, nr, res) in TARGET_MINUTES.items()
    }


def make_roster(
    *, scale: int, seed: int, days: int, leave_days: int = LEAVE_DAYS, multilingual: bool = True
) -> tuple[list[DeskAgent], dict[int, dict[str, Any]]]:
    """The named agents and each one's truth (speed, shift, leave days); ``multilingual=False``: everyone writes English only."""
    rng = random.Random(f"roster-{seed}")
    agents, truth = [], {}
    agent_id = 0
    for team, categories in TEAMS.items():
        for index in range(TEAM_SIZE[team] * scale):
            agent_id += 1
            skills = {category: rng.choice((2, 3, 3, 4, 4, 5)) for category in categories}
            if "security" in skills and index % 2:
                skills["security"] = max(skills["security"], 3)
            if rng.random() < 0.25:  # a cross-skill from another team
                other = rng.choice([c for t, cs in TEAMS.items() if t != team for c in cs])
                skills[other] = rng.choice((1, 2, 3))
            seniority = 4 if index == 0 else rng.choice((1, 1, 2, 2, 3, 4))  # every team has a lead
            languages = {"en"} | {lang for lang, share in (("de", 0.35), ("fr", 0.2)) if rng.random() < share}
            if not multilingual:
                languages = {"en"}  # drawn all the same, so the rest of the roster is the one the seed gives
            pattern = SHIFT_ROTATION[index % len(SHIFT_ROTATION)]
            weekdays = [d for d in range(days) if (START.date() + timedelta(days=d)).weekday() in SHIFTS[pattern]]
            leave = frozenset(START.date() + timedelta(days=d) for d in rng.sample(weekdays, min(leave_days, len(weekdays))))
            speed = math.exp(rng.gauss(0.0, AGENT_SPEED_SIGMA))
            name = f"{NAMES[(agent_id - 1) % len(NAMES)]} {team.title()} {index + 1}"
            agents.append(
                DeskAgent(
                    agent_id=agent_id,
                    name=name,
                    team=team,
                    skills=skills,
                    shift=Calendar(time_zone=ZONE, weekly=SHIFTS[pattern], holidays=leave),
                    profile=CapacityProfile(total_units=3.0 if seniority == 1 else 4.0, channel_weights=CHANNEL_WEIGHTS),
                    seniority=seniority,
                    performance_score=round(rng.uniform(0.5, 0.9), 2),
                    languages=frozenset(languages),
                )
            )
            truth[agent_id] = {
                "name": name,
                "team": team,
                "skills": skills,
                "seniority": seniority,
                "languages": sorted(languages),
                "capacity_units": 3.0 if seniority == 1 else 4.0,
                "shift": pattern,
                "leave_days": sorted(d.isoformat() for d in leave),
                "speed": round(speed, 4),
            }
    return agents, truth


def make_desk(agents: Sequence[DeskAgent]) -> Desk:
    rules = [
        (RuleSpec(id=i + 1, name=f"{team} categories", categories=frozenset(cats)), team) for i, (team, cats) in enumerate(TEAMS.items())
    ]
    return Desk(
        start=START,
        agents=list(agents),
        rules=rules,
        default_team="general",
        skills={category: (category, MIN_LEVEL.get(category, 1)) for categories in TEAMS.values() for category in categories},
        policies=policies(),
    )


def mean_work_seconds(category: str) -> float:
    first, resolution = BASE_WORK_MINUTES[category]
    return (first + resolution) * 60


def expected_unit_seconds() -> float:
    """E[units × work seconds] per ticket at skill factor 1.0."""
    units = sum(share * CHANNEL_WEIGHTS[channel] for channel, share in CHANNEL_MIX.items())
    return units * sum(share * mean_work_seconds(category) for category, share in CATEGORY_MIX.items())


def weekly_unit_seconds(agents: Sequence[DeskAgent]) -> float:
    """Unit-seconds the roster is on duty in a typical week (leave ignored)."""
    total = 0.0
    for agent in agents:
        hours = sum(
            (datetime.combine(date.min, b) - datetime.combine(date.min, a)).total_seconds()
            for ivs in agent.shift.weekly.values()
            for a, b in ivs
        )
        total += hours * agent.profile.total_units
    return total


def tickets_per_day(agents: Sequence[DeskAgent], *, utilization: float) -> float:
    return utilization * weekly_unit_seconds(agents) / expected_unit_seconds() / 7


def _pick(rng: random.Random, mix: dict[Any, float]) -> Any:
    return rng.choices(list(mix), list(mix.values()))[0]


def make_tickets(
    *, per_day: float, days: int, seed: int, multilingual: bool = True
) -> tuple[list[DeskTicket], dict[int, tuple[float, float]]]:
    """Poisson arrivals hour by hour under the weekly pattern; each ticket's two work draws beside it."""
    rng = random.Random(f"arrivals-{seed}")
    weekly_weight = sum(w * h for w in WEEKDAY_FACTOR for h in HOUR_FACTOR)
    per_hour_unit = per_day * 7 / weekly_weight
    tickets: list[DeskTicket] = []
    draws: dict[int, tuple[float, float]] = {}
    zone = ZoneInfo(ZONE)
    utc_start = START.astimezone(UTC)
    for hour in range(days * 24):
        local = (utc_start + timedelta(hours=hour)).astimezone(zone)
        rate = per_hour_unit * WEEKDAY_FACTOR[local.weekday()] * HOUR_FACTOR[local.hour]
        count = _poisson(rng, rate)
        mix = dict(CATEGORY_MIX)
        if local.weekday() == 0:
            mix["billing"] *= MONDAY_BILLING_FACTOR
        for offset in sorted(rng.random() for _ in range(count)):
            ticket_id = len(tickets) + 1
            category = _pick(rng, mix)
            pending = None
            if rng.random() < PENDING_SHARE[category]:
                pending = PENDING_MEDIAN_HOURS * HOUR * math.exp(PENDING_SIGMA * rng.gauss(0.0, 1.0))
            tickets.append(
                DeskTicket(
                    ticket_id=ticket_id,
                    arrival_seconds=(hour + offset) * HOUR,
                    category=category,
                    priority=_pick(rng, PRIORITY_MIX),
                    channel=_pick(rng, CHANNEL_MIX),
                    language=_pick(rng, LANGUAGE_MIX) if multilingual else _english(rng),
                    tier=rng.choice(("bronze", "silver", "gold")),
                    lifetime_value=round(rng.lognormvariate(7.0, 1.0), 2),
                    pending_seconds=pending,
                )
            )
            draws[ticket_id] = (rng.gauss(0.0, 1.0), rng.gauss(0.0, 1.0))
    return tickets, draws


def _english(rng: random.Random) -> str:
    _pick(rng, LANGUAGE_MIX)  # the draw is taken all the same, so the rest of the history is the one the seed gives
    return "en"


def _poisson(rng: random.Random, mean: float) -> int:
    if mean > 50:  # normal approximation, plenty for hourly counts
        return max(0, round(rng.gauss(mean, math.sqrt(mean))))
    limit, k, product = math.exp(-mean), 0, rng.random()
    while product > limit:
        k += 1
        product *= rng.random()
    return k


def true_mean_work(category: str, agent: DeskAgent, speed: float, language: str = "en") -> tuple[float, float]:
    """The true mean (first-response work, resolution work) seconds of this agent on this category."""
    factor = SKILL_FACTOR[agent.skills.get(category)] * speed * (1.0 if language in agent.languages else LANGUAGE_MISMATCH_FACTOR)
    first, resolution = BASE_WORK_MINUTES[category]
    return first * 60 * factor, resolution * 60 * factor


def true_handling(draws: dict[int, tuple[float, float]], speeds: dict[int, float]) -> Any:
    def handling(ticket: DeskTicket, agent: DeskAgent) -> Work:
        first_mean, resolution_mean = true_mean_work(ticket.category, agent, speeds[agent.agent_id], ticket.language)
        z1, z2 = draws[ticket.ticket_id]
        shrink = WORK_SIGMA**2 / 2  # lognormal with that mean
        return Work(first_mean * math.exp(WORK_SIGMA * z1 - shrink), resolution_mean * math.exp(WORK_SIGMA * z2 - shrink))

    return handling


def generate(
    *,
    days: int = 42,
    scale: int = 1,
    seed: int = 7,
    utilization: float = 0.9,
    leave_days: int = LEAVE_DAYS,
    multilingual: bool = True,
    processes: int = 1,
) -> History:
    """The whole history: roster, arrivals, the simulated desk's records and the truth behind them.

    ``leave_days=0`` and ``multilingual=False`` give a desk the product's own models can hold (they keep weekly shifts,
    not days of leave, and no agent languages): what ``bench.imported_history`` needs to isolate the importer.
    ``processes``: play the teams in that many processes (``desk_core.simulate``; the same history)."""
    agents, agent_truth = make_roster(scale=scale, seed=seed, days=days, leave_days=leave_days, multilingual=multilingual)
    desk = make_desk(agents)
    per_day = tickets_per_day(agents, utilization=utilization)
    tickets, draws = make_tickets(per_day=per_day, days=days, seed=seed, multilingual=multilingual)
    speeds = {agent_id: truth["speed"] for agent_id, truth in agent_truth.items()}
    records = simulate(desk, tickets, true_handling(draws, speeds), processes=processes)
    truth = {
        "seed": seed,
        "days": days,
        "scale": scale,
        "start": START.isoformat(),
        "utilization": utilization,
        "leave_days": leave_days,
        "multilingual": multilingual,
        "tickets_per_day": round(per_day, 1),
        "agents": agent_truth,
        "category_mix": CATEGORY_MIX,
        "monday_billing_factor": MONDAY_BILLING_FACTOR,
        "priority_mix": {f"P{p}": s for p, s in PRIORITY_MIX.items()},
        "channel_mix": CHANNEL_MIX,
        "language_mix": LANGUAGE_MIX,
        "weekday_factor": WEEKDAY_FACTOR,
        "hour_factor": HOUR_FACTOR,
        "base_work_minutes": BASE_WORK_MINUTES,
        "skill_factor": {str(k): v for k, v in SKILL_FACTOR.items()},
        "work_sigma": WORK_SIGMA,
        "pending_share": PENDING_SHARE,
        "pending_median_hours": PENDING_MEDIAN_HOURS,
        "pending_sigma": PENDING_SIGMA,
        "sla_target_minutes": {
            f"P{p}": dict(zip(("first_response", "next_response", "resolution"), t, strict=True)) for p, t in TARGET_MINUTES.items()
        },
        "business_hours": {str(d): [(a.isoformat(), b.isoformat()) for a, b in ivs] for d, ivs in BUSINESS_HOURS.items()},
    }
    return History(desk=desk, tickets=tickets, records=records, truth=truth, draws=draws)


def summarize(records: Sequence[TicketRecord]) -> dict[str, Any]:
    """First-response compliance and waits per priority, resolution breaches: the figures a backtest compares."""
    result: dict[str, Any] = {"tickets": len(records)}
    for priority in sorted({r.priority for r in records}):
        group = [r for r in records if r.priority == priority]
        waits = sorted(w for r in group if (w := r.wait_seconds) is not None)
        result[f"P{priority}"] = {
            "tickets": len(group),
            "first_response_compliance": round(1 - sum(r.first_response_breached for r in group) / len(group), 4),
            "median_first_response_wait_minutes": round(statistics.median(waits) / 60, 2) if waits else None,
            "resolution_breach_rate": round(sum(r.resolution_breached for r in group) / len(group), 4),
        }
    waits = [w for r in records if (w := r.wait_seconds) is not None]
    result["first_response_compliance"] = round(1 - sum(r.first_response_breached for r in records) / max(1, len(records)), 4)
    result["median_first_response_wait_minutes"] = round(statistics.median(waits) / 60, 2) if waits else None
    result["unanswered"] = sum(r.first_response_seconds is None for r in records)
    return result


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--utilization", type=float, default=0.9)
    parser.add_argument("--records", help="write every ticket record to this file as JSON lines")
    parser.add_argument("--backtest", action="store_true", help="fit on days 0-28, replay days 28-42 and compare (needs --days 42 or more)")
    args = parser.parse_args(argv)
    began, cpu = timer.perf_counter(), timer.process_time()
    history = generate(days=args.days, scale=args.scale, seed=args.seed, utilization=args.utilization)
    seconds, cpu_seconds = timer.perf_counter() - began, timer.process_time() - cpu
    if args.records:
        with open(args.records, "w", encoding="utf-8") as out:
            for record in history.records:
                out.write(json.dumps(asdict(record)) + "\n")
    summary: dict[str, Any] = {
        "seconds": round(seconds, 2),
        "cpu_seconds": round(cpu_seconds, 2),
        "agents": len(history.desk.agents),
        "tickets_per_day": history.truth["tickets_per_day"],
        "summary": summarize(history.records),
    }
    if args.backtest:
        began = timer.process_time()
        result = replay_core.backtest(history.desk, history.records, fit_days=(0, 28), replay_days=(28, 42))
        summary["backtest"] = {
            "verdict": result["verdict"],
            "by_priority": {
                p: {"recorded": result["recorded"]["by_priority"][p], "replayed": result["replayed"]["by_priority"][p]}
                for p in result["recorded"]["by_priority"]
            },
            "cpu_seconds": round(timer.process_time() - began, 2),
        }
    print(json.dumps(summary, indent=2))
    print(f"{len(history.records)} tickets in {seconds:.1f} s ({cpu_seconds:.1f} s CPU)", file=sys.stderr)


if __name__ == "__main__":
    main()
