"""Supervisors accept, dismiss, de-escalate and override escalations; one of two wins; metrics add up."""

import threading
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection, connections
from rest_framework.test import APIClient

from escalation_engine import services
from escalation_engine.models import Escalation
from escalation_engine.selectors import escalation_metrics
from tests.factories import AgentFactory, TicketFactory, UserFactory
from tickets.models import TicketEvent

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.travel(NOW)


def open_escalation(**ticket_fields: Any) -> Escalation:
    ticket = TicketFactory.create(status="triaged", **ticket_fields)
    return Escalation.objects.create(
        ticket=ticket, tier="senior_support", score=0.7, recommendation="priority", created_at=ticket.created_at + timedelta(minutes=30)
    )


def api_as(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.mark.django_db
def test_accept_then_a_second_decision_is_a_conflict() -> None:
    escalation = open_escalation()
    first, second = UserFactory.create(role="supervisor", username="sam"), UserFactory.create(role="supervisor")
    services.accept_escalation(escalation_id=escalation.pk, by=first)
    with pytest.raises(services.EscalationConflict, match="already accepted by sam"):
        services.dismiss_escalation(escalation_id=escalation.pk, by=second, reason="not urgent")
    escalation.refresh_from_db()
    assert escalation.status == "accepted" and escalation.decided_by == first
    assert TicketEvent.objects.filter(ticket=escalation.ticket, kind="escalation_accepted", actor=first).exists()


@pytest.mark.django_db
def test_dismiss_needs_a_reason_and_counts_as_false_positive() -> None:
    boss = UserFactory.create(role="supervisor")
    kept, dismissed = open_escalation(), open_escalation()
    with pytest.raises(Exception, match="false positive"):
        services.dismiss_escalation(escalation_id=dismissed.pk, by=boss, reason=" ")
    services.dismiss_escalation(escalation_id=dismissed.pk, by=boss, reason="customer was joking")
    services.accept_escalation(escalation_id=kept.pk, by=boss)
    metrics = escalation_metrics(start=NOW - timedelta(days=30), end=NOW + timedelta(days=1))
    assert metrics["false_positive_rate"] == 0.5 and metrics["escalations"] == 2


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_two_supervisors_at_once_one_wins() -> None:
    assert connection.vendor == "postgresql"
    escalation = open_escalation()
    bosses = [UserFactory.create(role="supervisor") for _ in range(2)]
    outcomes: list[str] = []
    barrier = threading.Barrier(2)

    def act(boss: Any, how: str) -> None:
        try:
            barrier.wait()
            if how == "accept":
                services.accept_escalation(escalation_id=escalation.pk, by=boss)
            else:
                services.dismiss_escalation(escalation_id=escalation.pk, by=boss, reason="no")
            outcomes.append("won")
        except services.EscalationConflict:
            outcomes.append("conflict")
        finally:
            connections.close_all()

    threads = [threading.Thread(target=act, args=(bosses[0], "accept")), threading.Thread(target=act, args=(bosses[1], "dismiss"))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert sorted(outcomes) == ["conflict", "won"]


@pytest.mark.django_db
def test_api_inbox_and_actions_for_supervisors_only() -> None:
    escalation = open_escalation()
    boss = api_as(UserFactory.create(role="supervisor"))
    inbox = boss.get("/api/v1/escalations/")
    assert inbox.status_code == 200 and [row["id"] for row in inbox.json()] == [escalation.pk]
    assert api_as(UserFactory.create(role="agent")).get("/api/v1/escalations/").status_code == 403
    assert api_as(UserFactory.create(role="agent")).post(f"/api/v1/escalations/{escalation.pk}/accept").status_code == 403
    assert boss.post(f"/api/v1/escalations/{escalation.pk}/dismiss", {"reason": ""}, format="json").status_code == 400
    assert boss.post(f"/api/v1/escalations/{escalation.pk}/deescalate", {"reason": "calm again"}, format="json").status_code == 200
    conflict = boss.post(f"/api/v1/escalations/{escalation.pk}/accept")
    assert conflict.status_code == 409 and "de-escalated" in conflict.json()["detail"]
    assert boss.post("/api/v1/escalations/999999/accept").status_code == 404


@pytest.mark.django_db
def test_override_tier_priority_and_assignee_is_audited() -> None:
    escalation = open_escalation(priority=2)
    agent = AgentFactory.create(availability="online")
    boss = api_as(UserFactory.create(role="supervisor"))
    response = boss.post(
        f"/api/v1/escalations/{escalation.pk}/override", {"tier": "executive", "priority": 0, "assignee_id": agent.pk}, format="json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["tier"] == "executive"
    ticket = escalation.ticket
    ticket.refresh_from_db()
    assert ticket.priority == 0 and ticket.assignee == agent
    kinds = set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert {"escalation_overridden", "reprioritized", "assigned"} <= kinds
    offline = AgentFactory.create(availability="offline")
    busy = boss.post(f"/api/v1/escalations/{escalation.pk}/override", {"assignee_id": offline.pk}, format="json")
    assert busy.status_code == 409 and "offline" in busy.json()["detail"]


@pytest.mark.django_db
def test_metrics_against_hand_computed_values() -> None:
    created = NOW - timedelta(days=1)
    tickets = [TicketFactory.create(created_at=created) for _ in range(4)]
    first = Escalation.objects.create(
        ticket=tickets[0], tier="senior_support", score=0.7, recommendation="priority", created_at=created + timedelta(minutes=30),
        status="deescalated", decided_at=created + timedelta(minutes=45),
    )  # fmt: skip
    Escalation.objects.create(
        ticket=tickets[0],
        reescalation_of=first,  # worse after the decision: a re-escalation
        tier="executive",
        score=0.9,
        recommendation="immediate",
        created_at=created + timedelta(minutes=90),
        status="accepted",
        sla_breached_at_escalation=True,
    )
    Escalation.objects.create(
        ticket=tickets[1],
        tier="on_call",
        score=0.85,
        recommendation="immediate",
        created_at=created + timedelta(minutes=60),
        status="dismissed",
    )
    metrics = escalation_metrics(start=NOW - timedelta(days=2), end=NOW)
    assert metrics["tickets"] == 4 and metrics["escalated_tickets"] == 2
    assert metrics["escalation_rate"] == 0.5
    assert metrics["re_escalation_rate"] == 0.5 and metrics["re_escalations"] == 1  # ticket 0, after its first was decided
    assert metrics["false_positive_rate"] == pytest.approx(1 / 3, abs=1e-4)
    assert metrics["mean_minutes_to_escalate"] == 60.0
    assert (metrics["escalated_before_breach"], metrics["escalated_after_breach"]) == (2, 1)
    assert metrics["routing_accuracy"] == 1.0
