"""Live routing holds agents for an urgent heavy ticket that fits nobody, the rule the simulated router follows.

``routing_core.should_reserve`` (within an hour of the SLA target) and ``pick_reservation`` (the
agents closest to fitting it): held agents take no other ticket until one of them has room for
it. Without the hold a P0 chat (a whole agent's units) starves behind lighter e-mails. On
PostgreSQL, also with ten routings at once.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from agents import routing_core, services
from agents.models import AgentReservation, CapacityProfile
from agents.tasks import route_waiting
from tests.agents.test_routing_concurrency import route_from_ten_threads
from tests.factories import AgentFactory, AgentSkillFactory, CategoryFactory, SkillFactory, TeamFactory, TicketFactory
from tickets.models import Ticket
from tickets.services import change_status

START = datetime(2026, 12, 1, 9, 0, tzinfo=UTC)  # a Tuesday


def build_desk() -> dict[str, Any]:
    """Two billing agents of 6 units (chat 3, e-mail 1, P0 ×2): Ada carries 4 e-mails, Bo 5."""
    team = TeamFactory.create(slug="billing")
    skill = SkillFactory.create(slug="billing")
    category = CategoryFactory.create(slug="billing", skill=skill, team=team)
    profile = CapacityProfile.objects.create(
        name="six", total_units=6, channel_weights={"chat": 3, "email": 1}, priority_multipliers={"0": 2}
    )
    ada, bo = (AgentFactory.create(capacity=50, capacity_profile=profile) for _ in range(2))
    for agent, level, load in ((ada, 4, 4), (bo, 3, 5)):
        agent.teams.add(team)
        AgentSkillFactory.create(agent=agent, skill=skill, level=level)
        for _ in range(load):
            TicketFactory.create(category=category, team=team, assignee=agent, status="assigned", channel="email", priority=2)
    return {"team": team, "category": category, "ada": ada, "bo": bo}


def waiting(desk: dict[str, Any], *, channel: str, priority: int, due_in: timedelta) -> Ticket:
    return TicketFactory.create(
        category=desk["category"],
        status="triaged",
        triaged_at=timezone.now(),
        channel=channel,
        priority=priority,
        sla_first_response_due_at=timezone.now() + due_in,
    )


def route(t: Ticket) -> Ticket:
    services.route_ticket(ticket=t)
    return Ticket.objects.get(pk=t.pk)


def held() -> dict[int, int]:
    return dict(AgentReservation.objects.values_list("agent_id", "ticket_id"))


@pytest.mark.django_db
def test_an_urgent_heavy_ticket_holds_the_closest_agents_until_one_has_room(clock: Any) -> None:
    assert connection.vendor == "postgresql", "run with the project's test command (tests.servers starts PostgreSQL)"
    clock.set(START)
    desk = build_desk()
    ada, bo = desk["ada"], desk["bo"]
    p0_chat = route(waiting(desk, channel="chat", priority=0, due_in=timedelta(minutes=15)))  # 6 units: fits nobody
    assert p0_chat.assignee is None
    # The agents the routing core names, the same call the simulated router makes: Ada (4 used) is closest, then Bo.
    assert p0_chat.routing["reserved_agent_ids"] == sorted([ada.pk, bo.pk]) and held() == {ada.pk: p0_chat.pk, bo.pk: p0_chat.pk}
    assert "holding agent(s)" in p0_chat.routing["why"]

    # A light e-mail would fit either of them, but both are held: it waits instead of eating the freed units.
    email = route(waiting(desk, channel="email", priority=3, due_in=timedelta(hours=24)))
    assert email.assignee is None
    assert email.routing["skipped"][str(ada.pk)] == f"held for waiting ticket {p0_chat.pk} (urgent, fits nobody yet)"
    assert "reserved_agent_ids" not in email.routing  # a day of slack: it holds nobody

    clock.set(START + timedelta(minutes=5))
    for ticket in Ticket.objects.filter(assignee=ada):
        change_status(ticket=ticket, status="in_progress", by=ada.user)
        change_status(ticket=ticket, status="resolved", by=ada.user)
    assert route_waiting() == 2  # the P0 chat to Ada, who now has its 6 units; the e-mail to Bo, released
    assert Ticket.objects.get(pk=p0_chat.pk).assignee == ada
    assert Ticket.objects.get(pk=email.pk).assignee == bo
    assert held() == {}


@pytest.mark.django_db
def test_without_an_sla_target_near_nothing_is_held_and_going_offline_releases_a_hold(clock: Any) -> None:
    clock.set(START)
    desk = build_desk()
    ada, bo = desk["ada"], desk["bo"]
    relaxed = route(waiting(desk, channel="chat", priority=3, due_in=timedelta(hours=20)))  # 3 units, fits nobody, slack 20 h
    assert relaxed.assignee is None and held() == {}
    assert route(waiting(desk, channel="email", priority=2, due_in=timedelta(hours=4))).assignee == ada  # not held: takes work

    urgent = route(waiting(desk, channel="chat", priority=1, due_in=timedelta(minutes=50)))
    assert set(held()) == {ada.pk, bo.pk}
    services.set_availability(agent=bo, availability="offline", by=None)
    assert held() == {ada.pk: urgent.pk}
    Ticket.objects.filter(pk=urgent.pk).update(status="resolved")  # closed without being assigned: its hold lapses
    assert services.holds_for_others([ada.pk], ticket_id=0) == {} and held() == {}


def test_the_core_rule_matches_the_holds_routing_made() -> None:
    """The live holds are ``pick_reservation`` over the desk, as in ``bench/routing_sim.py``'s router."""
    candidates = [
        routing_core.Candidate(agent_id=1, skill_level=4, used_units=4, capacity_units=6, seniority=2, ticket_units=6),
        routing_core.Candidate(agent_id=2, skill_level=3, used_units=5, capacity_units=6, seniority=2, ticket_units=6),
        routing_core.Candidate(agent_id=3, skill_level=None, used_units=0, capacity_units=6, seniority=4, ticket_units=6),
    ]
    assert [c.agent_id for c in routing_core.pick_reservation(candidates, min_level=1)] == [1, 2]  # no stand-in for a hold
    assert routing_core.should_reserve(slack_seconds=15 * 60) and not routing_core.should_reserve(slack_seconds=20 * 3600)


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_parallel_routings_never_hand_a_held_agent_other_work() -> None:
    assert connection.vendor == "postgresql", "this test proves row locking on PostgreSQL: run it with make test"
    desk = build_desk()
    p0_chat = route(waiting(desk, channel="chat", priority=0, due_in=timedelta(minutes=15)))
    assert set(held()) == {desk["ada"].pk, desk["bo"].pk}
    spare = AgentFactory.create(capacity=3)
    spare.teams.add(desk["team"])
    AgentSkillFactory.create(agent=spare, skill=desk["category"].skill, level=2)
    light = [waiting(desk, channel="email", priority=2, due_in=timedelta(hours=3)) for _ in range(20)]
    route_from_ten_threads(light)
    taken = Ticket.objects.filter(pk__in=[t.pk for t in light], assignee__isnull=False)
    assert set(taken.values_list("assignee_id", flat=True)) == {spare.pk} and taken.count() == 3  # only the free agent, to capacity
    assert Ticket.objects.get(pk=p0_chat.pk).assignee is None and set(held()) == {desk["ada"].pk, desk["bo"].pk}
