"""The what-if backtest and the breach forecast on an IMPORTED history (issues 28 and 29).

``python -m bench.imported_history [--days 42] [--seed 7] [--leave-days 3] [--multilingual]`` (after
``migrate``, against ``DATABASE_URL``, like ``bench/import.py``; it writes into that database):

1. ``bench.desk_sim`` generates a known-truth history (named agents, teams, skills, shifts);
2. ``write_export`` writes it as a **Zendesk** JSON Lines export: per ticket its creation time,
   requester, group (team), assignee, priority, channel (``via``), category (a custom field), the
   customer's message, the agent's first public reply at the recorded first-response time, the
   customer's answer and the resolving reply, ``metric_set`` (``initially_assigned_at``,
   ``solved_at``) and ``audits`` (the status changes: open → pending at the agent's question,
   pending → open at the customer's answer, → solved);
3. ``set_up_desk`` sets the desk up as it was with the project's models (teams, agents with the
   export's e-mails, their skills, capacity profiles and weekly shifts, one routing rule per
   category with its skill, the SLA policies and their business calendar), then the real importer
   runs (``imports.runner.run``, format ``zendesk``);
4. the desk and the tickets are read back through ``escalation_engine.whatif.load_desk`` /
   ``load_records``, and both the backtest (``replay_core.backtest``: fit weeks 1–4, replay
   weeks 5–6) and the forecast's held-out scoring (``bench.forecast.score``) run on the read-back
   history and on the simulated one, side by side.

What the product cannot hold, whatever the import: days of **leave** (agents have weekly shifts,
no absences) and the agents' **languages** (no field; the live router does not route by language),
and the tickets' language (the Zendesk reader does not read one). ``--leave-days 0`` without
``--multilingual`` generates a desk without either, so the comparison measures the importer alone.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from pathlib import Path
from typing import IO, Any

from bench import desk_sim
from escalation_engine import replay_core
from escalation_engine.desk_core import Desk, TicketRecord

CATEGORY_FIELD = 360001  # the Zendesk custom field that holds the category
USER_BASE, CUSTOMER_BASE, GROUP_BASE = 1_000_000, 2_000_000, 3_000_000
CUSTOMERS = 2000
EMAIL_DOMAIN = "desk-sim.example"
PRIORITY_WORDS = {0: "urgent", 1: "high", 2: "normal", 3: "low"}
CALENDAR_NAME = "desk-sim business hours"
FIT_DAYS, SCORED_DAYS = 28, 14


def agent_email(name: str) -> str:
    return f"{name.lower().replace(' ', '.')}@{EMAIL_DOMAIN}"


def _iso(start: datetime, seconds: float) -> str:
    return (start + timedelta(seconds=seconds)).isoformat()


# --- the export (pure: no Django) -------------------------------------------------------------


def zendesk_ticket(record: TicketRecord, *, start: datetime, agent_ids: dict[int, int], team_ids: dict[str, int]) -> dict[str, Any]:
    """One ticket as Zendesk's ticket API gives it, with its comments, metric_set and audits."""
    at = lambda seconds: _iso(start, seconds)  # noqa: E731 - a short local alias
    requester = CUSTOMER_BASE + record.ticket_id % CUSTOMERS
    agent = agent_ids.get(record.agent_id) if record.agent_id is not None else None
    body = f"Hello, I need help with {record.category.replace('_', ' ')} (ticket {record.ticket_id})."
    comments: list[dict[str, Any]] = [
        {"id": 10 * record.ticket_id, "author_id": requester, "public": True, "created_at": at(record.arrival_seconds), "body": body}
    ]
    audits: list[dict[str, Any]] = []

    def change(seconds: float, old: str, new: str) -> None:
        audits.append(
            {
                "id": 10 * record.ticket_id + len(audits),
                "created_at": at(seconds),
                "events": [{"type": "Change", "field_name": "status", "previous_value": old, "value": new}],
            }
        )

    status = "new"
    if record.first_response_seconds is not None and agent is not None:
        asked = record.pending_from_seconds is not None
        reply = "Thanks, could you send us the details?" if asked else "Thanks, we are on it."
        comments.append(
            {
                "id": 10 * record.ticket_id + 1,
                "author_id": agent,
                "public": True,
                "created_at": at(record.first_response_seconds),
                "body": reply,
            }
        )
        status = "open"
        if asked:
            change(record.first_response_seconds, "open", "pending")
            status = "pending"
        if record.pending_until_seconds is not None:
            comments.append(
                {"id": 10 * record.ticket_id + 2, "author_id": requester, "public": True, "created_at": at(record.pending_until_seconds),
                 "body": "Here are the details you asked for."}
            )  # fmt: skip
            change(record.pending_until_seconds, "pending", "open")
            status = "open"
    if record.resolved_seconds is not None:
        comments.append(
            {"id": 10 * record.ticket_id + 3, "author_id": agent, "public": True, "created_at": at(record.resolved_seconds),
             "body": "This is sorted now; write back if anything is left."}
        )  # fmt: skip
        change(record.resolved_seconds, status, "solved")
        status = "closed"
    metric_set: dict[str, Any] = {}
    if record.assigned_seconds is not None:
        metric_set["initially_assigned_at"] = at(record.assigned_seconds)
    if record.resolved_seconds is not None:
        metric_set["solved_at"] = at(record.resolved_seconds)
    last = max(s for s in (record.arrival_seconds, record.first_response_seconds, record.resolved_seconds) if s is not None)
    return {
        "id": record.ticket_id,
        "subject": f"{record.category.replace('_', ' ').capitalize()} question",
        "description": body,
        "status": status,
        "priority": PRIORITY_WORDS[record.priority],
        "requester_id": requester,
        "assignee_id": agent,
        "group_id": team_ids[record.team],
        "via": {"channel": record.channel},
        "custom_fields": [{"id": CATEGORY_FIELD, "value": record.category}],
        "created_at": at(record.arrival_seconds),
        "updated_at": at(last),
        "comments": comments,
        "metric_set": metric_set,
        "audits": audits,
    }


def write_export(history: desk_sim.History, out: IO[str], records: Iterable[TicketRecord] | None = None) -> int:
    """The history as Zendesk JSON Lines (people and groups sideloaded on the first line); returns the tickets written."""
    start = history.desk.start
    teams = list(desk_sim.TEAMS)
    team_ids = {team: GROUP_BASE + i for i, team in enumerate(teams)}
    agent_ids = {a.agent_id: USER_BASE + a.agent_id for a in history.desk.agents}
    users = [{"id": USER_BASE + a.agent_id, "name": a.name, "email": agent_email(a.name), "role": "agent"} for a in history.desk.agents]
    users += [
        {"id": CUSTOMER_BASE + i, "name": f"Customer {i}", "email": f"customer{i}@customers.{EMAIL_DOMAIN}", "role": "end-user"}
        for i in range(CUSTOMERS)
    ]
    groups = [{"id": team_ids[team], "name": team.title()} for team in teams]
    out.write(json.dumps({"users": users, "groups": groups}) + "\n")
    count = 0
    for record in history.records if records is None else records:
        out.write(json.dumps(zendesk_ticket(record, start=start, agent_ids=agent_ids, team_ids=team_ids)) + "\n")
        count += 1
    return count


# --- the desk as it was, and the import (Django) ----------------------------------------------


def set_up_desk(history: desk_sim.History) -> None:
    """Teams, skills, categories, routing rules, capacity profiles, agents with their shifts, SLA policies and calendar."""
    from django.contrib.auth import get_user_model
    from django.db import transaction

    from agents.models import Agent, AgentShift, AgentSkill, CapacityProfile, QueueOrder, RoutingRule, Skill, Team
    from escalation_engine.models import SlaPolicy
    from foundation.models import BusinessCalendar, BusinessHours
    from tickets.models import Category

    with transaction.atomic():
        calendar = BusinessCalendar.objects.create(name=CALENDAR_NAME, time_zone=desk_sim.ZONE)
        BusinessHours.objects.bulk_create(
            BusinessHours(calendar=calendar, weekday=day, opens_at=opens, closes_at=closes)
            for day, intervals in desk_sim.BUSINESS_HOURS.items()
            for opens, closes in intervals
        )
        SlaPolicy.objects.update(is_active=False)
        for priority, (first, following, resolution) in desk_sim.TARGET_MINUTES.items():
            SlaPolicy.objects.create(
                name=f"desk-sim P{priority}", priority=priority, first_response_minutes=first, next_response_minutes=following,
                resolution_minutes=resolution, calendar=calendar, at_risk_ratio=0.75,
            )  # fmt: skip
        teams = {name: Team.objects.create(name=name.title(), slug=name, queue_order=QueueOrder.SLA) for name in desk_sim.TEAMS}
        skills = {}
        for order, (team, categories) in enumerate(desk_sim.TEAMS.items()):
            for category in categories:
                skill = skills[category] = Skill.objects.create(slug=category, name=category.replace("_", " ").title())
                row = Category.objects.create(slug=category, name=category, team=teams[team], skill=skill)
                rule = RoutingRule.objects.create(
                    name=f"{category} to {team}", order=order * 10 + len(skills), team=teams[team], required_skill=skill,
                    min_skill_level=desk_sim.MIN_LEVEL.get(category, 1),
                )  # fmt: skip
                rule.categories.add(row)
        profiles = {
            units: CapacityProfile.objects.create(
                name=f"desk-sim {units} units", total_units=units, channel_weights=desk_sim.CHANNEL_WEIGHTS
            )
            for units in sorted({int(a.profile.total_units) for a in history.desk.agents})
        }
        users = get_user_model()
        for desk_agent in history.desk.agents:
            email = agent_email(desk_agent.name)
            given, _, family = desk_agent.name.partition(" ")
            user = users.objects.create(username=email, email=email, first_name=given, last_name=family)
            agent = Agent.objects.create(
                user=user, capacity_profile=profiles[int(desk_agent.profile.total_units)], seniority=desk_agent.seniority,
                performance_score=desk_agent.performance_score, time_zone=desk_sim.ZONE,
            )  # fmt: skip
            agent.teams.add(teams[desk_agent.team])
            AgentSkill.objects.bulk_create(AgentSkill(agent=agent, skill=skills[s], level=level) for s, level in desk_agent.skills.items())
            AgentShift.objects.bulk_create(
                AgentShift(agent=agent, weekday=day, starts_at=opens, ends_at=closes)
                for day, intervals in desk_agent.shift.weekly.items()
                for opens, closes in intervals
            )


def import_history(history: desk_sim.History, *, source: str) -> dict[str, Any]:
    """Write the export to a file and run the real importer on it; the importer's report and timings."""
    from imports import runner

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "zendesk.jsonl"
        with path.open("w", encoding="utf-8") as out:
            written = write_export(history, out)
        began, cpu = time.perf_counter(), time.process_time()
        report = runner.run("zendesk", text=runner.read_text(path), mapping=json.dumps({"category_field": CATEGORY_FIELD}), source=source)
        seconds, cpu_seconds = time.perf_counter() - began, time.process_time() - cpu
        size = path.stat().st_size
    return {
        "written": written,
        "export_mb": round(size / 1e6, 1),
        "created": report.created,
        "failed": report.failed,
        "errors": report.as_dict()["errors"][:5],
        "import_seconds": round(seconds, 1),
        "import_python_cpu_seconds": round(cpu_seconds, 1),
    }


def read_back(history: desk_sim.History, *, source: str) -> tuple[Desk, list[TicketRecord], dict[int, int]]:
    """The desk and every imported ticket through the what-if readers, and the simulated id of each read-back ticket."""
    from escalation_engine.whatif import load_desk, load_records
    from imports.models import ImportedTicket

    start = history.desk.start
    desk = load_desk(start)
    last = max(r.arrival_seconds for r in history.records)
    records = load_records(desk, since=start, until=start + timedelta(seconds=last + 1))
    origin = {pk: int(external) for pk, external in ImportedTicket.objects.filter(source=source).values_list("ticket_id", "external_id")}
    return desk, records, origin


def differences(history: desk_sim.History, records: Sequence[TicketRecord], origin: dict[int, int], desk: Desk) -> dict[str, int]:
    """Per field, how many read-back records differ from the simulated ones (times: by more than a second)."""
    simulated = {r.ticket_id: r for r in history.records}
    names = {a.agent_id: a.name for a in history.desk.agents}
    read_names = {a.agent_id: a.name for a in desk.agents}
    found = dict.fromkeys(
        ("missing", "arrival", "category", "priority", "channel", "team", "assignee", "assigned", "first_response", "pending_from",
         "pending_until", "resolved", "first_response_breached", "resolution_breached", "language"),
        0,
    )  # fmt: skip
    found["missing"] = len(simulated) - len(records)

    def apart(a: float | None, b: float | None) -> bool:
        return (a is None) != (b is None) or (a is not None and b is not None and abs(a - b) > 1.0)

    for record in records:
        truth = simulated[origin[record.ticket_id]]
        found["arrival"] += apart(record.arrival_seconds, truth.arrival_seconds)
        for name in ("category", "priority", "channel", "team", "first_response_breached", "resolution_breached", "language"):
            found[name] += getattr(record, name) != getattr(truth, name)
        who = read_names.get(record.agent_id) if record.agent_id is not None else None
        found["assignee"] += (agent_email(names[truth.agent_id]) if truth.agent_id is not None else None) != who
        for name, field in (("assigned", "assigned_seconds"), ("first_response", "first_response_seconds"),
                            ("pending_from", "pending_from_seconds"), ("pending_until", "pending_until_seconds"),
                            ("resolved", "resolved_seconds")):  # fmt: skip
            found[name] += apart(getattr(record, field), getattr(truth, field))
    return found


def _backtest(desk: Desk, records: Sequence[TicketRecord], *, days: int) -> dict[str, Any]:
    began = time.process_time()
    fit = days - SCORED_DAYS if days >= FIT_DAYS + SCORED_DAYS else round(days * 2 / 3)
    result = replay_core.backtest(desk, records, fit_days=(0, fit), replay_days=(fit, days))
    return {
        "fit_days": [0, fit],
        "replay_days": [fit, days],
        "verdict": result["verdict"],
        "by_priority": {
            p: {
                "recorded": result["recorded"]["by_priority"][p]["first_response_compliance"],
                "replayed": result["replayed"]["by_priority"].get(p, {}).get("first_response_compliance"),
            }
            for p in result["recorded"]["by_priority"]
        },
        "cpu_seconds": round(time.process_time() - began, 1),
    }


def _forecast(desk: Desk, records: Sequence[TicketRecord], *, days: int) -> dict[str, Any]:
    from bench import forecast

    began = time.process_time()
    result = forecast.score(desk, records, days=days)
    keep = ("tickets_scored", "threshold_chosen_on_fit_weeks", "rule", "forecast", "recall_ratio", "actionable_breaches_at_rule_precision",
            "brier", "brier_base_rate", "reliability", "forecasts", "calibration", "queue_alone")  # fmt: skip
    return {**{key: result[key] for key in keep}, "cpu_seconds": round(time.process_time() - began, 1)}


def run(
    *, days: int = 42, seed: int = 7, scale: int = 1, utilization: float = 0.9, leave_days: int = 0, multilingual: bool = False,
    forecast: bool = True,
) -> dict[str, Any]:  # fmt: skip
    """Generate, export, set up, import, read back, and compare the backtest (and the forecast) on both histories."""
    from django.db import connection

    from imports.models import ImportedTicket

    history = desk_sim.generate(
        days=days, seed=seed, scale=scale, utilization=utilization, leave_days=leave_days, multilingual=multilingual
    )
    source = f"desk-sim-{seed}-{ImportedTicket.objects.values('source').distinct().count()}"
    began = time.perf_counter()
    set_up_desk(history)
    imported = import_history(history, source=source)
    desk, records, origin = read_back(history, source=source)
    result: dict[str, Any] = {
        "database": connection.vendor,
        "history": {
            "days": days,
            "seed": seed,
            "scale": scale,
            "utilization": utilization,
            "leave_days": leave_days,
            "multilingual": multilingual,
            "agents": len(history.desk.agents),
            "tickets": len(history.records),
        },
        "import": imported,
        "read_back": {"tickets": len(records), "agents": len(desk.agents), "differences": differences(history, records, origin, desk)},
        "backtest": {"simulated": _backtest(history.desk, history.records, days=days), "imported": _backtest(desk, records, days=days)},
    }
    if forecast and days >= FIT_DAYS + 7:
        result["forecast"] = {
            "simulated": _forecast(history.desk, history.records, days=days),
            "imported": _forecast(desk, records, days=days),
        }
    result["wall_seconds"] = round(time.perf_counter() - began, 1)
    return result


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--days", type=int, default=42)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--scale", type=int, default=1)
    parser.add_argument("--utilization", type=float, default=0.9)
    parser.add_argument(
        "--leave-days", type=int, default=0, help="days of leave per agent (the product keeps none; desk_sim's default is 3)"
    )
    parser.add_argument(
        "--multilingual", action="store_true", help="agents and tickets in German and French too (the product keeps neither)"
    )
    parser.add_argument("--no-forecast", action="store_true")
    args = parser.parse_args(argv)
    from bench.common import setup_django

    setup_django()
    result = run(
        days=args.days, seed=args.seed, scale=args.scale, utilization=args.utilization, leave_days=args.leave_days,
        multilingual=args.multilingual, forecast=not args.no_forecast,
    )  # fmt: skip
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
