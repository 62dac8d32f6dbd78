"""What-if on the desk's own history (Django side of ``replay_core``).

``load_desk`` reads the desk as it is (agents with their first team, skills, capacity profile
and weekly shifts; enabled routing rules with a team; the skills the rules require per
category; the catch-all SLA policy of every priority and its business calendar) into a
``desk_core.Desk``. ``load_records`` reads the tickets created in a period (open ones too)
into ``TicketRecord``s: arrival, category, priority, channel, language, team, assignee, first
reply, the first pending period (from the ``status_changed`` audit events) and resolution.
``parse_scenario`` maps a scenario file (JSON, see README "What-if on your own history") onto
``replay_core.Scenario``; a bad one raises ``ScenarioError`` with a message for a person.
``run_whatif`` fits handling on the period before ``from`` (as long as [from, to), or what
exists), replays [from, to) (after a day of warm-up) at the desk as it is and changed by the
scenario, and returns both reports side by side.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from agents.models import Agent, RoutingRule, Team
from agents.routing_core import QueueOrder, RuleSpec
from agents.services import rule_spec
from escalation_engine import clock_core, replay_core
from escalation_engine.desk_core import DAY, Desk, DeskAgent, TicketRecord
from escalation_engine.models import SlaPolicy
from escalation_engine.sla import core_policy
from foundation.business_time import Calendar, CalendarError
from tickets.models import Category, Ticket, TicketEvent, TicketStatus

DEFAULT_TEAM = "unassigned"
WARMUP_DAYS = 1.0
PRIORITIES = (0, 1, 2, 3)
OPEN_ENDED = clock_core.Policy(key="none", first_response_seconds=1e9, next_response_seconds=1e9, resolution_seconds=1e9)


class ScenarioError(ValueError):
    """The scenario file cannot be used (the message says why, for a person)."""


# --- the desk ---------------------------------------------------------------------------------


def _shift_of(agent: Agent) -> Calendar:
    weekly: dict[int, list[tuple[time, time]]] = {}
    for shift in agent.shifts.all():
        weekly.setdefault(shift.weekday, []).append((shift.starts_at, shift.ends_at))
    if not weekly:
        return Calendar(time_zone=agent.time_zone or "UTC", always_open=True)  # agents without shifts are always on shift
    return Calendar(time_zone=agent.time_zone or "UTC", weekly=weekly)


def _policies() -> dict[int, clock_core.Policy]:
    policies: dict[int, clock_core.Policy] = {}
    active = list(SlaPolicy.objects.filter(is_active=True).order_by("pk"))
    for priority in PRIORITIES:
        candidates = [p for p in active if p.priority == priority]
        catch_all = [p for p in candidates if not p.customer_tier and p.team_id is None]
        chosen = next(iter(catch_all or candidates), None)
        policies[priority] = core_policy(chosen) or replace(OPEN_ENDED, key=f"P{priority}")
    return policies


def load_desk(start: datetime) -> Desk:
    """The desk as it is now, with its clock starting at ``start``."""
    agents = []
    for agent in Agent.objects.select_related("user", "capacity_profile").prefetch_related("teams", "skills__skill", "shifts"):
        teams = sorted(agent.teams.all(), key=lambda t: t.pk)
        agents.append(
            DeskAgent(
                agent_id=agent.pk,
                name=agent.user.get_username(),
                team=teams[0].slug if teams else DEFAULT_TEAM,
                skills={s.skill.slug: s.level for s in agent.skills.all()},
                shift=_shift_of(agent),
                profile=agent.capacity_spec(),
                seniority=agent.seniority,
                performance_score=agent.performance_score,
            )
        )
    rules: list[tuple[RuleSpec, str]] = []
    skills: dict[str, tuple[str, int]] = {}
    routed = (
        RoutingRule.objects.filter(enabled=True)
        .select_related("team", "required_skill")
        .prefetch_related("categories")
        .order_by("order", "pk")
    )
    for rule in routed:
        slugs = [c.slug for c in rule.categories.all()]
        if rule.required_skill is not None:
            for slug in slugs:
                skills.setdefault(slug, (rule.required_skill.slug, rule.min_skill_level))
        if rule.team is not None:
            rules.append((rule_spec(rule, slugs), rule.team.slug))
    # A category no rule asks a skill for needs none: every agent of its team qualifies, as live.
    for slug in Category.objects.values_list("slug", flat=True):
        skills.setdefault(slug, ("", 1))
    skills.setdefault("", ("", 1))
    # A category's own team routes what no rule sends elsewhere.
    for index, category in enumerate(Category.objects.filter(team__isnull=False).select_related("team").order_by("pk")):
        assert category.team is not None
        rules.append(
            (RuleSpec(id=-(index + 1), name=f"category {category.slug}", categories=frozenset({category.slug})), category.team.slug)
        )
    first_team = Team.objects.order_by("pk").first()
    return Desk(
        start=start,
        agents=agents,
        rules=rules,
        default_team=first_team.slug if first_team is not None else DEFAULT_TEAM,
        skills=skills,
        policies=_policies(),
        queue_order=first_team.queue_order if first_team is not None else QueueOrder.PRIORITY,
    )


# --- the history ------------------------------------------------------------------------------


def _seconds(value: datetime | None, start: datetime) -> float | None:
    return None if value is None else (value - start).total_seconds()


def load_records(desk: Desk, *, since: datetime, until: datetime) -> list[TicketRecord]:
    """Tickets created in [since, until), open ones included, in arrival order."""
    start = desk.start
    tickets = list(
        Ticket.objects.filter(created_at__gte=since, created_at__lt=until)
        .select_related("category", "team")
        .order_by("created_at", "pk")
        .only(
            "pk", "created_at", "category__slug", "priority", "channel", "language", "team__slug", "assignee_id", "assigned_at",
            "first_response_at", "resolved_at", "first_response_seconds", "resolution_seconds", "first_response_met",
            "resolution_met", "sla_paused_seconds",
        )
    )  # fmt: skip
    pending: dict[int, list[tuple[datetime, str, str]]] = {}
    changes = TicketEvent.objects.filter(ticket__in=[t.pk for t in tickets], kind="status_changed").order_by("created_at", "pk")
    for ticket_id, at, detail in changes.values_list("ticket_id", "created_at", "detail"):
        pending.setdefault(ticket_id, []).append((at, str(detail.get("from", "")), str(detail.get("to", ""))))
    records = []
    for ticket in tickets:
        category = ticket.category.slug if ticket.category is not None else ""
        paused_from = paused_until = None
        for at, old, new in pending.get(ticket.pk, ()):
            if paused_from is None and new == TicketStatus.PENDING_CUSTOMER:
                paused_from = at
            elif paused_from is not None and old == TicketStatus.PENDING_CUSTOMER:
                paused_until = at
                break
        if paused_until is None:
            paused_from = None  # still pending: the replay cannot know how long the customer takes
        records.append(
            TicketRecord(
                ticket_id=ticket.pk,
                arrival_seconds=(ticket.created_at - start).total_seconds(),
                category=category,
                priority=ticket.priority,
                channel=ticket.channel,
                language=ticket.language or "en",
                team=ticket.team.slug if ticket.team is not None else desk.default_team,
                required_skill=desk.skills.get(category, ("", 1))[0],
                agent_id=ticket.assignee_id,
                assigned_seconds=_seconds(ticket.assigned_at, start),
                first_response_seconds=_seconds(ticket.first_response_at, start),
                pending_from_seconds=_seconds(paused_from, start),
                pending_until_seconds=_seconds(paused_until, start),
                resolved_seconds=_seconds(ticket.resolved_at, start),
                first_response_business_seconds=ticket.first_response_seconds,
                resolution_business_seconds=ticket.resolution_seconds,
                pause_business_seconds=float(ticket.sla_paused_seconds or 0),
                first_response_breached=ticket.first_response_met is False,
                next_response_breached=False,
                resolution_breached=ticket.resolution_met is False,
                first_response_at_risk=False,
            )
        )
    return records


# --- scenario files ---------------------------------------------------------------------------

SCENARIO_KEYS = {
    "name", "add_agents", "remove_agents", "capacity", "skills", "shifts", "sla_targets", "business_hours", "team_order",
}  # fmt: skip


def _calendar(value: Any, where: str) -> Calendar:
    if value == "24x7":
        return Calendar(always_open=True)
    if not isinstance(value, dict) or not isinstance(value.get("weekly"), dict):
        raise ScenarioError(f'{where}: expected "24x7" or {{"time_zone": "Europe/Berlin", "weekly": {{"0": [["09:00", "17:00"]]}}}}')
    weekly: dict[int, list[tuple[time, time]]] = {}
    try:
        for day, intervals in value["weekly"].items():
            weekly[int(day)] = [(time.fromisoformat(a), time.fromisoformat(b)) for a, b in intervals]
        return Calendar(time_zone=str(value.get("time_zone", "UTC")), weekly=weekly)
    except (TypeError, ValueError, CalendarError, KeyError) as error:
        raise ScenarioError(f"{where}: {error}") from error
    except Exception as error:  # ZoneInfoNotFoundError and friends
        raise ScenarioError(f"{where}: unknown time zone {value.get('time_zone')!r}") from error


def parse_scenario(data: Any, desk: Desk) -> replay_core.Scenario:
    """The scenario file's JSON as a ``replay_core.Scenario`` on ``desk`` (agents named by username)."""
    if not isinstance(data, dict):
        raise ScenarioError("a scenario is a JSON object")
    unknown = set(data) - SCENARIO_KEYS
    if unknown:
        raise ScenarioError(f"unknown keys {sorted(unknown)}; expected some of {sorted(SCENARIO_KEYS)}")
    ids = {a.name: a.agent_id for a in desk.agents}
    teams = {a.team for a in desk.agents} | {team for _, team in desk.rules} | {desk.default_team}

    def agent(name: Any, where: str) -> int:
        if name not in ids:
            raise ScenarioError(f"{where}: no agent {name!r}")
        return ids[name]

    def mapping(key: str) -> Mapping[str, Any]:
        value = data.get(key, {})
        if not isinstance(value, dict):
            raise ScenarioError(f"{key}: expected an object keyed by username")
        return value

    added = []
    add_agents = data.get("add_agents", [])
    if not isinstance(add_agents, list):
        raise ScenarioError("add_agents: expected a list")
    for index, item in enumerate(add_agents):
        where = f"add_agents[{index}]"
        if not isinstance(item, dict) or "like" not in item:
            raise ScenarioError(f'{where}: expected {{"like": "username", "count": 1, "team": "slug", "shift": …}}')
        count = item.get("count", 1)
        if not isinstance(count, int) or isinstance(count, bool) or not 1 <= count <= 100:
            raise ScenarioError(f"{where}.count: a whole number 1-100")
        team = item.get("team")
        if team is not None and team not in teams:
            raise ScenarioError(f"{where}.team: no team {team!r}")
        shift = _calendar(item["shift"], f"{where}.shift") if "shift" in item else None
        added.append(replay_core.AddedAgent(like=agent(item["like"], f"{where}.like"), count=count, team=team, shift=shift))
    remove = data.get("remove_agents", [])
    if not isinstance(remove, list):
        raise ScenarioError("remove_agents: expected a list of usernames")
    capacity = {}
    for name, units in mapping("capacity").items():
        if not isinstance(units, int | float) or isinstance(units, bool) or not 1 <= units <= 1000:
            raise ScenarioError(f"capacity.{name}: units 1-1000")
        capacity[agent(name, "capacity")] = float(units)
    skills = {}
    for name, levels in mapping("skills").items():
        if not isinstance(levels, dict) or not all(isinstance(v, int) and 1 <= v <= 5 for v in levels.values()):
            raise ScenarioError(f'skills.{name}: expected {{"skill-slug": level 1-5}} (the agent\'s skills, replaced)')
        skills[agent(name, "skills")] = {str(k): int(v) for k, v in levels.items()}
    shifts = {agent(name, "shifts"): _calendar(value, f"shifts.{name}") for name, value in mapping("shifts").items()}
    targets = {}
    sla_targets = data.get("sla_targets", {})
    if not isinstance(sla_targets, dict):
        raise ScenarioError('sla_targets: expected {"P2": {"first_response_minutes": 120}}')
    for key, value in sla_targets.items():
        if key not in {f"P{p}" for p in PRIORITIES} or not isinstance(value, dict):
            raise ScenarioError(f'sla_targets.{key}: expected "P0"-"P3" with {{"first_response_minutes": …}}')
        policy = desk.policies[int(key[1])]
        current = {
            "first_response_minutes": policy.first_response_seconds / 60,
            "next_response_minutes": policy.next_response_seconds / 60,
            "resolution_minutes": policy.resolution_seconds / 60,
        }
        for field_name, minutes in value.items():
            if field_name not in current or not isinstance(minutes, int | float) or isinstance(minutes, bool) or not 0 < minutes <= 1e6:
                raise ScenarioError(f"sla_targets.{key}.{field_name}: one of {sorted(current)}, minutes > 0")
            current[field_name] = float(minutes)
        targets[int(key[1])] = (current["first_response_minutes"], current["next_response_minutes"], current["resolution_minutes"])
    order = data.get("team_order")
    if order is not None and order not in QueueOrder.ALL:
        raise ScenarioError(f"team_order: one of {list(QueueOrder.ALL)}")
    hours = _calendar(data["business_hours"], "business_hours") if "business_hours" in data else None
    return replay_core.Scenario(
        name=str(data.get("name", "scenario"))[:120],
        add=added,
        remove=frozenset(agent(name, "remove_agents") for name in remove),
        capacity_units=capacity,
        shifts=shifts,
        skills=skills,
        queue_order=order,
        targets_minutes=targets,
        business_hours=hours,
    )


# --- the run ----------------------------------------------------------------------------------


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=UTC)


def _named(desk: Desk, result: dict[str, Any]) -> dict[str, Any]:
    names = {a.agent_id: a.name for a in desk.agents}
    result["utilization"]["agents"] = {names[i]: value for i, value in result["utilization"]["agents"].items()}
    return result


def run_whatif(
    *, since: datetime, until: datetime, scenario: Any, seed: int = 1, progress: Callable[[int], None] | None = None
) -> dict[str, Any]:
    """Baseline and scenario replays of [since, until) side by side (``scenario``: the file's JSON)."""
    since, until = _aware(since), _aware(until)
    if until <= since:
        raise ScenarioError("--to must be after --from")
    step = progress or (lambda _: None)
    length = until - since
    fit_since = since - length
    earliest = Ticket.objects.order_by("created_at").values_list("created_at", flat=True).first()
    if earliest is not None and earliest > fit_since:
        fit_since = min(earliest, since)
    desk = load_desk(fit_since - timedelta(seconds=1))
    parsed = parse_scenario(scenario, desk)
    step(10)
    records = load_records(desk, since=fit_since, until=until)
    low = (since - desk.start).total_seconds()
    high = (until - desk.start).total_seconds()
    model = replay_core.fit_handling([r for r in records if r.arrival_seconds < low], desk.agents)
    played = [r for r in records if r.arrival_seconds >= low - WARMUP_DAYS * DAY]
    step(30)
    base_desk, baseline = replay_core.replay(desk, played, model, seed=seed)
    step(60)
    changed_desk, changed = replay_core.replay(desk, played, model, scenario=parsed, seed=seed)
    step(90)
    window = (low, high)
    fitted = sum(
        1 for r in records if r.arrival_seconds < low and r.first_work_seconds is not None and r.resolution_work_seconds is not None
    )
    return {
        "period": {"from": since.isoformat(), "to": until.isoformat(), "fit_from": fit_since.isoformat(), "fitted_tickets": fitted},
        "scenario": parsed.name,
        "baseline": _named(base_desk, replay_core.report(base_desk, baseline, window=window)),
        "scenario_result": _named(changed_desk, replay_core.report(changed_desk, changed, window=window)),
    }


def parse_day(value: str) -> datetime:
    """A ``--from``/``--to`` value: an ISO date (midnight UTC) or an ISO datetime."""
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError as error:
        raise ScenarioError(f"{value!r} is not an ISO date (2026-11-02) or datetime") from error
    return parsed if parsed.tzinfo is not None else parsed.replace(tzinfo=ZoneInfo("UTC"))


def side_by_side(result: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """(measure, baseline, scenario) rows: the page's table and the CSV download."""
    base, other = result["baseline"], result["scenario_result"]
    rows: list[tuple[str, Any, Any]] = [
        ("tickets", base["tickets"], other["tickets"]),
        ("first-response compliance", base["first_response_compliance"], other["first_response_compliance"]),
        ("median first-response wait (min)", base["median_first_response_wait_minutes"], other["median_first_response_wait_minutes"]),
    ]
    for kind in ("first_response", "next_response", "resolution"):
        rows.append((f"{kind.replace('_', '-')} breaches", base["breaches"][kind], other["breaches"][kind]))
    for priority in sorted(set(base["by_priority"]) | set(other["by_priority"])):
        b, o = base["by_priority"].get(priority, {}), other["by_priority"].get(priority, {})
        rows.append((f"{priority} compliance", b.get("first_response_compliance"), o.get("first_response_compliance")))
        for wait in ("first_response_wait_minutes", "resolution_wait_minutes"):
            label = wait.replace("_wait_minutes", "").replace("_", "-")
            for stat in ("median", "p90"):
                rows.append((f"{priority} {label} wait {stat} (min)", b.get(wait, {}).get(stat), o.get(wait, {}).get(stat)))
    for scope in ("teams", "agents"):
        for name in sorted(set(base["utilization"][scope]) | set(other["utilization"][scope])):
            rows.append((f"utilization {scope[:-1]} {name}", base["utilization"][scope].get(name), other["utilization"][scope].get(name)))
    return rows


__all__ = ["ScenarioError", "load_desk", "load_records", "parse_day", "parse_scenario", "run_whatif", "side_by_side"]
