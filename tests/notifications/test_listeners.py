"""Each kind of agent notification comes from the event a lower layer announces, once, to the right agent."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from agents.services import assign_ticket, route_ticket
from escalation_engine import services as escalation_services
from escalation_engine.models import Escalation, SlaPolicy
from escalation_engine.sweep import sweep
from foundation.events import REGISTRY
from notifications.models import AgentNotification, Kind
from notifications.services import mentioned_agents
from tests.factories import AgentFactory, TeamFactory, TicketFactory, UserFactory
from tickets import services as ticket_services
from tickets.models import Channel

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.travel(NOW)]


def agent_named(username: str, first: str = "", last: str = "", team: Any = None, role: str = "agent") -> Any:
    agent = AgentFactory.create(user=UserFactory.create(username=username, first_name=first, last_name=last, role=role))
    if team is not None:
        agent.teams.add(team)
    return agent


def kinds_of(agent: Any) -> list[str]:
    return list(AgentNotification.objects.filter(recipient=agent).order_by("pk").values_list("kind", flat=True))


def test_every_notification_listener_is_connected_to_its_event() -> None:
    wired = {
        name: [fn.__qualname__ for _, fn in event.listeners if fn.__module__ == "notifications.services"]
        for name, event in REGISTRY.items()
    }
    assert wired["ticket_assigned"] == ["on_ticket_assigned"] and wired["customer_wrote"] == ["on_customer_wrote"]
    assert wired["note_added"] == ["on_note_added"] and "on_sla_status_changed" in wired["sla_status_changed"]
    assert wired["escalation_decided"] == ["on_escalation_decided"]


def test_a_supervisors_assignment_notifies_the_new_assignee_once() -> None:
    team = TeamFactory.create()
    ana, boss = agent_named("ana", team=team), UserFactory.create(role="supervisor", username="sam")
    ticket = TicketFactory.create(team=team, status="triaged", subject="Invoice charged twice")
    assign_ticket(ticket=ticket, agent=ana, by=boss)
    assign_ticket(ticket=ticket, agent=ana, by=boss)  # already theirs: nothing happens, nothing new
    row = AgentNotification.objects.get(recipient=ana)
    assert row.kind == Kind.ASSIGNED and row.actor == boss and row.ticket == ticket
    assert "assigned to you by sam" in row.text and "Invoice charged twice" in row.text and row.read_at is None


def test_a_reassignment_tells_the_new_agent_and_not_the_old_one() -> None:
    team = TeamFactory.create()
    ana, ben = agent_named("ana", team=team), agent_named("ben", team=team)
    boss = UserFactory.create(role="supervisor")
    ticket = TicketFactory.create(team=team, status="triaged")
    assign_ticket(ticket=ticket, agent=ana, by=boss)
    assign_ticket(ticket=ticket, agent=ben, by=boss)
    assert kinds_of(ana) == ["assigned"] and kinds_of(ben) == ["assigned"]


def test_routing_notifies_the_agent_it_chose() -> None:
    team = TeamFactory.create()
    ana = agent_named("ana", team=team)
    ticket = TicketFactory.create(team=team, status="triaged")
    route_ticket(ticket=ticket)
    ticket.refresh_from_db()
    assert ticket.assignee == ana
    assert "by routing" in AgentNotification.objects.get(recipient=ana, kind=Kind.ASSIGNED).text


def test_a_customer_reply_notifies_the_assignee_only() -> None:
    team = TeamFactory.create()
    ana, ben = agent_named("ana", team=team), agent_named("ben", team=team)
    ticket = TicketFactory.create(team=team, status="in_progress", assignee=ana, subject="Card declined at checkout")
    ticket_services.receive_contact(
        channel=Channel.WEB_FORM,
        customer_email=ticket.customer.email,
        subject="Re: Card declined at checkout",
        body="Still declined this morning, tried two cards.\n\n> On Monday you wrote:\n> please try again",
        thread_onto=ticket,
    )
    row = AgentNotification.objects.get(recipient=ana)
    assert row.kind == Kind.CUSTOMER_REPLIED and ticket.customer.email in row.text
    assert kinds_of(ben) == []


def test_a_reply_on_an_unassigned_ticket_notifies_nobody() -> None:
    ticket = TicketFactory.create(status="triaged")
    ticket_services.receive_contact(
        channel=Channel.WEB_FORM, customer_email=ticket.customer.email, subject="Re: help", body="any news?", thread_onto=ticket
    )
    assert not AgentNotification.objects.exists()


def test_a_mention_notifies_exactly_the_mentioned_agents_and_never_the_author() -> None:
    team = TeamFactory.create()
    author = agent_named("carla", "Carla", "Diaz", team=team)
    ana = agent_named("ana.lopez", "Ana", "Lopez", team=team)
    ben = agent_named("ben", "Ben", "Okafor", team=team)
    agent_named("anabel", "Anabel", "Stone", team=team)  # a prefix of ana's name: not mentioned
    bystander = agent_named("dora", "Dora", "Kim", team=team)
    ticket = TicketFactory.create(team=team, status="in_progress", assignee=author)
    ticket_services.add_agent_reply(
        ticket=ticket,
        body="@ana.lopez can you check the refund? Also @Ben Okafor, the customer says the card was charged twice. cc @carla",
        by=author.user,
        internal=True,
    )
    assert kinds_of(ana) == ["mentioned"] and kinds_of(ben) == ["mentioned"]
    assert kinds_of(author) == [] and kinds_of(bystander) == []
    assert AgentNotification.objects.count() == 2
    assert "carla mentioned you" in AgentNotification.objects.get(recipient=ana).text


def test_a_public_reply_with_an_at_sign_mentions_nobody() -> None:
    team = TeamFactory.create()
    author, ana = agent_named("carla", team=team), agent_named("ana", team=team)
    ticket = TicketFactory.create(team=team, status="in_progress", assignee=author)
    ticket_services.add_agent_reply(ticket=ticket, body="Hi, write to @ana or billing@ana.example", by=author.user)
    assert kinds_of(ana) == []


def test_a_mention_of_an_agent_outside_the_ticket_team_is_not_delivered() -> None:
    team, other = TeamFactory.create(), TeamFactory.create()
    author, outsider = agent_named("carla", team=team), agent_named("olga", team=other)
    ticket = TicketFactory.create(team=team, status="in_progress", assignee=author)
    ticket_services.add_agent_reply(ticket=ticket, body="@olga any idea?", by=author.user, internal=True)
    assert kinds_of(outsider) == []


def test_mention_parsing_ignores_e_mail_addresses_and_trailing_punctuation() -> None:
    ana = agent_named("ana", "Ana", "Lopez")
    agent_named("ben", "Ben", "Okafor")
    assert mentioned_agents("ask ben@corp.example, not me") == []
    assert mentioned_agents("thanks @ana.") == [ana]
    assert mentioned_agents("thanks @ANA LOPEZ!") == [ana]


def test_sla_breach_notifies_the_assignee_once_per_clock() -> None:
    ana = agent_named("ana")
    policy = SlaPolicy.objects.filter(customer_tier="", team=None, priority=2).first()
    ticket = TicketFactory.create(
        status="assigned",
        assignee=ana,
        priority=2,
        sla_policy=policy,
        sla_status="ok",
        sla_first_response_due_at=NOW - timedelta(minutes=5),
        sla_resolution_due_at=NOW + timedelta(days=3),
        next_check_at=NOW - timedelta(minutes=1),
    )
    sweep(now=NOW)
    ticket.refresh_from_db()
    assert ticket.sla_status == "breached"
    row = AgentNotification.objects.get(recipient=ana)
    assert row.kind == Kind.SLA_BREACHED and "first response SLA breached" in row.text
    ticket.next_check_at = NOW
    ticket.sla_status = "ok"  # the same clock found breached again later: still one notification
    ticket.save(update_fields=["next_check_at", "sla_status"])
    sweep(now=NOW + timedelta(minutes=2))
    assert AgentNotification.objects.filter(recipient=ana).count() == 1


def test_an_escalation_decision_notifies_the_assignee_not_the_decider() -> None:
    ana = agent_named("ana")
    boss = UserFactory.create(role="supervisor", username="sam")
    ticket = TicketFactory.create(status="in_progress", assignee=ana)
    escalation = Escalation.objects.create(ticket=ticket, tier="senior_support", score=0.7, recommendation="priority", created_at=NOW)
    escalation_services.dismiss_escalation(escalation_id=escalation.pk, by=boss, reason="customer was joking")
    row = AgentNotification.objects.get(recipient=ana)
    assert row.kind == Kind.ESCALATION_DECIDED and "dismissed (false positive) by sam" in row.text


def test_a_supervisor_deciding_on_their_own_ticket_is_not_told() -> None:
    boss = agent_named("sam", role="supervisor")
    ticket = TicketFactory.create(status="in_progress", assignee=boss)
    escalation = Escalation.objects.create(ticket=ticket, tier="senior_support", score=0.7, recommendation="priority", created_at=NOW)
    escalation_services.accept_escalation(escalation_id=escalation.pk, by=boss.user)
    assert not AgentNotification.objects.exists()
