"""What-if on the desk's own history: a small recorded desk in the database, replayed by ``manage.py whatif``."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import time_machine
from django.core.management import CommandError, call_command

from agents.models import AgentSkill, RoutingRule, Seniority
from escalation_engine.models import SlaPolicy
from escalation_engine.whatif import ScenarioError, load_desk, parse_scenario
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, SkillFactory, TeamFactory, UserFactory
from tickets.models import Channel, Ticket, TicketStatus

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 0, 0, tzinfo=UTC)  # a Monday
DAYS = 4
FIRST_WORK = timedelta(minutes=12)
RESOLUTION_WORK = timedelta(minutes=3)


def build_history(*, every_minutes: int = 15, security_every: int = 0) -> dict[str, Any]:
    """A billing team of one agent (capacity 1) and, optionally, a security specialist; tickets every ``every_minutes``."""
    SlaPolicy.objects.update(is_active=False)
    for priority in range(4):
        SlaPolicy.objects.create(
            name=f"P{priority}", priority=priority, first_response_minutes=30, next_response_minutes=60, resolution_minutes=240
        )
    billing = TeamFactory.create(slug="billing", name="Billing")
    billing_category = CategoryFactory.create(slug="billing", team=billing)
    ana = AgentFactory.create(user=UserFactory.create(username="ana", role="agent"), capacity=1, seniority=Seniority.JUNIOR)
    ana.teams.add(billing)
    agents = {"ana": ana}
    security_category = None
    if security_every:
        security = SkillFactory.create(slug="security")
        security_category = CategoryFactory.create(slug="security")
        rule = RoutingRule.objects.create(name="security", order=1, team=billing, required_skill=security, min_skill_level=3)
        rule.categories.add(security_category)
        sam = AgentFactory.create(user=UserFactory.create(username="sam", role="agent"), capacity=1, seniority=Seniority.JUNIOR)
        sam.teams.add(billing)
        AgentSkill.objects.create(agent=sam, skill=security, level=4)
        agents["sam"] = sam
    customer = CustomerFactory.create()
    rows = []
    at, index = START, 0
    while at < START + timedelta(days=DAYS):
        is_security = bool(security_every) and index % security_every == 0
        agent = agents["sam"] if is_security else ana
        replied = at + FIRST_WORK
        rows.append(
            Ticket(
                subject=f"t{index}",
                body="x",
                customer=customer,
                channel=Channel.EMAIL,
                status=TicketStatus.RESOLVED,
                category=security_category if is_security else billing_category,
                priority=1 if is_security else 3,
                team=billing,
                assignee=agent,
                created_at=at,
                assigned_at=at,
                first_response_at=replied,
                first_response_met=True,
                resolved_at=replied + RESOLUTION_WORK,
                resolution_met=True,
            )
        )
        at += timedelta(minutes=every_minutes)
        index += 1
    Ticket.objects.bulk_create(rows)
    return agents


def whatif(tmp_path: Path, scenario: Any, *, since: str = "2026-03-04", until: str = "2026-03-06") -> dict[str, Any]:
    path = tmp_path / "scenario.json"
    path.write_text(scenario if isinstance(scenario, str) else json.dumps(scenario))
    out = io.StringIO()
    call_command("whatif", "--from", since, "--to", until, "--scenario", str(path), "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.fixture
def frozen() -> Any:
    with time_machine.travel(START + timedelta(days=10), tick=False) as clock:
        yield clock


def test_the_desk_is_read_from_the_database(frozen: Any) -> None:
    build_history(every_minutes=60, security_every=2)
    desk = load_desk(START)
    assert {a.name: (a.team, dict(a.skills)) for a in desk.agents} == {"ana": ("billing", {}), "sam": ("billing", {"security": 4})}
    # The security rule asks a skill; the other categories need none, so everyone on their team qualifies.
    assert desk.skills == {"security": ("security", 3), "billing": ("", 1), "": ("", 1)}
    assert desk.policies[2].first_response_seconds == 30 * 60
    assert [team for _, team in desk.rules] == ["billing", "billing"]


@pytest.mark.parametrize(
    ("scenario", "message"),
    [
        ("not json", "not JSON"),
        ("[]", "JSON object"),
        ({"hire": 3}, "unknown keys"),
        ({"remove_agents": ["nobody"]}, "no agent 'nobody'"),
        ({"add_agents": [{"like": "ana", "count": 0}]}, "count"),
        ({"add_agents": [{"like": "ana", "team": "nowhere"}]}, "no team"),
        ({"sla_targets": {"P9": {"first_response_minutes": 5}}}, "sla_targets.P9"),
        ({"sla_targets": {"P2": {"first_response_minutes": -1}}}, "minutes > 0"),
        ({"team_order": "random"}, "team_order"),
        ({"business_hours": {"time_zone": "Mars/Olympus", "weekly": {"0": [["09:00", "17:00"]]}}}, "business_hours"),
        ({"capacity": {"ana": 0}}, "capacity.ana"),
    ],
)
def test_a_bad_scenario_is_a_command_error_that_says_why(tmp_path: Path, frozen: Any, scenario: Any, message: str) -> None:
    build_history(every_minutes=240)
    with pytest.raises(CommandError, match=message):
        whatif(tmp_path, scenario)


def test_a_bad_period_or_missing_file_is_a_command_error(tmp_path: Path, frozen: Any) -> None:
    build_history(every_minutes=240)
    with pytest.raises(CommandError, match="after"):
        whatif(tmp_path, {}, since="2026-03-05", until="2026-03-04")
    with pytest.raises(CommandError, match="ISO date"):
        whatif(tmp_path, {}, since="yesterday")
    with pytest.raises(CommandError, match="cannot read"):
        call_command("whatif", "--from", "2026-03-04", "--to", "2026-03-05", "--scenario", str(tmp_path / "missing.json"), "--json")


def test_scenario_fields_map_onto_the_core_scenario(frozen: Any) -> None:
    build_history(every_minutes=240, security_every=2)
    desk = load_desk(START)
    ids = {a.name: a.agent_id for a in desk.agents}
    scenario = parse_scenario(
        {
            "add_agents": [{"like": "sam", "count": 2, "shift": {"time_zone": "Europe/Berlin", "weekly": {"0": [["09:00", "17:00"]]}}}],
            "remove_agents": ["ana"],
            "capacity": {"sam": 3},
            "skills": {"sam": {"security": 5}},
            "sla_targets": {"P1": {"first_response_minutes": 10}},
            "business_hours": "24x7",
            "team_order": "fifo",
        },
        desk,
    )
    assert scenario.add[0].like == ids["sam"] and scenario.add[0].count == 2 and scenario.add[0].shift is not None
    assert scenario.remove == frozenset({ids["ana"]})
    assert scenario.capacity_units == {ids["sam"]: 3.0}
    assert scenario.skills == {ids["sam"]: {"security": 5}}
    assert scenario.targets_minutes == {1: (10.0, 60.0, 240.0)}
    assert scenario.business_hours is not None and scenario.business_hours.always_open
    assert scenario.queue_order == "fifo"
    with pytest.raises(ScenarioError):
        parse_scenario({"skills": {"sam": {"security": 9}}}, desk)


def test_the_baseline_replay_reproduces_the_recorded_desk(tmp_path: Path, frozen: Any) -> None:
    """One agent, a ticket every 20 minutes, 12 + 3 minutes of work each: every reply came after 12 minutes."""
    build_history(every_minutes=20)
    result = whatif(tmp_path, {})
    baseline = result["baseline"]
    assert baseline["tickets"] == 2 * 24 * 3 and baseline["unanswered"] == 0
    assert baseline["first_response_compliance"] == 1.0 and baseline["breaches"]["first_response"] == 0
    assert baseline["median_first_response_wait_minutes"] == pytest.approx(12.0, rel=0.15)
    assert baseline["utilization"]["agents"]["ana"] == pytest.approx(15 / 20, abs=0.05)
    assert result["scenario_result"] == baseline  # an empty scenario changes nothing


def test_one_more_agent_on_the_overloaded_team_lowers_waits_and_breaches(tmp_path: Path, frozen: Any) -> None:
    build_history(every_minutes=10)  # 15 minutes of work every 10 minutes: one agent cannot keep up
    result = whatif(tmp_path, {"name": "hire", "add_agents": [{"like": "ana", "count": 1}]})
    baseline, hired = result["baseline"], result["scenario_result"]
    assert result["scenario"] == "hire"
    assert baseline["breaches"]["first_response"] > 0
    assert hired["breaches"]["first_response"] < baseline["breaches"]["first_response"]
    assert hired["first_response_compliance"] > baseline["first_response_compliance"]
    base_wait, hired_wait = baseline["median_first_response_wait_minutes"], hired["median_first_response_wait_minutes"]
    assert base_wait is None or hired_wait < base_wait
    assert len(hired["utilization"]["agents"]) == 2 and hired["utilization"]["agents"]["ana"] < baseline["utilization"]["agents"]["ana"]


def test_removing_the_only_agent_with_a_skill_leaves_those_tickets_to_breach(tmp_path: Path, frozen: Any) -> None:
    """Security tickets (P1) need level 3 of a skill only sam has; ana is a junior and may not stand in."""
    build_history(every_minutes=60, security_every=2)
    result = whatif(tmp_path, {"remove_agents": ["sam"]})
    baseline, without = result["baseline"]["by_priority"]["P1"], result["scenario_result"]["by_priority"]["P1"]
    assert baseline["first_response_compliance"] == 1.0 and baseline["first_response_breaches"] == 0
    assert without["tickets"] == baseline["tickets"] > 0
    assert without["first_response_breaches"] > 0 and without["first_response_compliance"] < baseline["first_response_compliance"]
    assert result["scenario_result"]["by_priority"]["P3"]["first_response_compliance"] == 1.0  # billing is unaffected
    assert "sam" not in result["scenario_result"]["utilization"]["agents"]
