"""Capacity in units (profiles), skills that relax after a timeout, and each team's queue order, through the services."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from agents import services
from agents.models import CapacityProfile, QueueOrder, RoutingRule, RoutingRuleSkill
from agents.tasks import route_waiting
from escalation_engine.models import SlaPolicy
from foundation.models import BusinessCalendar
from tests.factories import AgentFactory, AgentSkillFactory, CategoryFactory, SkillFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import Ticket
from tickets.services import change_status

pytestmark = pytest.mark.django_db
START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday


@pytest.fixture
def desk(clock: Any) -> dict[str, Any]:
    """One billing agent with a chat-heavy profile: 4 units, chat 3, e-mail 1, P0 ×2."""
    clock.set(START)
    team = TeamFactory.create(slug="billing")
    skill = SkillFactory.create(slug="billing")
    category = CategoryFactory.create(slug="billing", skill=skill, team=team)
    profile = CapacityProfile.objects.create(
        name="chat desk", total_units=4, channel_weights={"chat": 3, "email": 1}, priority_multipliers={"0": 2}
    )
    agent = AgentFactory.create(capacity=50, capacity_profile=profile)
    agent.teams.add(team)
    AgentSkillFactory.create(agent=agent, skill=skill, level=4)
    return {"team": team, "skill": skill, "category": category, "profile": profile, "agent": agent}


def ticket(desk: dict[str, Any], **kwargs: Any) -> Ticket:
    fields: dict[str, Any] = {"status": "triaged", "triaged_at": timezone.now(), "category": desk["category"], "priority": 2}
    fields.update(kwargs)
    return TicketFactory.create(**fields)


def route(t: Ticket) -> Ticket:
    services.route_ticket(ticket=t)
    return Ticket.objects.get(pk=t.pk)


def test_tickets_weigh_their_channel_and_priority_and_never_exceed_the_units(desk: dict[str, Any]) -> None:
    agent = desk["agent"]
    assert route(ticket(desk, channel="chat")).assignee == agent  # 3 of 4
    second_chat = route(ticket(desk, channel="chat"))
    assert second_chat.assignee is None
    assert second_chat.routing["skipped"][str(agent.pk)] == "at capacity (3/4 units, ticket needs 3)"
    assert route(ticket(desk, channel="email")).assignee == agent  # 4 of 4
    assert route(ticket(desk, channel="email")).assignee is None
    assert services.units_in_use({agent.pk: agent}) == {agent.pk: 4.0}


def test_a_p0_weighs_double_and_a_ticket_heavier_than_the_profile_still_fits_an_idle_agent(desk: dict[str, Any]) -> None:
    agent = desk["agent"]
    assert route(ticket(desk, channel="email", priority=0)).assignee == agent  # 2 units
    assert route(ticket(desk, channel="email", priority=0)).assignee == agent  # 4 units
    assert route(ticket(desk, channel="email", priority=2)).assignee is None
    other = AgentFactory.create(capacity=50, capacity_profile=desk["profile"])
    other.teams.add(desk["team"])
    AgentSkillFactory.create(agent=other, skill=desk["skill"], level=2)
    heavy = route(ticket(desk, channel="chat", priority=0))  # 3 × 2 = 6 > 4 units: weighs the whole profile
    assert heavy.assignee == other
    assert services.units_in_use({other.pk: other}) == {other.pk: 4.0}


def test_pending_customer_frees_the_units_and_the_answer_brings_the_ticket_back_over_capacity(desk: dict[str, Any]) -> None:
    agent = desk["agent"]
    chat = route(ticket(desk, channel="chat"))
    route(ticket(desk, channel="email"))
    assert services.units_in_use({agent.pk: agent}) == {agent.pk: 4.0}
    change_status(ticket=chat, status="pending_customer", by=None)
    assert services.units_in_use({agent.pk: agent}) == {agent.pk: 1.0}
    third = route(ticket(desk, channel="chat"))
    assert third.assignee == agent  # the pending chat's units were free

    # The customer answers: the ticket stays with its owner, who is now over capacity…
    change_status(ticket=chat, status="in_progress", by=None)
    assert Ticket.objects.get(pk=chat.pk).assignee == agent
    assert services.units_in_use({agent.pk: agent}) == {agent.pk: 7.0}
    # … and gets nothing new, not even a one-unit e-mail, until under again.
    waiting = route(ticket(desk, channel="email"))
    assert waiting.assignee is None and waiting.routing["skipped"][str(agent.pk)].startswith("at capacity (7/4 units")
    change_status(ticket=chat, status="resolved", by=None)
    change_status(ticket=third, status="resolved", by=None)
    assert route_waiting() == 1
    assert Ticket.objects.get(pk=waiting.pk).assignee == agent


def test_without_a_profile_pending_tickets_still_count_as_before(desk: dict[str, Any]) -> None:
    legacy = AgentFactory.create(capacity=1)
    legacy.teams.add(desk["team"])
    AgentSkillFactory.create(agent=legacy, skill=desk["skill"], level=5)
    desk["agent"].availability = "offline"
    desk["agent"].save()
    first = route(ticket(desk, channel="chat"))
    assert first.assignee == legacy  # a chat weighs 1 without a profile
    change_status(ticket=first, status="pending_customer", by=None)
    assert route(ticket(desk, channel="email")).assignee is None


def test_a_supervisor_cannot_push_an_agent_over_their_units(desk: dict[str, Any]) -> None:
    agent = desk["agent"]
    route(ticket(desk, channel="chat"))
    other = ticket(desk, channel="chat", status="triaged")
    with pytest.raises(services.AssignmentError, match=r"3 of 4 units in use; this ticket needs 3"):
        services.assign_ticket(ticket=other, agent=agent, by=UserFactory.create())


def test_profile_weights_are_validated() -> None:
    with pytest.raises(ValidationError) as caught:
        CapacityProfile(name="bad", total_units=5, channel_weights={"pigeon": 1}, priority_multipliers={"0": -1}).full_clean()
    assert set(caught.value.message_dict) == {"channel_weights", "priority_multipliers"}
    CapacityProfile(name="good", total_units=5, channel_weights={"chat": 2.5}, priority_multipliers={"0": 2, "1": 1.5}).full_clean()


@pytest.fixture
def german_rule(desk: dict[str, Any]) -> dict[str, Any]:
    """German tickets ask for the German skill (optional, priority 2, dropped after 5 minutes); the only agent lacks it."""
    german = SkillFactory.create(slug="german")
    rule = RoutingRule.objects.create(name="German speakers", order=1, languages=["de"])
    RoutingRuleSkill.objects.create(rule=rule, skill=german, required=False, priority=2, relax_after_seconds=300)
    return {**desk, "german": german, "rule": rule}


def test_an_optional_skill_is_dropped_after_its_timeout_and_the_reason_says_when(german_rule: dict[str, Any], clock: Any) -> None:
    agent = german_rule["agent"]
    queued = route(ticket(german_rule, language="de", channel="email"))
    assert queued.assignee is None
    assert queued.routing["skipped"][str(agent.pk)] == "no german (optional P2, needs level 1)"
    assert queued.routing["waiting_since"] == START.isoformat() and queued.routing["dropped_skills"] == []

    clock.set(START + timedelta(seconds=299))
    assert route_waiting() == 0
    clock.set(START + timedelta(seconds=301))
    assert route_waiting() == 1
    routed = Ticket.objects.get(pk=queued.pk)
    assert routed.assignee == agent
    assert routed.routing["dropped_skills"] == [
        {"skill": "german", "after_seconds": 300.0, "at": (START + timedelta(seconds=300)).isoformat()}
    ]
    assert "optional skills dropped: german after 300 s" in routed.routing["why"]


def test_an_agent_with_the_optional_skill_gets_the_ticket_at_once(german_rule: dict[str, Any]) -> None:
    speaker = AgentFactory.create(capacity=5)
    speaker.teams.add(german_rule["team"])
    AgentSkillFactory.create(agent=speaker, skill=german_rule["skill"], level=2)  # a weaker billing agent…
    AgentSkillFactory.create(agent=speaker, skill=german_rule["german"], level=4)  # … who writes German
    assert route(ticket(german_rule, language="de")).assignee == speaker
    assert route(ticket(german_rule, language="en")).assignee == german_rule["agent"]  # the rule does not apply


def test_a_required_rule_skill_is_never_dropped(german_rule: dict[str, Any], clock: Any) -> None:
    RoutingRuleSkill.objects.filter(rule=german_rule["rule"]).update(required=True)
    queued = route(ticket(german_rule, language="de"))
    clock.set(START + timedelta(hours=6))
    assert route_waiting() == 0
    assert Ticket.objects.get(pk=queued.pk).routing["dropped_skills"] == []


def test_lower_priority_optional_skills_are_dropped_first(german_rule: dict[str, Any], clock: Any) -> None:
    tone = SkillFactory.create(slug="calm-tone")
    RoutingRuleSkill.objects.create(rule=german_rule["rule"], skill=tone, required=False, priority=3, relax_after_seconds=60)
    AgentSkillFactory.create(agent=german_rule["agent"], skill=german_rule["german"], level=3)  # has German, lacks the tone skill
    queued = route(ticket(german_rule, language="de"))
    assert queued.assignee is None
    clock.set(START + timedelta(seconds=61))
    assert route_waiting() == 1
    routed = Ticket.objects.get(pk=queued.pk)
    assert [d["skill"] for d in routed.routing["dropped_skills"]] == ["calm-tone"]  # German was kept: the agent has it


def _waiting(desk: dict[str, Any], *specs: tuple[str, int, int, int]) -> dict[str, int]:
    """Tickets (name, priority, minutes since arrival, minutes until the first-response target) with nobody online."""
    desk["agent"].availability = "offline"
    desk["agent"].save()
    ids = {}
    for name, priority, age, due_in in specs:
        t = ticket(
            desk, priority=priority, subject=name, team=desk["team"], sla_first_response_due_at=timezone.now() + timedelta(minutes=due_in)
        )
        Ticket.objects.filter(pk=t.pk).update(created_at=timezone.now() - timedelta(minutes=age))
        ids[name] = t.pk
    return ids


def _order(desk: dict[str, Any], mode: str) -> list[str]:
    desk["team"].queue_order = mode
    desk["team"].save()
    names = dict(Ticket.objects.values_list("pk", "subject"))
    return [names[pk] for pk in services.waiting_tickets(team_ids=[desk["team"].pk])]


def test_each_team_orders_its_queue_fifo_priority_or_least_sla_slack(desk: dict[str, Any]) -> None:
    _waiting(desk, ("old-p3", 3, 90, 20), ("p1-plenty", 1, 10, 50), ("p2-tight", 2, 30, 10), ("p3-tight-same-minute", 3, 5, 10))
    assert _order(desk, QueueOrder.FIFO) == ["old-p3", "p2-tight", "p1-plenty", "p3-tight-same-minute"]
    assert _order(desk, QueueOrder.PRIORITY) == ["p1-plenty", "p2-tight", "old-p3", "p3-tight-same-minute"]
    # Least slack first; within the same minute of slack the higher priority goes first.
    assert _order(desk, QueueOrder.SLA) == ["p2-tight", "p3-tight-same-minute", "old-p3", "p1-plenty"]


def test_sla_slack_is_counted_in_each_policys_business_time(desk: dict[str, Any], clock: Any) -> None:
    friday_4pm = datetime(2026, 12, 4, 16, 0, tzinfo=UTC)
    clock.set(friday_4pm)
    office = BusinessCalendar.objects.create(name="Office", time_zone="UTC")
    for weekday in range(5):
        office.hours.create(weekday=weekday, opens_at=time(9), closes_at=time(17))
    always = BusinessCalendar.objects.create(name="Always", time_zone="UTC", is_24x7=True)
    targets = {"first_response_minutes": 60, "next_response_minutes": 60, "resolution_minutes": 600}
    office_policy = SlaPolicy.objects.create(name="office", priority=2, calendar=office, **targets)
    always_policy = SlaPolicy.objects.create(name="always", priority=2, calendar=always, **targets)
    ids = _waiting(desk, ("due-monday-9:30-office", 2, 1, 0), ("due-tonight-24x7", 2, 2, 0))
    Ticket.objects.filter(pk=ids["due-monday-9:30-office"]).update(
        sla_policy=office_policy, sla_first_response_due_at=datetime(2026, 12, 7, 9, 30, tzinfo=UTC)
    )
    Ticket.objects.filter(pk=ids["due-tonight-24x7"]).update(
        sla_policy=always_policy, sla_first_response_due_at=friday_4pm + timedelta(hours=4)
    )
    # Wall time says tonight first; business time says Monday's ticket has 1.5 working hours left, tonight's 4.
    assert _order(desk, QueueOrder.SLA) == ["due-monday-9:30-office", "due-tonight-24x7"]
    slack = services.sla_slack_seconds(Ticket.objects.select_related("sla_policy").get(pk=ids["due-monday-9:30-office"]), friday_4pm)
    assert slack == 90 * 60


def test_fair_hand_out_spreads_a_backlog_at_each_agents_rate(desk: dict[str, Any], clock: Any) -> None:
    """After an outage six tickets wait; the first agent to sign in gets two a minute, not all six."""
    limited = CapacityProfile.objects.create(name="two a minute", total_units=50, max_assignments_per_minute=2)
    first, second = desk["agent"], AgentFactory.create(capacity_profile=limited, availability="offline")
    first.capacity_profile = limited
    first.availability = "offline"
    first.save()
    second.teams.add(desk["team"])
    AgentSkillFactory.create(agent=second, skill=desk["skill"], level=3)
    backlog = [route(ticket(desk)) for _ in range(6)]
    assert all(t.assignee is None for t in backlog)

    def held(agent: Any) -> int:
        return Ticket.objects.filter(assignee=agent).count()

    services.set_availability(agent=first, availability="online", by=None)
    assert route_waiting() == 2 and held(first) == 2
    clock.set(START + timedelta(seconds=30))
    assert route_waiting() == 0  # still within the minute
    fresh = route(ticket(desk))
    assert fresh.assignee is None and fresh.routing["skipped"][str(first.pk)] == "hand-out limit (2 in the last minute, at most 2)"
    services.set_availability(agent=second, availability="online", by=None)
    assert route_waiting() == 2 and held(second) == 2
    clock.set(START + timedelta(seconds=61))
    assert route_waiting() == 2  # the first agent's minute has passed; the second's has not
    assert (held(first), held(second)) == (4, 2)
    assert Ticket.objects.filter(assignee__isnull=True).count() == 1
    # A supervisor is not rate limited: the limit spreads routing, it does not overrule people.
    extra = ticket(desk)
    services.assign_ticket(ticket=extra, agent=second, by=UserFactory.create())
    assert held(second) == 3


def test_a_requeued_ticket_waits_for_its_optional_skills_again_but_keeps_its_sla_slack(
    german_rule: dict[str, Any], clock: Any, settings: Any
) -> None:
    """A support lead's expectation: when the German speaker signs off, the ticket looks for another German
    speaker for the full timeout again (not "waited 10 minutes already, anyone will do"), while its SLA
    clock runs on from arrival, so it keeps its place ahead of newer tickets in a least-slack queue."""
    settings.RETURN_TICKETS_ON_OFFLINE = True
    team = german_rule["team"]
    team.queue_order = QueueOrder.SLA
    team.save()
    speaker = AgentFactory.create(capacity=5)
    speaker.teams.add(team)
    AgentSkillFactory.create(agent=speaker, skill=german_rule["skill"], level=2)
    AgentSkillFactory.create(agent=speaker, skill=german_rule["german"], level=4)
    german = route(ticket(german_rule, language="de", sla_first_response_due_at=START + timedelta(hours=1)))
    assert german.assignee == speaker and german.routing["waiting_since"] == START.isoformat()
    due = german.sla_first_response_due_at  # the team's policy set it on routing: P2, four hours
    assert due == START + timedelta(hours=4)

    requeued_at = START + timedelta(minutes=10)  # twice the German timeout later
    clock.set(requeued_at)
    services.set_availability(agent=speaker, availability="offline", by=None)
    newer = ticket(german_rule, language="en", team=team, sla_first_response_due_at=requeued_at + timedelta(hours=4))
    german_rule["agent"].availability = "away"  # nobody takes anything while the queue order is read
    german_rule["agent"].save()
    assert services.waiting_tickets(team_ids=[team.pk]) == [german.pk, newer.pk]
    waiting = Ticket.objects.select_related("sla_policy").get(pk=german.pk)
    assert waiting.sla_first_response_due_at == due and services.sla_slack_seconds(waiting, requeued_at) == 230 * 60

    german_rule["agent"].availability = "online"
    german_rule["agent"].save()
    route_waiting()
    waiting = Ticket.objects.get(pk=german.pk)
    assert waiting.assignee is None  # the only agent left writes no German, and the new wait has just begun
    assert waiting.routing["waiting_since"] == requeued_at.isoformat() and waiting.routing["dropped_skills"] == []
    assert Ticket.objects.get(pk=newer.pk).assignee == german_rule["agent"]

    clock.set(requeued_at + timedelta(seconds=299))
    route_waiting()
    assert Ticket.objects.get(pk=german.pk).assignee is None
    clock.set(requeued_at + timedelta(seconds=301))
    route_waiting()
    routed = Ticket.objects.get(pk=german.pk)
    assert routed.assignee == german_rule["agent"]
    assert routed.routing["dropped_skills"] == [
        {"skill": "german", "after_seconds": 300.0, "at": (requeued_at + timedelta(seconds=300)).isoformat()}
    ]
    assert routed.sla_first_response_due_at == due  # routing never touches the SLA clock


def test_a_ticket_released_by_a_team_change_starts_a_new_wait(german_rule: dict[str, Any], clock: Any) -> None:
    speaker = AgentFactory.create(capacity=5)
    speaker.teams.add(german_rule["team"])
    AgentSkillFactory.create(agent=speaker, skill=german_rule["skill"], level=2)
    AgentSkillFactory.create(agent=speaker, skill=german_rule["german"], level=4)
    german = route(ticket(german_rule, language="de"))
    assert german.assignee == speaker
    clock.set(START + timedelta(hours=2))
    other_team = TeamFactory.create(slug="billing-emea")
    moved = services.change_team(ticket=german, team=other_team, by=None)
    assert moved.assignee is None and moved.routing["waiting_since"] == (START + timedelta(hours=2)).isoformat()
    assert moved.routing["dropped_skills"] == []
