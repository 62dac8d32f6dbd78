"""50 routings at once on real PostgreSQL never push any agent over capacity."""

import threading

import pytest
from django.db import connection, connections
from django.utils import timezone

from agents import services
from tests.factories import AgentFactory, AgentSkillFactory, CategoryFactory, SkillFactory, TeamFactory, TicketFactory
from tickets.models import OPEN_STATUSES, Ticket

pytestmark = [pytest.mark.integration, pytest.mark.django_db(transaction=True)]


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
    for agent in agents:
        assert Ticket.objects.filter(assignee=agent, status__in=OPEN_STATUSES).count() == agent.capacity
    assert not Ticket.objects.filter(assignee=offline).exists()
    assert Ticket.objects.filter(assignee__isnull=True).count() == 50 - 15
