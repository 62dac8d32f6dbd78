"""Routings at once on real PostgreSQL never push any agent over capacity, in open tickets or in units."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from agents import services
from agents.models import Agent, CapacityProfile
from tests.factories import AgentFactory, AgentSkillFactory, CategoryFactory, SkillFactory, TeamFactory, TicketFactory
from tickets.models import OPEN_STATUSES, Ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


def route_from_ten_threads(tickets: list[Ticket]) -> None:
    """Route the tickets from ten threads that start together, each on its own connection; any error fails the test."""
    barrier = threading.Barrier(10)
    errors: list[BaseException] = []

    def worker(batch: list[Ticket]) -> None:
        try:
            barrier.wait()
            for t in batch:
                services.route_ticket(ticket=t)
        except BaseException as exc:  # noqa: BLE001 - surfaced by the assertion below
            errors.append(exc)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker, args=(tickets[i::10],)) for i in range(10)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert not errors, errors


def test_fifty_parallel_routings_respect_capacity() -> None:
    assert connection.vendor == "postgresql", "this test proves row locking on PostgreSQL: run it with make test"
    team = TeamFactory.create()
    skill = SkillFactory.create()
    category = CategoryFactory.create(skill=skill, team=team)
    agents = [AgentFactory.create(capacity=capacity) for capacity in (3, 5, 7)]
    offline = AgentFactory.create(capacity=50, availability="offline")
    for agent in [*agents, offline]:
        agent.teams.add(team)
        AgentSkillFactory.create(agent=agent, skill=skill, level=3)
    tickets = [TicketFactory.create(category=category, status="triaged", triaged_at=timezone.now()) for _ in range(50)]
    route_from_ten_threads(tickets)
    for agent in agents:
        assert Ticket.objects.filter(assignee=agent, status__in=OPEN_STATUSES).count() == agent.capacity
    assert not Ticket.objects.filter(assignee=offline).exists()
    assert Ticket.objects.filter(assignee__isnull=True).count() == 50 - 15


def test_parallel_routings_never_exceed_capacity_units() -> None:
    """Chats weigh 3 and e-mails 1 (P0 ×2): 60 mixed tickets routed from 10 threads at once."""
    assert connection.vendor == "postgresql", "this test proves row locking on PostgreSQL: run it with make test"
    team = TeamFactory.create()
    skill = SkillFactory.create()
    category = CategoryFactory.create(skill=skill, team=team)
    profiles = [
        CapacityProfile.objects.create(
            name=f"{units} units", total_units=units, channel_weights={"chat": 3, "email": 1}, priority_multipliers={"0": 2}
        )
        for units in (4, 6, 7)
    ]
    agents = [AgentFactory.create(capacity=100, capacity_profile=profile) for profile in profiles]
    for agent in agents:
        agent.teams.add(team)
        AgentSkillFactory.create(agent=agent, skill=skill, level=3)
    kinds = [("chat", 2), ("email", 2), ("email", 0), ("chat", 3), ("email", 3)]
    tickets = [
        TicketFactory.create(
            category=category, status="triaged", triaged_at=timezone.now(), channel=kinds[i % 5][0], priority=kinds[i % 5][1]
        )
        for i in range(60)
    ]
    route_from_ten_threads(tickets)
    by_pk = {agent.pk: Agent.objects.select_related("capacity_profile").get(pk=agent.pk) for agent in agents}
    used = services.units_in_use(by_pk)
    for agent in by_pk.values():
        assert used[agent.pk] <= agent.capacity_spec().total_units, (agent, used[agent.pk])
    # Whatever is left waiting did not fit anywhere: the desk is as full as the units allow.
    left = list(Ticket.objects.filter(assignee__isnull=True))
    assert left, "60 tickets are more than 17 units can carry"
    for t in left:
        for agent in by_pk.values():
            assert used[agent.pk] + services.ticket_units(t, agent) > agent.capacity_spec().total_units, (t.pk, agent)
