"""Routing rules, agent selection by skill, capacity, availability and shifts, and the audit trail."""

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.utils import timezone

from agents import services
from agents.models import AgentShift, RoutingRule
from agents.tasks import route_waiting
from foundation.models import BusinessCalendar
from tests.factories import AgentFactory, AgentSkillFactory, CategoryFactory, CustomerFactory, SkillFactory, TeamFactory, TicketFactory
from tickets.models import Ticket, TicketEvent

# Runs on 1 December 2026, whatever today is.
pytestmark = [pytest.mark.django_db, pytest.mark.travel(datetime(2026, 12, 1, 21, 0, tzinfo=UTC))]


@pytest.fixture
def desk() -> dict[str, Any]:
    """Billing team with two agents of different skill; a billing category that needs the billing skill."""
    team = TeamFactory.create(name="Billing", slug="billing")
    skill = SkillFactory.create(slug="billing")
    category = CategoryFactory.create(slug="billing", skill=skill, team=team)
    expert = AgentFactory.create(capacity=2)
    novice = AgentFactory.create(capacity=2)
    for agent, level in ((expert, 5), (novice, 2)):
        agent.teams.add(team)
        AgentSkillFactory.create(agent=agent, skill=skill, level=level)
    return {"team": team, "skill": skill, "category": category, "expert": expert, "novice": novice}


def ticket(**kwargs: Any) -> Ticket:
    fields: dict[str, Any] = {"status": "triaged", "triaged_at": timezone.now()}
    fields.update(kwargs)
    return TicketFactory.create(**fields)


def route(t: Ticket) -> Ticket:
    services.route_ticket(ticket=t)
    return Ticket.objects.select_related("assignee").get(pk=t.pk)


def test_best_skilled_available_agent_gets_the_ticket_and_the_reason_is_stored(desk: dict[str, Any]) -> None:
    routed = route(ticket(category=desk["category"]))
    assert routed.assignee == desk["expert"] and routed.status == "assigned" and routed.team == desk["team"]
    assert routed.routing["why"].startswith("best available")
    assert {c["agent_id"] for c in routed.routing["candidates"]} == {desk["expert"].pk, desk["novice"].pk}
    event = TicketEvent.objects.get(ticket=routed, kind="assigned")
    assert event.detail["agent_id"] == desk["expert"].pk


def test_load_spreads_work_once_the_expert_is_busy(desk: dict[str, Any]) -> None:
    assignees = [route(ticket(category=desk["category"])).assignee for _ in range(4)]
    assert assignees.count(desk["expert"]) == 2 and assignees.count(desk["novice"]) == 2


def test_offline_and_away_agents_are_never_assigned(desk: dict[str, Any]) -> None:
    desk["expert"].availability = "offline"
    desk["expert"].save()
    desk["novice"].availability = "away"
    desk["novice"].save()
    routed = route(ticket(category=desk["category"]))
    assert routed.assignee is None and routed.status == "triaged"
    assert routed.routing["why"].startswith("queued")
    assert TicketEvent.objects.filter(ticket=routed, kind="queued").count() == 1


def test_agents_without_the_skill_are_skipped_but_seniors_may_take_anything(desk: dict[str, Any]) -> None:
    outsider = AgentFactory.create(capacity=5, seniority=2)
    senior = AgentFactory.create(capacity=5, seniority=3)
    for agent in (outsider, senior):
        agent.teams.add(desk["team"])
    desk["expert"].availability = desk["novice"].availability = "offline"
    desk["expert"].save()
    desk["novice"].save()
    routed = route(ticket(category=desk["category"]))
    assert routed.assignee == senior
    assert "no skill" in routed.routing["skipped"][str(outsider.pk)]


def test_minimum_skill_level_from_a_rule(desk: dict[str, Any]) -> None:
    rule = RoutingRule.objects.create(name="experts only", order=1, min_skill_level=4)
    rule.categories.add(desk["category"])
    desk["expert"].capacity = 0
    desk["expert"].save()
    routed = route(ticket(category=desk["category"]))
    assert routed.assignee is None
    assert "needs level 4" in routed.routing["skipped"][str(desk["novice"].pk)]


def test_capacity_is_never_exceeded_and_waiting_tickets_are_retried_when_capacity_frees(desk: dict[str, Any]) -> None:
    tickets = [route(ticket(category=desk["category"])) for _ in range(5)]
    assert [t.assignee_id is not None for t in tickets].count(True) == 4
    waiting = tickets[-1]
    assert waiting.assignee is None
    assert route_waiting() == 0  # still full
    Ticket.objects.filter(pk=tickets[0].pk).update(status="resolved")
    assert route_waiting() == 1
    assert Ticket.objects.get(pk=waiting.pk).assignee_id == tickets[0].assignee_id


def test_agent_off_shift_is_skipped(desk: dict[str, Any]) -> None:
    now = timezone.now()
    AgentShift.objects.create(agent=desk["expert"], weekday=(now.weekday() + 1) % 7, starts_at=time(0), ends_at=time(23, 59))
    assert route(ticket(category=desk["category"])).assignee == desk["novice"]


def test_first_matching_rule_wins_unless_it_continues(desk: dict[str, Any]) -> None:
    vip = TeamFactory.create(name="VIP", slug="vip")
    first = RoutingRule.objects.create(
        name="tag refunds", order=1, keyword_pattern=r"refund|chargeback", add_tags=["money"], continue_matching=True
    )
    second = RoutingRule.objects.create(name="enterprise to VIP", order=2, customer_tiers=["enterprise"], team=vip, raise_priority_by=1)
    RoutingRule.objects.create(name="never reached", order=3, add_tags=["late"])
    customer = CustomerFactory.create(tier="enterprise")
    routed = route(ticket(category=desk["category"], customer=customer, subject="Chargeback incoming", priority=2))
    assert routed.routing["rules"] == [first.name, second.name]
    assert routed.tags == ["money"] and routed.team == vip and routed.priority == 1
    assert routed.assignee is None  # nobody in the VIP team
    # the stop: a bronze ticket without the keyword skips the first two and matches the catch-all
    other = route(ticket(category=desk["category"], subject="Question"))
    assert other.routing["rules"] == ["never reached"] and other.tags == ["late"]


@pytest.mark.parametrize(
    ("condition", "matching", "not_matching"),
    [
        ({"priorities": [0, 1]}, {"priority": 1}, {"priority": 2}),
        ({"channels": ["email"]}, {"channel": "email"}, {"channel": "chat"}),
        ({"languages": ["de"]}, {"language": "de"}, {"language": "fr"}),
        ({"keyword_pattern": r"\bgdpr\b"}, {"body": "A GDPR request"}, {"body": "nothing here"}),
    ],
)
def test_each_condition(desk: dict[str, Any], condition: dict[str, Any], matching: dict[str, Any], not_matching: dict[str, Any]) -> None:
    RoutingRule.objects.create(name="cond", order=1, add_tags=["hit"], **condition)
    assert route(ticket(**matching)).tags == ["hit"]
    assert route(ticket(**not_matching)).tags == []


def test_category_and_tier_and_business_hours_conditions(desk: dict[str, Any], settings: Any) -> None:
    rule = RoutingRule.objects.create(name="cat", order=1, customer_tiers=["gold"], add_tags=["hit"])
    rule.categories.add(desk["category"])
    gold = CustomerFactory.create(tier="gold")
    assert route(ticket(category=desk["category"], customer=gold)).tags == ["hit"]
    assert route(ticket(category=desk["category"])).tags == []
    assert route(ticket(customer=gold)).tags == []
    BusinessCalendar.objects.update(is_default=False)  # fall back to the settings…
    settings.BUSINESS_HOURS = (0, 0)  # …which are never open
    RoutingRule.objects.create(name="after hours", order=0, business_hours="outside", add_tags=["night"], continue_matching=True)
    assert "night" in route(ticket()).tags


def test_actions_set_priority_pin_agent_and_mark_for_escalation(desk: dict[str, Any]) -> None:
    RoutingRule.objects.create(
        name="legal", order=1, keyword_pattern="lawyer", set_priority=0, assign_agent=desk["novice"], mark_for_escalation=True
    )
    routed = route(ticket(category=desk["category"], body="my lawyer", priority=3))
    assert routed.priority == 0 and routed.escalation_requested and routed.assignee == desk["novice"]
    assert routed.routing["why"] == "assigned by rule"


def test_rule_actions_apply_once_even_when_rerouted(desk: dict[str, Any]) -> None:
    RoutingRule.objects.create(name="bump", order=1, raise_priority_by=1, add_tags=["bumped"])
    desk["expert"].availability = desk["novice"].availability = "offline"
    desk["expert"].save()
    desk["novice"].save()
    t = route(ticket(category=desk["category"], priority=2))
    for _ in range(3):
        route_waiting()
    t.refresh_from_db()
    assert t.priority == 1
    assert TicketEvent.objects.filter(ticket=t, kind="queued").count() == 1


def test_tickets_needing_human_triage_are_not_routed(desk: dict[str, Any]) -> None:
    assert route(ticket(category=desk["category"], needs_triage=True)).assignee is None


def test_going_offline_returns_unstarted_tickets_and_keeps_started_ones(desk: dict[str, Any]) -> None:
    expert = desk["expert"]
    unstarted = route(ticket(category=desk["category"]))
    started = route(ticket(category=desk["category"]))
    assert unstarted.assignee == expert and started.assignee == expert
    Ticket.objects.filter(pk=started.pk).update(status="in_progress")
    services.set_availability(agent=expert, availability="offline", by=expert.user)
    assert Ticket.objects.get(pk=unstarted.pk).assignee_id is None
    assert Ticket.objects.get(pk=started.pk).assignee_id == expert.pk
    assert TicketEvent.objects.filter(ticket=unstarted, kind="unassigned").exists()


def test_manual_assignment_checks_availability_and_capacity(desk: dict[str, Any], make_user: Any) -> None:
    boss = make_user(role="supervisor")
    t = ticket(category=desk["category"])
    services.assign_ticket(ticket=t, agent=desk["novice"], by=boss)
    services.assign_ticket(ticket=t, agent=desk["expert"], by=boss, note="needs an expert")
    assert TicketEvent.objects.filter(ticket=t, kind="reassigned", actor=boss).exists()
    desk["novice"].availability = "offline"
    desk["novice"].save()
    with pytest.raises(services.AssignmentError, match="offline"):
        services.assign_ticket(ticket=t, agent=desk["novice"], by=boss)
    desk["novice"].availability = "online"
    desk["novice"].capacity = 0
    desk["novice"].save()
    with pytest.raises(services.AssignmentError, match="capacity"):
        services.assign_ticket(ticket=t, agent=desk["novice"], by=boss)
    assert Ticket.objects.get(pk=t.pk).assignee == desk["expert"]


def test_shift_in_the_agents_own_time_zone() -> None:
    agent = AgentFactory.create(time_zone="Asia/Tokyo")
    at = datetime(2026, 11, 25, 3, 0, tzinfo=UTC)  # Wednesday 12:00 in Tokyo, 03:00 UTC
    shifts = [AgentShift(agent=agent, weekday=2, starts_at=time(11), ends_at=time(13))]
    assert services.on_shift(agent, at, shifts) is True
    assert services.on_shift(agent, at + timedelta(hours=2), shifts) is False
    assert services.on_shift(agent, at, []) is True  # no shifts: always on shift


def test_a_retried_triage_task_routes_and_checks_a_ticket_triaged_before_the_failure(desk: dict[str, Any]) -> None:
    """The worker died after the triage committed: the redelivered task still routes and checks it."""
    from pipeline.tasks import triage_ticket

    waiting = ticket(category=desk["category"], next_check_at=None)
    triage_ticket.run(waiting.pk)  # already triaged: classification is skipped, routing and the check are not
    routed = Ticket.objects.get(pk=waiting.pk)
    assert routed.assignee_id == desk["expert"].pk and routed.status == "assigned"
    assert routed.next_check_at is not None  # the escalation check scheduled the next one
    triage_ticket.run(waiting.pk)  # and once more: nothing changes
    assert TicketEvent.objects.filter(ticket=waiting, kind="assigned").count() == 1
