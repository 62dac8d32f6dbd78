"""Breach forecast vs the 75 % rule on a known-truth desk (issue 29), held out in time.

The history is ``bench.desk_sim`` (named agents on shifts, capacity units, skills, routing
through the real routing core, SLA through the real clock core). Everything the forecast uses is
fitted on the first four weeks; the last two weeks are scored. Every ``SNAPSHOT_MINUTES`` of
simulated time, each ticket still waiting for its first response gets a forecast from what a
supervisor could see then, through the same pure core the live desk runs (``escalation_engine.forecast``):

- a ticket not yet assigned waits in its team's queue. The servers are the team's capacity
  units, over time: the roster's shift calendars (leave included) give the units on duty from
  now to the due instant (``Situation.capacity``), compared with the wall time until the due
  instant. A ticket holds its units (chat 2, e-mail 1) for its first-response and resolution
  work (units are free while pending), so the slot time is fitted in unit-seconds per team. An
  agent with one free unit takes the next ticket that fits, so the tickets ahead that hold a
  ticket up are those that weigh no more than it, plus the units in work; newcomers overtake
  it if they are lighter, or as heavy and due sooner (SLA order), at the rate the fit weeks
  had in that hour of the week, counted as the work they bring;
- a ticket already assigned waits only for its own first-response work.

Flags: the **rule** flags a ticket when 75 % of its first-response target has passed without
an answer; the **forecast** flags it at the first snapshot whose probability reaches ``p``.
``p`` is chosen on the fit weeks as the lowest threshold whose precision is at least the
rule's there, then applied unchanged to the scored weeks. Reported for the scored weeks: each
one's precision, recall (share of the tickets that breached that were flagged before the
breach) and median lead time (due − flag, business minutes, of the breaching tickets it
flagged), the forecast's Brier score and reliability table over every snapshot forecast.

    python -m bench.forecast [--seeds 7 8] [--days 42] [--utilization 0.9]

Targets (issue 29): at the rule's precision, recall ≥ 1.2 × the rule's, median lead ≥ the rule's.
The rule's recall is 1.0 by construction (every breach passes 75 % of its target first), so the
JSON also gives what a supervisor can act on: at the same threshold, the breaches each method
flags at least 30 and 60 (the live default lead) business minutes before they fall due, and
the forecast's precision at the rule's recall (threshold chosen on the fit weeks).
"""

from __future__ import annotations

import argparse
import bisect
import heapq
import json
import math
import statistics
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from bench import desk_sim
from escalation_engine import forecast as core
from escalation_engine.desk_core import Desk, TicketRecord, indexed_policy

SNAPSHOT_MINUTES = 15
FIT_DAYS = 28
WEEK_HOURS = 168
ACTIONABLE_LEAD_MINUTES = (30, 60)  # 60: the live desk's default forecast_lead_minutes
LEAD_TOLERANCE_MINUTES = 0.5  # the rule's lead on a P2 is exactly 60 min; calendar round trips lose microseconds
HORIZON_DAYS = 7  # the capacity schedule reaches this far (a P3 due after a weekend is 4–5 days away)
THRESHOLDS = [round(0.05 * step, 2) for step in range(2, 20)] + [0.975, 0.99]


def _fit(
    records: Sequence[TicketRecord], units: Callable[[TicketRecord], float]
) -> tuple[dict[tuple[str, float], core.HandlingTable], core.HandlingTable]:
    """Slot time in unit-seconds (a chat ticket holds two of an agent's units for its whole work) per team and weight —
    the tickets that hold up a ticket of weight ``w`` are those of weight ≤ ``w`` — and the first-response work."""
    slot: dict[tuple[str, float], list[tuple[str, float]]] = defaultdict(list)
    own = []
    weights = sorted({units(record) for record in records})
    for record in records:
        first, rest = record.first_work_seconds, record.resolution_work_seconds
        if first is not None:
            own.append((record.category, first))
            weight = units(record)
            for w in weights:
                if weight <= w:
                    slot[(record.team, w)].append((record.category, weight * (first + (rest or 0.0))))
    return {key: core.fit_handling(rows) for key, rows in slot.items()}, core.fit_handling(own)


def _fit_exact(records: Sequence[TicketRecord], units: Callable[[TicketRecord], float]) -> dict[tuple[str, float], float]:
    """Mean unit-seconds of one ticket per team and weight (of that weight only)."""
    found: dict[tuple[str, float], list[float]] = defaultdict(list)
    for record in records:
        first, rest = record.first_work_seconds, record.resolution_work_seconds
        if first is not None:
            found[(record.team, units(record))].append(units(record) * (first + (rest or 0.0)))
    return defaultdict(lambda: core.DEFAULT_MEAN, {key: statistics.mean(values) for key, values in found.items()})


class _Duty:
    """Per team, the capacity units on duty over the whole history as a step function (shift calendars, leave included)."""

    def __init__(self, desk: Desk, *, days: int) -> None:
        start = desk.start
        changes: dict[str, dict[float, float]] = defaultdict(lambda: defaultdict(float))
        first = start.date() - timedelta(days=1)
        for agent in desk.agents:
            for offset in range(days + HORIZON_DAYS + 2):
                for opens, closes in agent.shift.intervals_on(first + timedelta(days=offset)):
                    changes[agent.team][(opens - start).total_seconds()] += agent.profile.total_units
                    changes[agent.team][(closes - start).total_seconds()] -= agent.profile.total_units
        self.times: dict[str, list[float]] = {}
        self.units: dict[str, list[float]] = {}
        for team, steps in changes.items():
            times, units, level = [], [], 0.0
            for at in sorted(steps):
                level += steps[at]
                times.append(at)
                units.append(round(level, 6))
            self.times[team], self.units[team] = times, units

    def schedule(self, team: str, at: float, horizon: float) -> tuple[tuple[float, float], ...]:
        """``core.Situation.capacity``: units on duty from ``at`` over ``horizon`` seconds."""
        times, units = self.times.get(team, []), self.units.get(team, [])
        index = bisect.bisect_right(times, at)
        pieces = [(0.0, units[index - 1] if index else 0.0)]
        while index < len(times) and times[index] < at + horizon:
            pieces.append((times[index] - at, units[index]))
            index += 1
        return tuple(pieces)


class _Arrivals:
    """Arrivals per team, priority and weight by hour of the week, fitted on the fit weeks (the desk's start is a Monday 00:00)."""

    def __init__(
        self, records: Sequence[TicketRecord], *, weeks: float, weight: Callable[[TicketRecord], float], work: Callable[[str, float], float]
    ) -> None:
        """``work(team, weight)``: the mean unit-seconds of one such ticket, so arrivals are counted as the work they bring."""
        self.per_hour: dict[tuple[str, int, float], list[float]] = defaultdict(lambda: [0.0] * WEEK_HOURS)
        for record in records:
            w = weight(record)
            self.per_hour[(record.team, record.priority, w)][int(record.arrival_seconds // 3600) % WEEK_HOURS] += (
                work(record.team, w) / weeks
            )
        self.cache: dict[tuple[object, ...], tuple[tuple[float, float], ...]] = {}

    def schedule(
        self, team: str, cutoffs: Mapping[tuple[int, float], float], at: float, per_ticket: float
    ) -> tuple[tuple[float, float], ...]:
        """``core.Situation.arrivals_ahead``: per second, hour by hour from ``at``, of the newcomers that overtake a ticket:
        of each (priority, weight) until its cutoff (seconds from ``at``; a newcomer due later than the ticket does not),
        counted in tickets of ``per_ticket`` unit-seconds (the handling table's mean: a light newcomer costs less)."""
        key = (team, at, per_ticket, tuple(sorted(cutoffs.items())))
        found = self.cache.get(key)
        if found is None:
            rows = [(self.per_hour[(team, *kind)], until) for kind, until in cutoffs.items() if (team, *kind) in self.per_hour]
            first = int(at // 3600)
            last = int((at + max(cutoffs.values(), default=0.0)) // 3600)
            pieces = []
            for hour in range(first, last + 1):
                offset = max(hour * 3600 - at, 0.0)
                pieces.append((offset, sum(row[hour % WEEK_HOURS] for row, until in rows if offset < until) / 3600 / per_ticket))
            pieces.append((max(cutoffs.values(), default=0.0), 0.0))
            found = self.cache[key] = tuple(pieces)
            if len(self.cache) > 10_000:
                self.cache.clear()
        return found


class _Scorer:
    """Snapshots of one period: per ticket, the first time each method flagged it, and every forecast."""

    def __init__(
        self,
        desk: Desk,
        slot: Mapping[tuple[str, float], core.HandlingTable],
        own: core.HandlingTable,
        duty: _Duty,
        arrivals: _Arrivals,
        *,
        days: int,
    ) -> None:
        self.desk = desk
        self.slot, self.own = slot, own
        self.duty, self.arrivals = duty, arrivals
        self.start = desk.start
        first, last = self.start.date() - timedelta(days=3), self.start.date() + timedelta(days=days + 120)
        # The same calendars laid out as tables (equal results, two binary searches instead of a walk day by day).
        self.policies = {p: indexed_policy(policy, first=first, last=last) for p, policy in desk.policies.items()}
        self.profile = desk.agents[0].profile
        self.overtaking_cache: dict[tuple[object, ...], dict[tuple[int, float], float]] = {}
        self.weights = sorted({self.profile.units(channel=c, priority=p) for c in desk_sim.CHANNEL_MIX for p in self.policies})
        self.by_team: dict[str, list[Any]] = defaultdict(list)
        for agent in desk.agents:
            self.by_team[agent.team].append(agent)

    def overtaking(self, now: datetime, weight: float, remaining: float, until_due: float) -> dict[tuple[int, float], float]:
        """Which newcomers overtake a waiting ticket, and until when (wall seconds from now): lighter ones while it waits
        (an agent with one free unit takes them), as heavy ones while they would fall due before it (SLA order)."""
        key = (now, weight, round(remaining / 900), round(until_due / 900))
        found = self.overtaking_cache.get(key)
        if found is None:
            found = {}
            for priority, policy in self.policies.items():
                for w in self.weights:
                    if w < weight:
                        found[(priority, w)] = until_due
                    elif w == weight and policy.first_response_seconds < remaining:
                        found[(priority, w)] = (policy.calendar.add(now, remaining - policy.first_response_seconds) - now).total_seconds()
            if len(self.overtaking_cache) > 10_000:
                self.overtaking_cache.clear()
            self.overtaking_cache[key] = found
        return found

    def weight(self, record: TicketRecord) -> float:
        """Capacity units the ticket holds (the desk's agents share one profile's channel weights)."""
        return self.profile.units(channel=record.channel, priority=record.priority)

    def _at(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=seconds)

    def due(self, record: TicketRecord) -> tuple[datetime, float]:
        policy = self.policies[record.priority]
        return policy.calendar.add(self._at(record.arrival_seconds), policy.first_response_seconds), policy.first_response_seconds

    def run(self, records: Sequence[TicketRecord], low: float, high: float) -> dict[str, Any]:
        """Sweep the snapshots in time order, keeping the set of tickets not yet answered (no rescans)."""
        records = sorted(records, key=lambda r: r.arrival_seconds)
        dues = {r.ticket_id: self.due(r) for r in records}
        samples: list[tuple[int, float, bool, core.Forecast]] = []
        open_now: dict[int, TicketRecord] = {}
        answered: list[tuple[float, int]] = []  # heap of (first response instant, ticket id)
        next_arrival = 0
        step = SNAPSHOT_MINUTES * 60.0
        snapshot = low
        while snapshot < high:
            while next_arrival < len(records) and records[next_arrival].arrival_seconds <= snapshot:
                record = records[next_arrival]
                open_now[record.ticket_id] = record
                heapq.heappush(
                    answered, (record.first_response_seconds if record.first_response_seconds is not None else math.inf, record.ticket_id)
                )
                next_arrival += 1
            while answered and answered[0][0] <= snapshot:
                open_now.pop(heapq.heappop(answered)[1], None)
            now = self._at(snapshot)
            waiting: dict[str, list[TicketRecord]] = defaultdict(list)
            for record in open_now.values():
                if record.assigned_seconds is not None and record.assigned_seconds <= snapshot:
                    due, _ = dues[record.ticket_id]
                    remaining = self.policies[record.priority].calendar.elapsed(now, due) if due > now else 0.0
                    situation = core.Situation(remaining=remaining, ahead=0, servers=1, category=record.category, assigned=True)
                    self._score(record, snapshot, core.forecast(situation, self.own), samples)
                else:
                    waiting[record.team].append(record)
            for team, queue in waiting.items():
                queue.sort(key=lambda r: (dues[r.ticket_id][0], r.priority, r.arrival_seconds))
                horizon = max((dues[r.ticket_id][0] - now).total_seconds() for r in queue)
                capacity = self.duty.schedule(team, snapshot, horizon)
                servers = int(capacity[0][1])
                lighter: dict[float, int] = defaultdict(int)  # tickets so far in the order, by weight
                for record in queue:
                    due, _ = dues[record.ticket_id]
                    remaining = self.policies[record.priority].calendar.elapsed(now, due) if due > now else 0.0
                    weight = self.weight(record)
                    # An agent with one free unit takes the next ticket that fits, so only the tickets ahead that
                    # weigh no more than this one hold it up, and lighter newcomers overtake it as well as those due sooner.
                    ahead = sum(n for w, n in lighter.items() if w <= weight)
                    lighter[weight] += 1
                    if remaining <= 0:
                        continue  # already breached: nothing left to forecast (it still holds up those behind it)
                    until_due = (due - now).total_seconds()
                    cutoffs = self.overtaking(now, weight, remaining, until_due)
                    slot = self.slot.get((team, weight)) or core.HandlingTable()
                    situation = core.Situation(
                        remaining=remaining, ahead=ahead + servers, servers=servers, category=record.category,
                        capacity=capacity, until_due=until_due,
                        arrivals_ahead=self.arrivals.schedule(team, cutoffs, snapshot, slot.overall.mean),
                    )  # fmt: skip
                    self._score(record, snapshot, core.forecast(situation, slot, own=self.own), samples)
            snapshot += step
        return {"samples": samples, "dues": dues, "records": records}

    @staticmethod
    def _score(record: TicketRecord, snapshot: float, result: core.Forecast, samples: list) -> None:
        if result.remaining <= 0:
            return  # already breached: nothing left to forecast
        samples.append((record.ticket_id, snapshot, record.first_response_breached, result))


def _judged(period: dict[str, Any], calibration: core.Calibration | None) -> dict[str, Any]:
    """Every snapshot's probability (the queue's own, or through ``calibration``) and each threshold's first flag per ticket."""
    probabilities = [
        result.probability if calibration is None else calibration.apply(result.features) for _, _, _, result in period["samples"]
    ]
    flags: dict[float, dict[int, float]] = {p: {} for p in THRESHOLDS}
    for (ticket_id, snapshot, _, _), probability in zip(period["samples"], probabilities, strict=True):
        for threshold, flagged in flags.items():
            if probability >= threshold and ticket_id not in flagged:
                flagged[ticket_id] = snapshot
    pairs = [(probability, breached) for (_, _, breached, _), probability in zip(period["samples"], probabilities, strict=True)]
    return {**period, "flags": flags, "pairs": pairs}


def _quality(scorer: _Scorer, period: dict[str, Any], flagged_at: dict[int, float]) -> dict[str, Any]:
    records = period["records"]
    by_id = period.setdefault("by_id", {r.ticket_id: r for r in records})
    breached = {r.ticket_id for r in records if r.first_response_breached}
    flagged = set(flagged_at)
    hits = flagged & breached
    leads = []
    for ticket_id in hits:
        due, _ = period["dues"][ticket_id]
        at = scorer._at(flagged_at[ticket_id])
        record = by_id[ticket_id]
        leads.append(scorer.policies[record.priority].calendar.elapsed(at, due) / 60 if due > at else 0.0)
    return {
        "flagged": len(flagged),
        "breached": len(breached),
        "precision": round(len(hits) / len(flagged), 4) if flagged else None,
        "recall": round(len(hits) / len(breached), 4) if breached else None,
        "median_lead_minutes": round(statistics.median(leads), 1) if leads else None,
        # Breaches flagged early enough to act on: at least this many business minutes before the due time.
        "breaches_flagged_with_lead": {
            str(lead): sum(1 for value in leads if value >= lead - LEAD_TOLERANCE_MINUTES) for lead in ACTIONABLE_LEAD_MINUTES
        },
    }


def _rule_flags(scorer: _Scorer, period: dict[str, Any]) -> dict[int, float]:
    """The 75 % rule: flagged when 75 % of the first-response target has passed unanswered.

    Judged from the record's times (not its ``first_response_at_risk``, which a history read back from the database
    does not keep): the ticket was flagged if its first reply came at or after the at-risk instant, or never."""
    found = {}
    for record in period["records"]:
        policy = scorer.policies[record.priority]
        at_risk = policy.calendar.add(scorer._at(record.arrival_seconds), 0.75 * policy.first_response_seconds)
        at = (at_risk - scorer.start).total_seconds()
        if record.first_response_seconds is None or record.first_response_seconds >= at:
            found[record.ticket_id] = at
    return found


def _units(desk: Desk) -> Callable[[TicketRecord], float]:
    profiles = {agent.agent_id: agent.profile for agent in desk.agents}

    def units(record: TicketRecord) -> float:
        profile = profiles.get(record.agent_id) if record.agent_id is not None else None
        return profile.units(channel=record.channel, priority=record.priority) if profile else 1.0

    return units


def run_seed(*, seed: int, days: int, utilization: float) -> dict[str, Any]:
    started = time.process_time()
    history = desk_sim.generate(days=days, seed=seed, utilization=utilization)
    result = score(history.desk, history.records, days=days)
    return {"seed": seed, **result, "cpu_seconds": round(time.process_time() - started, 1)}


def score(desk: Desk, records: Sequence[TicketRecord], *, days: int) -> dict[str, Any]:
    """Fit on days [0, ``FIT_DAYS``), score [``FIT_DAYS``, ``days``): a simulated history or one read back from the
    database (``escalation_engine.whatif.load_desk`` / ``load_records``), seconds counted from ``desk.start``."""
    fit_records = [r for r in records if r.arrival_seconds < FIT_DAYS * 86400.0]
    score_records = [r for r in records if FIT_DAYS * 86400.0 <= r.arrival_seconds < days * 86400.0]
    units = _units(desk)

    def units_of(channel: str, priority: int) -> float:
        return desk.agents[0].profile.units(channel=channel, priority=priority)

    slot, own = _fit(fit_records, units)
    exact = _fit_exact(fit_records, units)
    arrivals = _Arrivals(
        fit_records, weeks=FIT_DAYS / 7, weight=lambda r: units_of(r.channel, r.priority), work=lambda team, w: exact[(team, w)]
    )
    scorer = _Scorer(desk, slot, own, _Duty(desk, days=days), arrivals, days=days)
    fit_period = scorer.run(fit_records, 0.0, FIT_DAYS * 86400.0)
    scored_period = scorer.run(score_records, FIT_DAYS * 86400.0, days * 86400.0)
    # The calibration layer is fitted on the fit weeks' snapshot forecasts and their outcomes, as the live desk fits it.
    calibration = core.fit_calibration((result.features, breached) for _, _, breached, result in fit_period["samples"])
    judged = _judge(scorer, _judged(fit_period, calibration), _judged(scored_period, calibration))
    queue_alone = _judge(scorer, _judged(fit_period, None), _judged(scored_period, None))
    return {
        "tickets_scored": len(score_records),
        **judged,
        "calibration": {**calibration.as_dict(), "features": list(core.FEATURES)},
        "queue_alone": {key: queue_alone[key] for key in ("threshold_chosen_on_fit_weeks", "forecast", "brier", "reliability")},
    }


def _judge(scorer: _Scorer, fit: dict[str, Any], scored: dict[str, Any]) -> dict[str, Any]:
    """The rule against the forecast's flags (threshold chosen on the fit weeks) on the scored weeks; Brier and reliability."""
    rule_fit = _quality(scorer, fit, _rule_flags(scorer, fit))
    chosen = next(
        (p for p in THRESHOLDS if (_quality(scorer, fit, fit["flags"][p])["precision"] or 0) >= (rule_fit["precision"] or 0)),
        THRESHOLDS[-1],
    )
    # Precision at equal recall: the highest threshold whose recall on the fit weeks reaches the rule's (or, if none
    # does, the threshold of the highest recall), applied unchanged to the scored weeks.
    recalls = {p: _quality(scorer, fit, fit["flags"][p])["recall"] or 0.0 for p in THRESHOLDS}
    reaching = [p for p in THRESHOLDS if recalls[p] >= (rule_fit["recall"] or 0.0)]
    at_recall = max(reaching) if reaching else max(THRESHOLDS, key=lambda p: (recalls[p], p))
    rule = _quality(scorer, scored, _rule_flags(scorer, scored))
    forecast = _quality(scorer, scored, scored["flags"][chosen])
    actionable = {
        lead: {
            "rule": rule["breaches_flagged_with_lead"][lead],
            "forecast": forecast["breaches_flagged_with_lead"][lead],
            "ratio": round(forecast["breaches_flagged_with_lead"][lead] / rule["breaches_flagged_with_lead"][lead], 3)
            if rule["breaches_flagged_with_lead"][lead]
            else None,
        }
        for lead in rule["breaches_flagged_with_lead"]
    }
    base_rate = sum(b for _, b in scored["pairs"]) / max(len(scored["pairs"]), 1)  # once: not per pair
    return {
        "threshold_chosen_on_fit_weeks": chosen,
        "rule_on_fit_weeks": rule_fit,
        "rule": rule,
        "forecast": forecast,
        "recall_ratio": round(forecast["recall"] / rule["recall"], 3) if rule["recall"] and forecast["recall"] is not None else None,
        "actionable_breaches_at_rule_precision": actionable,
        "at_equal_recall": {
            "threshold_chosen_on_fit_weeks": at_recall,
            "recall_reached_on_fit_weeks": reaching != [],
            "forecast": _quality(scorer, scored, scored["flags"][at_recall]),
        },
        "brier": round(core.brier(scored["pairs"]), 4),
        "brier_base_rate": round(core.brier([(base_rate, b) for _, b in scored["pairs"]]), 4),
        "reliability": core.reliability(scored["pairs"]),
        "forecasts": len(scored["pairs"]),
    }


def run(*, seeds: Sequence[int] = (7, 8), days: int = 42, utilization: float = 0.9) -> dict[str, Any]:
    results = [run_seed(seed=seed, days=days, utilization=utilization) for seed in seeds]
    ratios = [r["recall_ratio"] for r in results if r["recall_ratio"] is not None]
    leads_ok = [
        (r["forecast"]["median_lead_minutes"] or 0) >= (r["rule"]["median_lead_minutes"] or 0) for r in results if r["rule"]["recall"]
    ]
    actionable = {
        lead: [r["actionable_breaches_at_rule_precision"][lead]["ratio"] for r in results] for lead in map(str, ACTIONABLE_LEAD_MINUTES)
    }
    return {
        "utilization": utilization,
        "days": days,
        "fit_days": FIT_DAYS,
        "snapshot_minutes": SNAPSHOT_MINUTES,
        "seeds": results,
        "mean_recall_ratio": round(statistics.mean(ratios), 3) if ratios else None,
        "target_recall_ratio": 1.2,
        "lead_at_least_rules_in_every_seed": all(leads_ok) if leads_ok else None,
        "actionable_ratio_by_lead_minutes": actionable,
        "brier_below_base_rate_in_every_seed": all(r["brier"] < r["brier_base_rate"] for r in results),
    }


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[7, 8])
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--utilization", type=float, default=0.9)
    args = parser.parse_args(argv)
    print(json.dumps(run(seeds=args.seeds, days=args.days, utilization=args.utilization), indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
