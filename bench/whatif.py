"""What-if replay speed (issue 28): 30 days of a known-truth desk replayed, baseline and one scenario.

Generates a history with ``bench.desk_sim`` (fit week + replay days), fits handling times on the
first week, then times ``replay_core.replay`` of the replay days (the desk as it was, then with
one more agent on the busiest team) and ``replay_core.report``. Prints JSON: tickets replayed,
CPU and wall seconds per replay, tickets per CPU second, and the projection to 1,000,000 tickets
against the 60 s target. ``--scale 40`` is the real thing: 960 agents and about 1,000,000 tickets
in the 30 days, whose replays' wall time is then measured rather than projected (generating that
history first takes several minutes). ``--processes`` (2 by default) plays the teams in that
many processes, generation included (``desk_core.simulate``: the same records as one process);
CPU seconds count the children's too. Not part of ``make bench``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import time as timer
from collections import Counter
from collections.abc import Sequence
from typing import Any

from bench import desk_sim
from escalation_engine import replay_core
from escalation_engine.desk_core import DAY

TARGET_TICKETS = 1_000_000
TARGET_SECONDS = 60.0
FIT_DAYS = 7


def cpu_seconds() -> float:
    """CPU time of this process and of its children that have ended (the parts of a split replay)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return timer.process_time() + children.ru_utime + children.ru_stime


def run(*, days: int = 30, scale: int = 1, seed: int = 7, utilization: float = 0.9, processes: int = 2) -> dict[str, Any]:
    began = cpu_seconds()
    history = desk_sim.generate(days=FIT_DAYS + days, scale=scale, seed=seed, utilization=utilization, processes=processes)
    generated = cpu_seconds() - began
    fit = [r for r in history.records if r.arrival_seconds < FIT_DAYS * DAY]
    played = [r for r in history.records if r.arrival_seconds >= (FIT_DAYS - 1) * DAY]  # a day of warm-up
    began = timer.process_time()
    model = replay_core.fit_handling(fit, history.desk.agents)
    fitted = timer.process_time() - began
    busiest = Counter(r.team for r in played).most_common(1)[0][0]
    like = next(a for a in history.desk.agents if a.team == busiest)
    scenario = replay_core.Scenario(name="one more", add=(replay_core.AddedAgent(like=like.agent_id, count=1, team=busiest),))
    window = (FIT_DAYS * DAY, (FIT_DAYS + days) * DAY)
    replays: dict[str, Any] = {}
    for name, change in (("baseline", None), ("scenario", scenario)):
        began, wall = cpu_seconds(), timer.perf_counter()
        desk, records = replay_core.replay(history.desk, played, model, scenario=change, processes=processes)
        replayed = cpu_seconds() - began
        replayed_wall = timer.perf_counter() - wall
        began = timer.process_time()
        summary = replay_core.report(desk, records, window=window)
        reported = timer.process_time() - began
        replays[name] = {
            "replay_cpu_seconds": round(replayed, 2),
            "replay_wall_seconds": round(replayed_wall, 2),
            "report_cpu_seconds": round(reported, 2),
            "replay_and_report_wall_seconds": round(timer.perf_counter() - wall, 2),
            "first_response_compliance": summary["first_response_compliance"],
            "median_first_response_wait_minutes": summary["median_first_response_wait_minutes"],
        }
    per_replay = max(r["replay_cpu_seconds"] + r["report_cpu_seconds"] for r in replays.values())
    rate = len(played) / per_replay if per_replay else None
    wall = max(r["replay_and_report_wall_seconds"] for r in replays.values())
    return {
        "days": days,
        "scale": scale,
        "processes": processes,
        "agents": len(history.desk.agents),
        "tickets_replayed": len(played),
        "generate_cpu_seconds": round(generated, 2),
        "fit_cpu_seconds": round(fitted, 2),
        "busiest_team": busiest,
        "replays": replays,
        "tickets_per_cpu_second": round(rate, 1) if rate else None,
        "projected_seconds_for_1m_tickets": round(TARGET_TICKETS / rate, 1) if rate else None,
        "slowest_replay_wall_seconds": wall,
        "slowest_replay_wall_seconds_per_1m_tickets": round(wall * TARGET_TICKETS / len(played), 1) if played else None,
        "target_seconds": TARGET_SECONDS,
        "machine": {"cpus": os.cpu_count(), "load_average": [round(x, 2) for x in os.getloadavg()], "python": platform.python_version()},
    }


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--utilization", type=float, default=0.9)
    parser.add_argument("--processes", type=int, default=2, help="play the teams in this many processes (1: one process)")
    args = parser.parse_args(argv)
    result = run(days=args.days, scale=args.scale, seed=args.seed, utilization=args.utilization, processes=args.processes)
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
