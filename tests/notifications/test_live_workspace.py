"""The open workspace's live fragment: only what is new since the marker, SLA and assignee out of band, flat queries."""

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from agents.services import assign_ticket
from escalation_engine.models import SlaPolicy
from escalation_engine.sweep import sweep
from tests.factories import AgentFactory, TeamFactory, TicketFactory, UserFactory
from tickets import services as ticket_services
from tickets.models import Channel

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.travel(NOW)]


@pytest.fixture
def desk() -> dict[str, Any]:
    team = TeamFactory.create()
    ana = AgentFactory.create(user=UserFactory.create(username="ana", role="agent"), capacity=50)
    ana.teams.add(team)
    ticket = TicketFactory.create(team=team, status="in_progress", assignee=ana, subject="Parcel never arrived")
    client = Client()
    client.force_login(ana.user)
    return {"team": team, "ana": ana, "ticket": ticket, "client": client}


def marker(html: str) -> str:
    found = re.search(r'id="live" hx-get="([^"]+)"', html)
    assert found, html[:500]
    return found.group(1).replace("&amp;", "&")


def customer_writes(ticket: Any, body: str) -> None:
    ticket_services.receive_contact(
        channel=Channel.WEB_FORM, customer_email=ticket.customer.email, subject=f"Re: {ticket.subject}", body=body, thread_onto=ticket
    )


def test_the_fragment_brings_only_new_messages_and_events_and_never_the_reply_box(desk: dict[str, Any]) -> None:
    client, ticket = desk["client"], desk["ticket"]
    page = client.get(f"/console/ticket/{ticket.pk}/").text
    url = marker(page)
    assert client.get(url).text.count("<li") == 0  # nothing new yet
    customer_writes(ticket, "Tracking says delivered but nothing is here. Neighbours have nothing either.")
    live = client.get(url, HTTP_HX_REQUEST="true").text
    assert 'hx-swap-oob="beforeend:#timeline"' in live and "Neighbours have nothing either." in live
    assert "customer replied" in live  # the audit event came along
    assert 'id="sla-panel" hx-swap-oob="true"' in live and 'id="ticket-meta" hx-swap-oob="true"' in live
    assert "<textarea" not in live and "reply-form" not in live
    again = client.get(marker(live)).text
    assert "Neighbours have nothing either." not in again and again.count("<li") == 0


def test_a_reassignment_shows_in_the_meta_line(desk: dict[str, Any]) -> None:
    client, ticket = desk["client"], desk["ticket"]
    url = marker(client.get(f"/console/ticket/{ticket.pk}/").text)
    ben = AgentFactory.create(user=UserFactory.create(username="ben", first_name="Ben", last_name="Okafor", role="agent"))
    ben.teams.add(desk["team"])
    assign_ticket(ticket=ticket, agent=ben, by=UserFactory.create(role="supervisor"))
    live = client.get(url).text
    assert "assigned to <strong>Ben Okafor</strong>" in live and "reassigned" in live


def test_the_fragment_queries_stay_flat(desk: dict[str, Any]) -> None:
    client, ticket = desk["client"], desk["ticket"]
    counts = []
    for new in (1, 6):
        url = marker(client.get(f"/console/ticket/{ticket.pk}/").text)
        for n in range(new):
            customer_writes(ticket, f"Message {n}: still waiting, order 88{n}.")
            ticket_services.add_agent_reply(ticket=ticket, body=f"Answer {n}", by=desk["ana"].user)
        with CaptureQueriesContext(connection) as queries:
            live = client.get(url).text
        assert live.count('class="message customer"') == new and live.count('class="message agent"') == new
        counts.append(len(queries))
    assert counts[0] == counts[1], counts


def test_a_bad_marker_is_a_400_naming_it_and_another_team_gets_404(desk: dict[str, Any]) -> None:
    client, ticket = desk["client"], desk["ticket"]
    response = client.get(f"/console/ticket/{ticket.pk}/live", {"m": "x", "e": "0"})
    assert response.status_code == 400 and response.text.startswith("m:")
    assert client.get(f"/console/ticket/{ticket.pk}/live", {"m": "0", "e": "-1"}).status_code == 400
    outsider = AgentFactory.create(user=UserFactory.create(role="agent"))
    outsider.teams.add(TeamFactory.create())
    other = Client()
    other.force_login(outsider.user)
    assert other.get(f"/console/ticket/{ticket.pk}/live", {"m": "0", "e": "0"}).status_code == 404


def test_an_sla_breach_found_by_the_sweep_shows_in_the_open_workspace(desk: dict[str, Any]) -> None:
    client, ticket = desk["client"], desk["ticket"]
    ticket.sla_policy = SlaPolicy.objects.filter(customer_tier="", team=None, priority=2).first()
    ticket.priority, ticket.sla_status = 2, "ok"
    ticket.sla_first_response_due_at, ticket.next_check_at = NOW + timedelta(minutes=1), NOW + timedelta(minutes=1)
    ticket.save()
    url = marker(client.get(f"/console/ticket/{ticket.pk}/").text)
    sweep(now=NOW + timedelta(minutes=2))
    live = client.get(url).text
    assert 'class="sla sla-breached"' in live and "sla breached" in live  # the panel and the audit event
