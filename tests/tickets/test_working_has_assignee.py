"""Nobody's ticket is never "assigned" or "in progress": the database refuses it, the services claim or queue instead."""

from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, transaction
from django.db.migrations.executor import MigrationExecutor
from django.test import Client

from analytics.csat import _follow_up
from analytics.models import SatisfactionSurvey
from tests.factories import AgentFactory, TeamFactory, TicketFactory
from tickets.models import Ticket, TicketEvent
from tickets.services import add_agent_reply, change_status

pytestmark = pytest.mark.django_db


def test_the_database_refuses_a_working_ticket_without_an_assignee() -> None:
    ticket = TicketFactory.create(status="triaged")
    for status in ("assigned", "in_progress"):
        with pytest.raises(IntegrityError), transaction.atomic():
            Ticket.objects.filter(pk=ticket.pk).update(status=status)
    agent = AgentFactory.create()
    Ticket.objects.filter(pk=ticket.pk).update(status="in_progress", assignee=agent)  # with someone on it: fine
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(assignee=None)


def test_an_agent_who_answers_an_unassigned_ticket_takes_it() -> None:
    agent = AgentFactory.create()
    ticket = TicketFactory.create(status="triaged", subject="Export fails")
    add_agent_reply(ticket=ticket, body="Looking at your export now.", by=agent.user)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id) == ("in_progress", agent.pk) and ticket.assigned_at is not None
    claimed = TicketEvent.objects.get(ticket=ticket, kind="assigned")
    assert claimed.actor == agent.user and claimed.detail["why"] == "claimed by answering it"


def test_an_answer_from_someone_who_is_not_an_agent_leaves_the_ticket_in_the_queue(make_user: Any) -> None:
    admin = make_user(role="admin")  # a user without an agent profile
    ticket = TicketFactory.create(status="triaged")
    add_agent_reply(ticket=ticket, body="Forwarding to the team.", by=admin)
    ticket.refresh_from_db()
    assert (ticket.status, ticket.assignee_id, ticket.agent_reply_count) == ("triaged", None, 1)
    assert not TicketEvent.objects.filter(ticket=ticket, kind="assigned").exists()


def test_starting_work_claims_the_ticket_or_is_refused_with_a_reason(make_user: Any) -> None:
    agent = AgentFactory.create()
    mine = change_status(ticket=TicketFactory.create(status="triaged"), status="in_progress", by=agent.user)
    assert (mine.status, mine.assignee_id) == ("in_progress", agent.pk)
    nobody = TicketFactory.create(status="new")
    with pytest.raises(ValidationError, match="Assign the ticket"):
        change_status(ticket=nobody, status="in_progress", by=make_user(role="admin"))
    assert Ticket.objects.get(pk=nobody.pk).status == "new"


def test_the_console_answers_a_refused_start_with_the_reason_not_an_error_page(make_user: Any) -> None:
    supervisor = make_user(role="supervisor")  # may see every ticket, has no agent profile
    ticket = TicketFactory.create(status="new")
    client = Client()
    client.force_login(supervisor)
    response = client.post(f"/console/ticket/{ticket.pk}/status", {"status": "in_progress"}, follow=True)
    assert response.status_code == 200
    assert "Assign the ticket to someone before starting work on it." in response.content.decode()
    assert Ticket.objects.get(pk=ticket.pk).status == "new"


def test_a_reopened_ticket_with_nobody_on_it_goes_back_to_the_queue() -> None:
    resolved = TicketFactory.create(status="resolved")
    survey = SatisfactionSurvey.objects.create(ticket=resolved, customer=resolved.customer, rating=1)
    _follow_up(survey)  # an unhappy rating reopens the ticket (by the system)
    resolved.refresh_from_db()
    assert (resolved.status, resolved.assignee_id) == ("triaged", None)
    held = TicketFactory.create(status="resolved", assignee=AgentFactory.create())
    assert change_status(ticket=held, status="in_progress", by=None).status == "in_progress"  # its owner still has it


def test_removing_an_agent_returns_their_working_tickets_to_the_queue(django_capture_on_commit_callbacks: Any) -> None:
    team = TeamFactory.create()
    agent = AgentFactory.create()
    working = [TicketFactory.create(status=status, assignee=agent, team=team) for status in ("assigned", "in_progress")]
    done = TicketFactory.create(status="resolved", assignee=agent, team=team)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        agent.user.delete()  # the user goes, the agent profile with it
    for ticket in working:
        ticket.refresh_from_db()
        assert (ticket.status, ticket.assignee_id) == ("triaged", None)
        assert TicketEvent.objects.get(ticket=ticket, kind="unassigned").detail["why"] == "agent removed"
    done.refresh_from_db()
    assert (done.status, done.assignee_id) == ("resolved", None)
    assert callbacks  # routing is asked to offer them again after commit


@pytest.mark.django_db(transaction=True)
def test_the_upgrade_returns_stranded_tickets_to_the_queue_before_enforcing_it() -> None:
    def migrate(targets: list[tuple[str, str]] | None = None) -> Any:
        executor = MigrationExecutor(connection)
        executor.migrate(targets or executor.loader.graph.leaf_nodes())
        return MigrationExecutor(connection).loader.project_state(targets).apps

    old = migrate([("tickets", "0015_replies_to_outbox")])
    try:
        customer = old.get_model("tickets", "Customer").objects.create(name="Jo", email="jo@example.com")
        OldTicket = old.get_model("tickets", "Ticket")
        common = {"customer": customer, "body": "Help", "channel": "email"}
        stranded = [OldTicket.objects.create(**common, subject=f"Stranded {s}", status=s) for s in ("assigned", "in_progress")]
        pending = OldTicket.objects.create(**common, subject="Waiting on the customer", status="pending_customer")
    finally:
        migrate()
    for ticket in stranded:
        assert Ticket.objects.get(pk=ticket.pk).status == "triaged"
        event = TicketEvent.objects.get(ticket_id=ticket.pk, kind="unassigned")
        assert event.detail["from"] == ticket.status and "upgrade" in event.detail["why"]
    assert Ticket.objects.get(pk=pending.pk).status == "pending_customer"
    assert not TicketEvent.objects.filter(ticket_id=pending.pk).exists()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=pending.pk).update(status="in_progress")
