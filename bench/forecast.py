"""Breach forecast vs the 75 % rule on a known-truth desk (issue 29), held out in time.

The history is ``bench.desk_sim`` (named agents on shifts, capacity units, skills, routing
through the real routing core, SLA through the real clock core). Handling times are fitted on
the first four weeks; the last two weeks are scored. Every ``SNAPSHOT_MINUTES`` of simulated
time, each ticket still waiting for its first response gets a forecast from what a supervisor
could see then, through the same pure core the live desk runs (``escalation_engine.forecast``):

- a ticket not yet assigned waits in its team's queue: ``ahead`` = the tickets before it in
  SLA order plus the capacity slots of the team's agents on duty (all busy, or it would have
  been taken), ``servers`` = those slots, the slot time per ticket (first-response plus
  resolution work, units are free while pending) is the drain, the first-response work is
  its own; tickets of a more urgent priority that arrived in the last hour jump the queue;
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
"""

from __future__ import annotations

import argparse
import heapq
import json
import math
import statistics
import sys
import time
from collections import defaultdict, deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from bench import desk_sim
from escalation_engine import forecast as core
from escalation_engine.desk_core import TicketRecord

SNAPSHOT_MINUTES = 15
FIT_DAYS = 28
JUMP_WINDOW_SECONDS = 3600.0
THRESHOLDS = [round(0.05 * step, 2) for step in range(2, 20)]


def _fit(records: Sequence[TicketRecord]) -> tuple[core.HandlingTable, core.HandlingTable]:
    slot, own = [], []
    for record in records:
        first, rest = record.first_work_seconds, record.resolution_work_seconds
        if first is not None:
            own.append((record.category, first))
            slot.append((record.category, first + (rest or 0.0)))
    return core.fit_handling(slot), core.fit_handling(own)


class _Scorer:
    """Snapshots of one period: per ticket, the first time each method flagged it, and every forecast."""

    def __init__(self, history: desk_sim.History, slot: core.HandlingTable, own: core.HandlingTable) -> None:
        self.history = history
        self.slot, self.own = slot, own
        self.start = history.desk.start
        self.policies = history.desk.policies
        self.by_team: dict[str, list[Any]] = defaultdict(list)
        for agent in history.desk.agents:
            self.by_team[agent.team].append(agent)

    def _at(self, seconds: float) -> datetime:
        return self.start + timedelta(seconds=seconds)

    def due(self, record: TicketRecord) -> tuple[datetime, float]:
        policy = self.policies[record.priority]
        return policy.calendar.add(self._at(record.arrival_seconds), policy.first_response_seconds), policy.first_response_seconds

    def run(self, records: Sequence[TicketRecord], low: float, high: float) -> dict[str, Any]:
        """Sweep the snapshots in time order, keeping the set of tickets not yet answered (no rescans)."""
        records = sorted(records, key=lambda r: r.arrival_seconds)
        dues = {r.ticket_id: self.due(r) for r in records}
        flags: dict[float, dict[int, float]] = {p: {} for p in THRESHOLDS}
        pairs: list[tuple[float, bool]] = []
        open_now: dict[int, TicketRecord] = {}
        answered: list[tuple[float, int]] = []  # heap of (first response instant, ticket id)
        recent: deque[TicketRecord] = deque()  # arrivals of the last hour, for the queue-jumping rate
        next_arrival = 0
        step = SNAPSHOT_MINUTES * 60.0
        snapshot = low
        while snapshot < high:
            while next_arrival < len(records) and records[next_arrival].arrival_seconds <= snapshot:
                record = records[next_arrival]
                open_now[record.ticket_id] = record
                recent.append(record)
                heapq.heappush(
                    answered, (record.first_response_seconds if record.first_response_seconds is not None else math.inf, record.ticket_id)
                )
                next_arrival += 1
            while answered and answered[0][0] <= snapshot:
                open_now.pop(heapq.heappop(answered)[1], None)
            while recent and snapshot - recent[0].arrival_seconds > JUMP_WINDOW_SECONDS:
                recent.popleft()
            jumps: dict[str, dict[int, int]] = defaultdict(lambda: defaultdict(int))
            for record in recent:
                jumps[record.team][record.priority] += 1
            now = self._at(snapshot)
            waiting: dict[str, list[TicketRecord]] = defaultdict(list)
            for record in open_now.values():
                if record.assigned_seconds is not None and record.assigned_seconds <= snapshot:
                    due, _ = dues[record.ticket_id]
                    remaining = self.policies[record.priority].calendar.elapsed(now, due) if due > now else 0.0
                    situation = core.Situation(remaining=remaining, ahead=0, servers=1, category=record.category)
                    self._score(record, snapshot, core.forecast(situation, self.own), flags, pairs)
                else:
                    waiting[record.team].append(record)
            for team, queue in waiting.items():
                queue.sort(key=lambda r: (dues[r.ticket_id][0], r.priority, r.arrival_seconds))
                servers = int(sum(a.profile.total_units for a in self.by_team[team] if a.shift.is_open(now)))
                for position, record in enumerate(queue):
                    due, _ = dues[record.ticket_id]
                    remaining = self.policies[record.priority].calendar.elapsed(now, due) if due > now else 0.0
                    jumping = sum(n for priority, n in jumps[team].items() if priority < record.priority) / JUMP_WINDOW_SECONDS
                    situation = core.Situation(
                        remaining=remaining, ahead=position + servers, servers=servers, category=record.category,
                        arrivals_ahead_per_second=jumping, offline_for=0.0 if servers else 3600.0,
                    )  # fmt: skip
                    self._score(record, snapshot, core.forecast(situation, self.slot, own=self.own), flags, pairs)
            snapshot += step
        return {"flags": flags, "pairs": pairs, "dues": dues, "records": records}

    @staticmethod
    def _score(record: TicketRecord, snapshot: float, result: core.Forecast, flags: dict[float, dict[int, float]], pairs: list) -> None:
        if result.remaining <= 0:
            return  # already breached: nothing left to forecast
        pairs.append((result.probability, record.first_response_breached))
        for threshold, flagged in flags.items():
            if result.probability >= threshold and record.ticket_id not in flagged:
                flagged[record.ticket_id] = snapshot


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
    }


def _rule_flags(scorer: _Scorer, period: dict[str, Any]) -> dict[int, float]:
    """The 75 % rule: flagged when 75 % of the first-response target has passed unanswered."""
    found = {}
    for record in period["records"]:
        if not record.first_response_at_risk:
            continue
        policy = scorer.policies[record.priority]
        at_risk = policy.calendar.add(scorer._at(record.arrival_seconds), 0.75 * policy.first_response_seconds)
        found[record.ticket_id] = (at_risk - scorer.start).total_seconds()
    return found


def run_seed(*, seed: int, days: int, utilization: float) -> dict[str, Any]:
    started = time.process_time()
    history = desk_sim.generate(days=days, seed=seed, utilization=utilization)
    fit_records = history.window(0, FIT_DAYS)
    score_records = history.window(FIT_DAYS, days)
    slot, own = _fit(fit_records)
    scorer = _Scorer(history, slot, own)
    fit = scorer.run(fit_records, 0.0, FIT_DAYS * 86400.0)
    scored = scorer.run(score_records, FIT_DAYS * 86400.0, days * 86400.0)
    rule_fit = _quality(scorer, fit, _rule_flags(scorer, fit))
    chosen = next(
        (p for p in THRESHOLDS if (_quality(scorer, fit, fit["flags"][p])["precision"] or 0) >= (rule_fit["precision"] or 0)),
        THRESHOLDS[-1],
    )
    rule = _quality(scorer, scored, _rule_flags(scorer, scored))
    forecast = _quality(scorer, scored, scored["flags"][chosen])
    return {
        "seed": seed,
        "tickets_scored": len(score_records),
        "threshold_chosen_on_fit_weeks": chosen,
        "rule_on_fit_weeks": rule_fit,
        "rule": rule,
        "forecast": forecast,
        "recall_ratio": round(forecast["recall"] / rule["recall"], 3) if rule["recall"] and forecast["recall"] is not None else None,
        "brier": round(core.brier(scored["pairs"]), 4),
        "brier_base_rate": round(
            core.brier([(sum(b for _, b in scored["pairs"]) / max(len(scored["pairs"]), 1), b) for _, b in scored["pairs"]]), 4
        ),
        "reliability": core.reliability(scored["pairs"]),
        "forecasts": len(scored["pairs"]),
        "cpu_seconds": round(time.process_time() - started, 1),
    }


def run(*, seeds: Sequence[int] = (7, 8), days: int = 42, utilization: float = 0.9) -> dict[str, Any]:
    results = [run_seed(seed=seed, days=days, utilization=utilization) for seed in seeds]
    ratios = [r["recall_ratio"] for r in results if r["recall_ratio"] is not None]
    leads_ok = [
        (r["forecast"]["median_lead_minutes"] or 0) >= (r["rule"]["median_lead_minutes"] or 0) for r in results if r["rule"]["recall"]
    ]
    return {
        "utilization": utilization,
        "days": days,
        "fit_days": FIT_DAYS,
        "snapshot_minutes": SNAPSHOT_MINUTES,
        "seeds": results,
        "mean_recall_ratio": round(statistics.mean(ratios), 3) if ratios else None,
        "target_recall_ratio": 1.2,
        "lead_at_least_rules_in_every_seed": all(leads_ok) if leads_ok else None,
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
