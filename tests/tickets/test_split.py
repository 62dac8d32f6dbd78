"""Split: the chosen messages move to a new ticket of the same customer, triaged and routed as new."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from escalation_engine import sla
from tests.factories import AgentFactory, CustomerFactory, InteractionFactory, TeamFactory, TicketFactory, UserFactory
from tickets import services
from tickets.models import AuthorKind, Interaction, Ticket, TicketEvent

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.travel(MONDAY_9AM)]


@pytest.fixture
def clock(clock: Any) -> Any:
    clock.set(MONDAY_9AM)
    return clock


@pytest.fixture
def thread(clock: Any) -> dict[str, Any]:
    """A customer wrote about two problems; the agent answered the first; the customer then asked about the invoice."""
    team = TeamFactory.create(slug="support")
    agent = AgentFactory.create()
    agent.teams.add(team)
    customer = CustomerFactory.create(name="Jonas Weber", email="jonas@example.test")
    ticket = TicketFactory.create(customer=customer, team=team, assignee=agent, status="assigned", created_at=MONDAY_9AM, subject="Login")
    sla.apply_start(ticket, now=MONDAY_9AM)
    ticket.save()
    at = MONDAY_9AM

    def write(body: str, minutes: int, kind: str = AuthorKind.CUSTOMER, internal: bool = False) -> Interaction:
        clock.set(at + timedelta(minutes=minutes))
        if kind == AuthorKind.CUSTOMER:
            message = InteractionFactory.create(ticket=ticket, body=body, created_at=at + timedelta(minutes=minutes))
            if minutes:
                locked = Ticket.objects.get(pk=ticket.pk)
                sla.apply_customer_message(locked, at=at + timedelta(minutes=minutes))
                locked.save()
            return message
        return services.add_agent_reply(ticket=ticket, body=body, by=agent.user, internal=internal)

    first = write("I cannot log in since the update.", 0)
    answer = write("Please clear the app cache and try again.", 10, AuthorKind.AGENT)
    invoice = write("Also, my November invoice charges me twice.", 20)
    note = write("Billing should look at the double charge.", 25, AuthorKind.AGENT, internal=True)
    clock.set(at + timedelta(minutes=30))
    return {"ticket": ticket, "agent": agent, "first": first, "answer": answer, "invoice": invoice, "note": note}


def test_split_moves_exactly_the_chosen_messages_and_audits_both_tickets(thread: dict[str, Any]) -> None:
    ticket, agent = thread["ticket"], thread["agent"]
    before = Ticket.objects.get(pk=ticket.pk)
    assert before.sla_next_response_due_at is not None  # the invoice question is waiting for an answer
    new = services.split_ticket(
        ticket=ticket, interaction_ids=[thread["invoice"].pk, thread["note"].pk], by=agent.user, subject="Double charge on invoice"
    )
    assert set(Interaction.objects.filter(ticket=new).values_list("pk", flat=True)) == {thread["invoice"].pk, thread["note"].pk}
    assert set(Interaction.objects.filter(ticket=ticket).values_list("pk", flat=True)) == {thread["first"].pk, thread["answer"].pk}
    assert (new.customer_id, new.subject, new.body, new.status) == (
        ticket.customer_id,
        "Double charge on invoice",
        thread["invoice"].body,
        "new",
    )
    assert new.created_at == MONDAY_9AM + timedelta(minutes=30) and new.agent_reply_count == 0 and new.first_response_at is None
    assert new.sla_first_response_due_at is not None  # the invoice question waits for its first answer, from the split
    source = Ticket.objects.get(pk=ticket.pk)
    assert source.agent_reply_count == 1 and source.first_response_at == MONDAY_9AM + timedelta(minutes=10)
    assert source.sla_next_response_due_at is None  # its only unanswered question moved away
    assert (source.sla_resolution_due_at, source.status) == (before.sla_resolution_due_at, before.status)
    moved = [thread["invoice"].pk, thread["note"].pk]
    split_to = TicketEvent.objects.get(ticket=ticket, kind="split_to")
    assert split_to.detail == {"ticket": new.pk, "messages": moved} and split_to.actor == agent.user
    assert TicketEvent.objects.get(ticket=new, kind="split_from").detail == {"ticket": ticket.pk, "messages": moved}
    assert TicketEvent.objects.get(ticket=new, kind="created").detail["split_from"] == ticket.pk


def test_a_split_off_answered_question_keeps_its_first_response(thread: dict[str, Any]) -> None:
    new = services.split_ticket(ticket=thread["ticket"], interaction_ids=[thread["first"].pk, thread["answer"].pk], by=thread["agent"].user)
    new = Ticket.objects.get(pk=new.pk)
    assert new.first_response_at == MONDAY_9AM + timedelta(minutes=10) and new.agent_reply_count == 1
    # Its clocks run from the split: answered, so no first-response or next-response clock; the resolution clock on P2.
    assert (new.sla_first_response_due_at, new.sla_next_response_due_at) == (None, None)
    assert new.sla_policy is not None and new.sla_policy.priority == 2 and new.sla_resolution_due_at is not None
    source = Ticket.objects.get(pk=thread["ticket"].pk)
    assert source.agent_reply_count == 0 and source.sla_next_response_due_at is not None  # the invoice question still waits


def test_a_split_off_unanswered_follow_up_starts_the_new_tickets_next_response_clock(thread: dict[str, Any]) -> None:
    chosen = [thread[k].pk for k in ("first", "answer", "invoice")]
    new = Ticket.objects.get(pk=services.split_ticket(ticket=thread["ticket"], interaction_ids=chosen, by=thread["agent"].user).pk)
    split_at = MONDAY_9AM + timedelta(minutes=30)
    policy = new.sla_policy
    assert policy is not None
    assert new.sla_next_response_due_at == sla.calendar_for(policy).add(split_at, policy.next_response_minutes * 60)
    assert new.sla_first_response_due_at is None and new.sla_status == "ok"
    source = Ticket.objects.get(pk=thread["ticket"].pk)
    assert source.sla_next_response_due_at is None and list(source.interactions.values_list("pk", flat=True)) == [thread["note"].pk]


def test_the_new_ticket_is_triaged_and_routed_after_commit(thread: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        new = services.split_ticket(ticket=thread["ticket"], interaction_ids=[thread["invoice"].pk], by=thread["agent"].user)
    assert callbacks, "triage is enqueued only after commit"
    triaged = Ticket.objects.get(pk=new.pk)
    assert triaged.triaged_at is not None and triaged.status in ("triaged", "assigned") and triaged.sla_policy_id is not None
    assert triaged.sla_resolution_due_at is not None and triaged.sla_resolution_due_at > triaged.created_at


def test_split_is_refused_across_customers_without_a_choice_and_for_every_message(thread: dict[str, Any]) -> None:
    ticket, user = thread["ticket"], thread["agent"].user
    stranger = InteractionFactory.create(ticket=TicketFactory.create(customer=CustomerFactory.create()), body="Not yours")
    same_customer_elsewhere = InteractionFactory.create(ticket=TicketFactory.create(customer=ticket.customer))
    every = [thread[k].pk for k in ("first", "answer", "invoice", "note")]
    cases = [
        ([stranger.pk], "another customer's ticket"),
        ([thread["invoice"].pk, stranger.pk], "another customer's ticket"),
        ([same_customer_elsewhere.pk], f"Only messages of ticket #{ticket.pk}"),
        ([], "Choose the messages"),
        (every, "Leave at least one message"),
        ([thread["answer"].pk, thread["note"].pk], "at least one message from the customer"),
        ([10**12], f"Only messages of ticket #{ticket.pk}"),
    ]
    for ids, message in cases:
        with pytest.raises(ValidationError, match=message):
            services.split_ticket(ticket=ticket, interaction_ids=ids, by=user)
    assert Ticket.objects.count() == 3 and Interaction.objects.filter(ticket=ticket).count() == 4
    assert not TicketEvent.objects.filter(kind__in=["split_to", "split_from"]).exists()


def test_the_console_splits_the_ticked_messages(thread: dict[str, Any]) -> None:
    client = Client()
    client.force_login(thread["agent"].user)
    ticket = thread["ticket"]
    page = client.get(f"/console/ticket/{ticket.pk}/").text
    assert f'name="messages" value="{thread["invoice"].pk}" form="split-form"' in page
    response = client.post(f"/console/ticket/{ticket.pk}/split", {"messages": [thread["invoice"].pk], "subject": "Invoice"})
    assert response.status_code == 302 and response["Location"] == f"/console/ticket/{ticket.pk}/"
    new = Ticket.objects.exclude(pk=ticket.pk).get()
    assert new.subject == "Invoice" and list(new.interactions.values_list("pk", flat=True)) == [thread["invoice"].pk]
    refused = client.post(f"/console/ticket/{ticket.pk}/split", {"messages": ["abc"]}, follow=True)
    assert "Tick the messages to move to a new ticket." in refused.text
    outsider = Client()
    outsider.force_login(UserFactory.create(role="agent"))
    assert outsider.post(f"/console/ticket/{ticket.pk}/split", {"messages": [thread["first"].pk]}).status_code == 404
    assert Interaction.objects.get(pk=thread["first"].pk).ticket_id == ticket.pk
