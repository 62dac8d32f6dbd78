"""Whole stories through intake, the triage task and the real sweep, asserting what a supervisor sees.

The clock is time-machine's in this process: every step calls the real task functions
in-process (a worker subprocess would not see the travelled clock). Where a story says
"the next checks", each check is made due and the test asserts the sweep read the ticket,
so a sweep that never looks cannot pass.
"""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
import time_machine

from agents.models import RoutingRule
from escalation_engine import services, sla
from escalation_engine.models import Escalation, SlaPolicy
from escalation_engine.selectors import escalation_metrics
from escalation_engine.sweep import sweep
from foundation import config_cache
from pipeline import tasks as pipeline_tasks
from tests.conftest import send_from_outbox
from tests.factories import UserFactory
from tickets import services as ticket_services
from tickets import tasks
from tickets.models import Interaction, Ticket, TicketEvent
from tickets.services import receive_contact

MONDAY_10AM = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)
pytestmark = pytest.mark.django_db

ANGRY_LEGAL = (
    "Hello,\n\nthis is the third time I write about the double charge on my card. Nobody answers. "
    "If this is not refunded today, my lawyer will file a claim and we will take legal action.\n\n"
    "Regards,\nDana Fischer\n\n> On Mon, Support wrote:\n> We are looking into it."
)


@pytest.fixture(autouse=True)
def fresh_config() -> None:
    config_cache.clear()


def check_due(ticket: Ticket, at: datetime) -> Any:
    """Make the ticket's check due at ``at`` and run the real sweep; the sweep must read it."""
    Ticket.objects.filter(pk=ticket.pk).update(next_check_at=at)
    result = sweep(now=at)
    assert result.read == 1, "the sweep did not look at the ticket"
    return result


def test_a_dismissed_escalation_stays_quiet_until_the_customer_threatens_again() -> None:
    with time_machine.travel(MONDAY_10AM, tick=False) as clock:
        first = receive_contact(channel="email", customer_email="dana@example.com", subject="Double charge", body=ANGRY_LEGAL)
        pipeline_tasks.triage_ticket.run(first.ticket.pk)
        ticket = Ticket.objects.get(pk=first.ticket.pk)
        (escalation,) = Escalation.objects.filter(ticket=ticket)
        assert escalation.recommendation in ("priority", "immediate") and escalation.contributions["legal"] > 0

        # An agent answers, the supervisor reads it and dismisses: the customer was only venting.
        agent, boss = UserFactory.create(role="agent"), UserFactory.create(role="supervisor")
        reply = ticket_services.add_agent_reply(ticket=ticket, body="We are refunding it now.", by=agent)
        send_from_outbox(f"reply:{reply.pk}")
        services.dismiss_escalation(escalation_id=escalation.pk, by=boss, reason="refund issued, customer informed")

        for minutes in range(10, 110, 10):  # the next ten checks open nothing
            clock.move_to(MONDAY_10AM + timedelta(minutes=minutes))
            assert check_due(ticket, MONDAY_10AM + timedelta(minutes=minutes)).escalated == 0
        assert Escalation.objects.filter(ticket=ticket).count() == 1

        # The customer writes again, answering our mail, with a new threat: new evidence.
        clock.move_to(MONDAY_10AM + timedelta(minutes=115))
        reply.refresh_from_db()
        again = receive_contact(
            channel="email",
            customer_email="dana@example.com",
            subject=f"Re: [#{ticket.pk}] Double charge",
            body="Still no refund on my statement. My attorney is preparing the lawsuit.",
            in_reply_to=[reply.external_message_id],
        )
        assert again.threaded and again.interaction is not None
        tasks.analyze_interaction.run(again.interaction.pk)
        check_due(ticket, MONDAY_10AM + timedelta(minutes=116))

    escalations = list(Escalation.objects.filter(ticket=ticket).order_by("created_at"))
    assert len(escalations) == 2
    re_escalation = escalations[1]
    assert re_escalation.reescalation_of_id == escalation.pk
    assert any("new customer message" in reason for reason in re_escalation.worse_because)
    metrics = escalation_metrics(start=MONDAY_10AM - timedelta(days=1), end=MONDAY_10AM + timedelta(days=1))
    assert metrics["re_escalations"] == 1 and metrics["escalations"] == 2


def test_an_accepted_escalation_is_not_repeated_while_nothing_gets_worse() -> None:
    with time_machine.travel(MONDAY_10AM, tick=False) as clock:
        first = receive_contact(channel="email", customer_email="dana@example.com", subject="Double charge", body=ANGRY_LEGAL)
        pipeline_tasks.triage_ticket.run(first.ticket.pk)
        ticket = Ticket.objects.get(pk=first.ticket.pk)
        escalation = Escalation.objects.get(ticket=ticket)
        services.accept_escalation(escalation_id=escalation.pk, by=UserFactory.create(role="supervisor"))
        ticket_services.add_agent_reply(ticket=ticket, body="A senior colleague has your case.", by=UserFactory.create(role="agent"))
        for minutes in (5, 10, 15, 20, 25):
            clock.move_to(MONDAY_10AM + timedelta(minutes=minutes))
            assert check_due(ticket, MONDAY_10AM + timedelta(minutes=minutes)).escalated == 0
    assert Escalation.objects.filter(ticket=ticket).count() == 1


def test_a_routing_rule_raising_p2_to_p0_recomputes_the_due_times_through_the_real_task() -> None:
    RoutingRule.objects.create(name="outages are P0", order=1, keyword_pattern=r"\bdown\b|outage", set_priority=0)
    with time_machine.travel(MONDAY_10AM, tick=False):
        result = receive_contact(
            channel="email",
            customer_email="ops@example.com",
            subject="Checkout page",
            body="Hi team, checkout has been down for all of our shoppers since 9:40. Thanks, Lee",
        )
        pipeline_tasks.triage_ticket.run(result.ticket.pk)
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert ticket.priority == 0 and ticket.sla_policy == SlaPolicy.objects.get(priority=0, customer_tier="")
    assert ticket.sla_first_response_due_at == MONDAY_10AM + timedelta(minutes=15)
    event = TicketEvent.objects.get(ticket=ticket, kind="reprioritized")
    assert event.detail["source"] == "routing rule outages are P0" and event.detail["to"] == 0


def test_a_bronze_ticket_at_risk_is_escalated_before_the_breach_exactly_once() -> None:
    with time_machine.travel(MONDAY_10AM, tick=False) as clock:
        result = receive_contact(
            channel="email",
            customer_email="sam@example.com",
            subject="Invoice address",
            body="Hello, could you change the address on my last invoice to 12 Park Road? Thank you, Sam",
        )
        pipeline_tasks.triage_ticket.run(result.ticket.pk)
        ticket = Ticket.objects.select_related("sla_policy").get(pk=result.ticket.pk)
        assert ticket.customer.tier == "bronze" and not Escalation.objects.filter(ticket=ticket).exists()
        assert ticket.sla_policy is not None and ticket.sla_first_response_due_at is not None
        target = ticket.sla_policy.first_response_minutes * 60
        at_risk_at = sla.calendar_for(ticket.sla_policy).add(MONDAY_10AM, ticket.sla_policy.at_risk_ratio * target)
        before = at_risk_at - timedelta(hours=1)
        clock.move_to(before)
        assert check_due(ticket, before).escalated == 0  # calm, and not yet at risk
        clock.move_to(at_risk_at + timedelta(minutes=1))
        check_due(ticket, at_risk_at + timedelta(minutes=1))
        escalation = Escalation.objects.get(ticket=ticket)
        assert escalation.sla_status_at_escalation == "at_risk" and not escalation.sla_breached_at_escalation
        assert escalation.recommendation == "priority"
        later = at_risk_at + timedelta(minutes=20)
        clock.move_to(later)
        assert check_due(ticket, later).escalated == 0  # still at risk: once is enough
    assert Escalation.objects.filter(ticket=ticket).count() == 1


@pytest.mark.parametrize("staffed", [True, False])
def test_an_escalation_that_reassigns_the_team_routes_the_ticket_and_never_strands_it(staffed: bool) -> None:
    from escalation_engine.models import EscalationRule
    from tests.factories import AgentFactory, TeamFactory

    first_line, specialists = TeamFactory.create(name="First line"), TeamFactory.create(name="Specialists")
    holder = AgentFactory.create(capacity=10)
    holder.teams.add(first_line)
    expert = AgentFactory.create(capacity=10, availability="online" if staffed else "offline")
    expert.teams.add(specialists)
    EscalationRule.objects.create(name="legal to specialists", order=1, recommendation="immediate", tier="senior_engineer",
                                  reassign_team=specialists)  # fmt: skip
    EscalationRule.objects.create(name="legal to specialists (priority)", order=2, recommendation="priority", tier="senior_engineer",
                                  reassign_team=specialists)  # fmt: skip
    with time_machine.travel(MONDAY_10AM, tick=False):
        result = receive_contact(channel="email", customer_email="dana@example.com", subject="Double charge", body=ANGRY_LEGAL)
        Ticket.objects.filter(pk=result.ticket.pk).update(team=first_line, assignee=holder, status="assigned")
        pipeline_tasks.triage_ticket.run(result.ticket.pk)
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert Escalation.objects.filter(ticket=ticket).count() == 1
    assert ticket.team == specialists
    if staffed:
        assert ticket.assignee == expert and ticket.status == "assigned"
    else:
        assert ticket.assignee is None and ticket.status == "triaged"  # in the specialists' queue, with the reason
        assert TicketEvent.objects.filter(ticket=ticket, kind="queued", detail__team="Specialists").exists()


def test_confirming_the_guessed_category_in_needs_triage_routes_the_ticket_and_records_a_label() -> None:
    from django.test import Client

    from tests.factories import AgentFactory, CategoryFactory, TeamFactory
    from tickets.models import TrainingLabel

    billing = TeamFactory.create(name="Billing")
    category = CategoryFactory.create(slug="billing_question", name="Billing question", team=billing)
    agent = AgentFactory.create(capacity=10)
    agent.teams.add(billing)
    supervisor = UserFactory.create(role="supervisor")
    result = receive_contact(channel="email", customer_email="kim@example.com", subject="hmm", body="the thing from last week, again?")
    Ticket.objects.filter(pk=result.ticket.pk).update(category=category, needs_triage=True, status="triaged", team=None)
    client = Client()
    client.force_login(supervisor)
    client.post(f"/console/ticket/{result.ticket.pk}/category", {"category": "billing_question"})
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert not ticket.needs_triage and ticket.team == billing and ticket.assignee == agent
    label = TrainingLabel.objects.get(ticket=ticket)
    assert (label.field, label.old_value, label.new_value, label.actor) == ("category", "billing_question", "billing_question", supervisor)


def test_a_burst_from_six_customers_opens_one_p0_incident_with_a_clock_and_one_escalation() -> None:
    from escalation_engine.incidents import INCIDENT_CUSTOMER_EMAIL

    # Six shops paste the error their checkout shows; the wording around it differs.
    error = "500 Internal Server Error - POST /checkout/pay - request failed"
    texts = [
        f"Hi, since 10 minutes every order fails. The page says:\n{error}\nCan you check?",
        f"Payment step broken for us.\n\n{error}\n\nBest, Ana",
        f"our customers cannot pay!! {error}",
        f"Hello support, since this morning we see\n> {error}\nThanks",
        f"{error}\nevery attempt. Please help.",
        f"Is there an outage? Our shop shows: {error}",
    ]
    with time_machine.travel(MONDAY_10AM, tick=False) as clock:
        for n, text in enumerate(texts):
            clock.move_to(MONDAY_10AM + timedelta(minutes=n))
            made = receive_contact(channel="email", customer_email=f"shop{n}@example.com", subject="Checkout error", body=text)
            pipeline_tasks.triage_ticket.run(made.ticket.pk)
        clock.move_to(MONDAY_10AM + timedelta(minutes=7))
        sweep(now=MONDAY_10AM + timedelta(minutes=7))
    parents = list(Ticket.objects.filter(is_incident=True))
    assert len(parents) == 1
    parent = parents[0]
    assert parent.priority == 0 and parent.customer.email == INCIDENT_CUSTOMER_EMAIL
    assert parent.sla_policy == SlaPolicy.objects.get(priority=0, customer_tier="") and parent.sla_first_response_due_at is not None
    children = Ticket.objects.filter(incident=parent)
    assert children.count() >= 5
    # One open escalation for the whole burst; a report that escalated on its own before the burst was seen
    # (a shop whose customers cannot pay is a P0 by itself) is folded into it, not left open beside it.
    (escalation,) = Escalation.objects.filter(status=Escalation.Status.OPEN)
    for folded in Escalation.objects.exclude(pk=escalation.pk):
        assert folded.status == Escalation.Status.DEESCALATED and folded.ticket.incident_id == parent.pk
        assert folded.decision_reason == f"Part of incident #{parent.pk}, escalated there."
    assert escalation.ticket == parent and escalation.customers_affected == children.values("customer").distinct().count()


def test_resolving_the_incident_resolves_its_children_with_one_reply_each() -> None:
    from django.core import mail

    from escalation_engine.incidents import detect_burst
    from tests.factories import CategoryFactory, CustomerFactory, TicketFactory

    category = CategoryFactory.create(slug="technical_support")
    children = [
        TicketFactory.create(category=category, customer=CustomerFactory.create(), status="triaged", subject="Checkout error 500",
                             body=f"Checkout fails with error 500 (shop {n})", created_at=MONDAY_10AM - timedelta(minutes=n))
        for n in range(5)
    ]  # fmt: skip
    with time_machine.travel(MONDAY_10AM, tick=False):
        incident = detect_burst(ticket_id=children[0].pk, now=MONDAY_10AM)
        assert incident is not None
        boss = UserFactory.create(role="supervisor")
        ticket_services.change_status(ticket=incident, status="resolved", by=boss)
        for reply in Interaction.objects.filter(author_kind="agent"):
            send_from_outbox(f"reply:{reply.pk}")
    for child in Ticket.objects.filter(pk__in=[c.pk for c in children]):
        assert child.status == "resolved"
        assert child.interactions.filter(author_kind="agent", body__contains=incident.reference).count() == 1
        assert TicketEvent.objects.filter(ticket=child, kind="resolved_with_incident", actor=boss).exists()
    assert sorted(message.to[0] for message in mail.outbox) == sorted(c.customer.email for c in children)
    assert TicketEvent.objects.get(ticket=incident, kind="incident_children_resolved").detail["tickets"] == sorted(c.pk for c in children)


def test_an_assigned_ticket_at_risk_tells_the_assignee_and_the_team_supervisor_once() -> None:
    from escalation_engine.models import Notification
    from tests.factories import AgentFactory, TeamFactory

    team = TeamFactory.create(name="Billing")
    holder = AgentFactory.create(capacity=10, user=UserFactory.create(role="agent", email="alex@desk.example"))
    holder.teams.add(team)
    AgentFactory.create(user=UserFactory.create(role="supervisor", email="sam@desk.example")).teams.add(team)
    with time_machine.travel(MONDAY_10AM, tick=False) as clock:
        result = receive_contact(channel="email", customer_email="sam@example.com", subject="Invoice address",
                                 body="Hello, could you change the address on my last invoice to 12 Park Road? Thank you")  # fmt: skip
        pipeline_tasks.triage_ticket.run(result.ticket.pk)
        Ticket.objects.filter(pk=result.ticket.pk).update(team=team, assignee=holder, status="assigned")
        ticket = Ticket.objects.select_related("sla_policy").get(pk=result.ticket.pk)
        assert ticket.sla_policy is not None
        at_risk = sla.calendar_for(ticket.sla_policy).add(ticket.created_at, 0.8 * ticket.sla_policy.first_response_minutes * 60)
        for later in (at_risk, at_risk + timedelta(minutes=15)):
            clock.move_to(later)
            check_due(ticket, later)
    assert Escalation.objects.filter(ticket=ticket).count() == 1
    assert sorted(Notification.objects.filter(channel="email").values_list("target", flat=True)) == [
        "alex@desk.example",
        "sam@desk.example",
    ]


def test_each_sla_target_at_risk_is_escalated_once() -> None:
    """First response at risk → one escalation (accepted); answered; the resolution clock at risk later → one more."""
    with time_machine.travel(MONDAY_10AM, tick=False) as clock:
        result = receive_contact(channel="email", customer_email="sam@example.com", subject="Invoice address",
                                 body="Hello, could you change the address on my last invoice to 12 Park Road? Thank you, Sam")  # fmt: skip
        pipeline_tasks.triage_ticket.run(result.ticket.pk)
        ticket = Ticket.objects.select_related("sla_policy").get(pk=result.ticket.pk)
        policy = ticket.sla_policy
        assert policy is not None
        calendar = sla.calendar_for(policy)
        first_at_risk = calendar.add(MONDAY_10AM, 0.8 * policy.first_response_minutes * 60)
        clock.move_to(first_at_risk)
        check_due(ticket, first_at_risk)
        first = Escalation.objects.get(ticket=ticket)
        assert first.sla_target_at_escalation == "first_response"
        services.accept_escalation(escalation_id=first.pk, by=UserFactory.create(role="supervisor"))
        ticket_services.add_agent_reply(ticket=Ticket.objects.get(pk=ticket.pk), body="Done, the address is changed.",
                                        by=UserFactory.create(role="agent"))  # fmt: skip
        clock.move_to(first_at_risk + timedelta(minutes=30))
        assert check_due(ticket, first_at_risk + timedelta(minutes=30)).escalated == 0  # answered: nothing pressing
        resolution_at_risk = calendar.add(MONDAY_10AM, 0.8 * policy.resolution_minutes * 60)
        clock.move_to(resolution_at_risk)
        check_due(ticket, resolution_at_risk)
        clock.move_to(resolution_at_risk + timedelta(minutes=20))
        check_due(ticket, resolution_at_risk + timedelta(minutes=20))
    second = Escalation.objects.filter(ticket=ticket).exclude(pk=first.pk).get()
    assert second.sla_target_at_escalation == "resolution" and second.reescalation_of_id == first.pk
    assert any("another target: resolution" in reason for reason in second.worse_because)
