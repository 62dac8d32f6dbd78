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
    billing = TeamFactory(slug="billing", name="Billing")
    billing_category = CategoryFactory(slug="billing", team=billing)
    ana = AgentFactory(user=UserFactory(username="ana", role="agent"), capacity=1, seniority=Seniority.JUNIOR)
    ana.teams.add(billing)
    agents = {"ana": ana}
    security_category = None
    if security_every:
        security = SkillFactory(slug="security")
        security_category = CategoryFactory(slug="security")
        rule = RoutingRule.objects.create(name="security", order=1, team=billing, required_skill=security, min_skill_level=3)
        rule.categories.add(security_category)
        sam = AgentFactory(user=UserFactory(username="sam", role="agent"), capacity=1, seniority=Seniority.JUNIOR)
        sam.teams.add(billing)
        AgentSkill.objects.create(agent=sam, skill=security, level=4)
        agents["sam"] = sam
    customer = CustomerFactory()
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
    assert desk.skills == {"security": ("security", 3)}
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
