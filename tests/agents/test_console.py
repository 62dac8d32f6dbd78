"""The console for each role: queues, workspace actions, inbox, team board; query budgets."""

from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from escalation_engine.models import Escalation
from tests.factories import AgentFactory, CategoryFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import Interaction, Ticket, TicketEvent, TrainingLabel

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk() -> dict[str, Any]:
    mine, other = TeamFactory.create(name="Billing", slug="billing"), TeamFactory.create(name="Security", slug="security")
    agent = AgentFactory.create()
    agent.teams.add(mine)
    own = TicketFactory.create(team=mine, assignee=agent, status="assigned", subject="Invoice is wrong")
    foreign = TicketFactory.create(team=other, status="triaged", subject="Suspicious login")
    client = Client()
    client.force_login(agent.user)
    return {"agent": agent, "team": mine, "own": own, "foreign": foreign, "client": client}


def test_anonymous_users_are_sent_to_sign_in(client: Client) -> None:
    for url in ("/console/queue/mine/", "/console/ticket/1/", "/console/escalations/", "/console/team/"):
        response = client.get(url)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")


def test_agent_sees_own_queue_with_counts_and_not_other_teams(desk: dict[str, Any]) -> None:
    response = desk["client"].get("/console/queue/mine/")
    assert response.status_code == 200
    assert b"Invoice is wrong" in response.content and b"Suspicious login" not in response.content
    assert desk["client"].get(f"/console/ticket/{desk['own'].pk}/").status_code == 200
    assert desk["client"].get(f"/console/ticket/{desk['foreign'].pk}/").status_code == 404
    assert desk["client"].get("/console/queue/bogus/").status_code == 404


def test_supervisor_pages_are_closed_to_agents(desk: dict[str, Any]) -> None:
    for url in ("/console/escalations/", "/console/team/"):
        assert desk["client"].get(url).status_code == 403
    assert desk["client"].post(f"/console/ticket/{desk['own'].pk}/assign", {"agent": desk["agent"].pk}).status_code == 403


def test_home_sends_staff_to_the_console(desk: dict[str, Any]) -> None:
    assert desk["client"].get("/").url == "/console/"
    assert desk["client"].get("/console/").url == "/console/queue/mine/"


def test_queue_query_count_does_not_grow_with_the_page(desk: dict[str, Any]) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert desk["client"].get("/console/queue/team/").status_code == 200
        return len(queries)

    count()  # the first request also loads the user's permission sets (cached per process after it)
    few = count()
    TicketFactory.create_batch(24, team=desk["team"], status="triaged")
    assert count() == few
    TicketFactory.create_batch(40, team=desk["team"], status="triaged")
    assert count() == few  # a full page of 25 plus a next page costs the same


def test_keyset_pages_cover_every_ticket_once(desk: dict[str, Any]) -> None:
    TicketFactory.create_batch(60, team=desk["team"], status="triaged")
    seen: list[int] = []
    url = "/console/queue/team/?sort=priority"
    while url:
        response = desk["client"].get(url)
        seen += [t.pk for t in response.context["page"].tickets]
        cursor = response.context["page"].next_cursor
        url = f"/console/queue/team/?sort=priority&cursor={cursor}" if cursor else ""
    assert sorted(seen) == sorted(Ticket.objects.filter(team=desk["team"]).values_list("pk", flat=True))


def test_filters_and_search(desk: dict[str, Any]) -> None:
    TicketFactory.create(team=desk["team"], status="triaged", subject="Refund please", priority=0)
    response = desk["client"].get("/console/queue/team/?q=refund")
    assert [t.subject for t in response.context["page"].tickets] == ["Refund please"]
    response = desk["client"].get("/console/queue/team/?priority=0")
    assert [t.priority for t in response.context["page"].tickets] == [0]
    assert desk["client"].get("/console/queue/team/?cursor=garbage&sort=nonsense").status_code == 200


def test_htmx_refresh_returns_only_the_rows(desk: dict[str, Any]) -> None:
    response = desk["client"].get("/console/queue/mine/?fragment=rows", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    assert response.content.strip().startswith(b"<tbody") and b"<html" not in response.content
    counts = desk["client"].get("/console/queue/mine/?fragment=counts", HTTP_HX_REQUEST="true")
    assert counts.content.strip().startswith(b'<ul id="queue-counts"') and b'data-queue="mine">1<' in counts.content


def test_reply_sends_mail_records_interaction_and_stops_first_response_clock(
    desk: dict[str, Any], django_capture_on_commit_callbacks: Any
) -> None:
    ticket = desk["own"]
    with django_capture_on_commit_callbacks(execute=True):
        response = desk["client"].post(f"/console/ticket/{ticket.pk}/reply", {"body": "We fixed the <b>invoice</b>."})
    assert response.status_code == 302
    ticket.refresh_from_db()
    assert ticket.first_response_at is not None and ticket.status == "in_progress"
    reply = Interaction.objects.get(ticket=ticket, author_kind="agent")
    assert len(mail.outbox) == 1 and mail.outbox[0].to == [ticket.customer.email]
    assert mail.outbox[0].extra_headers["Message-ID"] == reply.external_message_id
    page = desk["client"].get(f"/console/ticket/{ticket.pk}/")
    assert b"We fixed the &lt;b&gt;invoice&lt;/b&gt;." in page.content  # escaped


def test_internal_note_sends_nothing(desk: dict[str, Any], django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        desk["client"].post(f"/console/ticket/{desk['own'].pk}/reply", {"body": "check with billing", "internal": "1"})
    assert not mail.outbox and Interaction.objects.get(ticket=desk["own"], is_internal=True)


def test_status_category_priority_escalate_and_merge(desk: dict[str, Any]) -> None:
    ticket, client = desk["own"], desk["client"]
    client.post(f"/console/ticket/{ticket.pk}/status", {"status": "pending_customer"})
    assert Ticket.objects.get(pk=ticket.pk).status == "pending_customer"
    CategoryFactory.create(slug="billing", name="Billing")
    client.post(f"/console/ticket/{ticket.pk}/category", {"category": "billing"})
    assert TrainingLabel.objects.filter(ticket=ticket, field="category", new_value="billing").exists()
    client.post(f"/console/ticket/{ticket.pk}/priority", {"priority": "1"})
    assert Ticket.objects.get(pk=ticket.pk).priority == 1
    client.post(f"/console/ticket/{ticket.pk}/escalate", {"reason": "customer threatens to leave"})
    assert Escalation.objects.filter(ticket=ticket, status="open").exists()
    duplicate = TicketFactory.create(team=desk["team"], customer=ticket.customer, status="triaged")
    client.post(f"/console/ticket/{duplicate.pk}/merge", {"into": f"#{ticket.pk}"})
    assert Ticket.objects.get(pk=duplicate.pk).status == "closed"
    assert TicketEvent.objects.filter(ticket=ticket, kind="merged_from").exists()
    bad = client.post(f"/console/ticket/{ticket.pk}/priority", {"priority": "9"}, follow=True)
    assert b"Priority must be" in bad.content


def test_actions_need_csrf(desk: dict[str, Any]) -> None:
    strict = Client(enforce_csrf_checks=True)
    strict.force_login(desk["agent"].user)
    assert strict.post(f"/console/ticket/{desk['own'].pk}/reply", {"body": "x"}).status_code == 403


def test_availability_from_the_header(desk: dict[str, Any]) -> None:
    response = desk["client"].post("/console/availability", {"availability": "away", "next": "/console/queue/mine/"})
    assert response.status_code == 302 and response["Location"] == "/console/queue/mine/"
    desk["agent"].refresh_from_db()
    assert desk["agent"].availability == "away"
    evil = desk["client"].post("/console/availability", {"availability": "online", "next": "//evil.example/"})
    assert evil["Location"] == "/console/"


def test_supervisor_inbox_dismiss_lowers_the_count(desk: dict[str, Any]) -> None:
    boss = Client()
    boss.force_login(UserFactory.create(role="supervisor"))
    escalation = Escalation.objects.create(ticket=desk["own"], tier="senior_support", score=0.7, recommendation="priority")
    page = boss.get("/console/escalations/")
    assert page.status_code == 200 and page.context["open_count"] == 1
    boss.post(f"/console/escalations/{escalation.pk}/decide", {"action": "dismiss", "reason": "false alarm"})
    assert boss.get("/console/escalations/").context["open_count"] == 0
    assert Escalation.objects.get(pk=escalation.pk).status == "dismissed"
    assert boss.get("/console/team/").status_code == 200


def test_inbox_query_count_is_flat(desk: dict[str, Any]) -> None:
    boss = Client()
    boss.force_login(UserFactory.create(role="supervisor"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert boss.get("/console/escalations/").status_code == 200
        return len(queries)

    Escalation.objects.create(ticket=desk["own"], tier="senior_support", score=0.7, recommendation="priority")
    count()  # warms the cached permission sets
    few = count()
    for ticket in TicketFactory.create_batch(15, status="triaged"):
        Escalation.objects.create(ticket=ticket, tier="on_call", score=0.9, recommendation="immediate")
    assert count() == few


def test_team_board_reassigns_with_the_usual_checks(desk: dict[str, Any]) -> None:
    boss = Client()
    boss.force_login(UserFactory.create(role="supervisor"))
    other = AgentFactory.create()
    other.teams.add(desk["team"])
    page = boss.get("/console/team/")
    row = next(r for r in page.context["board"] if r["agent"] == desk["agent"])
    assert row["open"] == 1 and row["tickets"] == [desk["own"]]
    boss.post("/console/team/reassign", {"ticket": desk["own"].pk, "agent": other.pk})
    assert Ticket.objects.get(pk=desk["own"].pk).assignee == other
    offline = AgentFactory.create(availability="offline")
    response = boss.post("/console/team/reassign", {"ticket": desk["own"].pk, "agent": offline.pk}, follow=True)
    assert b"offline" in response.content and Ticket.objects.get(pk=desk["own"].pk).assignee == other


def test_team_board_query_count_is_flat(desk: dict[str, Any]) -> None:
    boss = Client()
    boss.force_login(UserFactory.create(role="supervisor"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert boss.get("/console/team/").status_code == 200
        return len(queries)

    few = count()
    for _ in range(8):
        agent = AgentFactory.create()
        agent.teams.add(desk["team"])
        TicketFactory.create_batch(2, assignee=agent, team=desk["team"], status="assigned")
    assert count() == few


def test_inbox_override_reassigns_with_the_usual_checks(desk: dict[str, Any]) -> None:
    boss = Client()
    boss.force_login(UserFactory.create(role="supervisor"))
    other = AgentFactory.create()
    escalation = Escalation.objects.create(ticket=desk["own"], tier="senior_support", score=0.7, recommendation="priority")
    boss.post(
        f"/console/escalations/{escalation.pk}/decide", {"action": "override", "tier": "executive", "priority": "0", "assignee": other.pk}
    )
    ticket = Ticket.objects.get(pk=desk["own"].pk)
    assert (ticket.assignee, ticket.priority) == (other, 0)
    assert Escalation.objects.get(pk=escalation.pk).tier == "executive"


def test_team_board_counts_every_open_ticket_but_lists_the_most_urgent(desk: dict[str, Any], make_user: Any) -> None:
    from datetime import timedelta

    from django.utils import timezone

    from console.selectors import BOARD_TICKETS_PER_AGENT, team_board

    agent, team = desk["agent"], desk["team"]
    now = timezone.now()
    urgent = TicketFactory.create(team=team, assignee=agent, status="in_progress", priority=0, created_at=now)
    for index in range(BOARD_TICKETS_PER_AGENT + 5):
        TicketFactory.create(team=team, assignee=agent, status="assigned", priority=3, created_at=now - timedelta(hours=index))
    TicketFactory.create(team=team, assignee=agent, status="resolved", priority=0, created_at=now - timedelta(days=30))  # not open
    row = next(r for r in team_board(user=make_user(role="supervisor")) if r["agent"] == agent)
    assert row["open"] == BOARD_TICKETS_PER_AGENT + 5 + 2  # + the desk's own ticket and the urgent one
    assert row["oldest"] == now - timedelta(hours=BOARD_TICKETS_PER_AGENT + 4)
    assert len(row["tickets"]) == BOARD_TICKETS_PER_AGENT and row["tickets"][0] == urgent


def test_the_customer_history_never_shows_subjects_of_tickets_the_agent_cannot_open() -> None:
    from django.test import Client

    from tests.factories import AgentFactory, CustomerFactory, TeamFactory, TicketFactory

    mine, theirs = TeamFactory.create(), TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(mine)
    customer = CustomerFactory.create()
    open_one = TicketFactory.create(customer=customer, team=mine, subject="Card declined")
    TicketFactory.create(customer=customer, team=mine, subject="Earlier refund question")
    TicketFactory.create(customer=customer, team=theirs, subject="Confidential legal matter")
    client = Client()
    client.force_login(agent.user)
    page = client.get(f"/console/ticket/{open_one.pk}/").content.decode()
    assert "Earlier refund question" in page
    assert "Confidential legal matter" not in page and "1 more ticket with other teams" in page
