"""The macro API: list what the caller may use, apply one to a ticket they may see."""

from __future__ import annotations

from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.authtoken.models import Token

from foundation.models import OutboxMessage
from helpcenter.models import Macro
from tests.factories import AgentFactory, CustomerFactory, TeamFactory, TicketFactory
from tickets.models import Interaction, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def api_client(user: Any) -> Client:
    return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")


@pytest.fixture
def desk() -> dict[str, Any]:
    support, billing = TeamFactory.create(slug="support"), TeamFactory.create(slug="billing")
    agent = AgentFactory.create()
    agent.teams.add(support)
    ticket = TicketFactory.create(
        team=support, assignee=agent, status="assigned", customer=CustomerFactory.create(name="Jonas Weber"), subject="Locked out"
    )
    waiting = Macro.objects.create(
        name="Waiting for you", body="Hi {{ customer.first_name }}, any news on {{ ticket.reference }}?", set_status="pending_customer"
    )
    billing_only = Macro.objects.create(name="Refunds", body="5 days.", team=billing)
    return {"agent": agent, "ticket": ticket, "waiting": waiting, "billing_only": billing_only, "api": api_client(agent.user)}


def test_the_list_holds_only_macros_the_caller_may_use(desk: dict[str, Any]) -> None:
    rows = desk["api"].get("/api/v1/macros/").json()
    assert [row["name"] for row in rows] == ["Waiting for you"]
    assert rows[0]["scope"] == "global" and rows[0]["actions"] == ["status → Pending customer"]


def test_the_list_query_count_does_not_grow(desk: dict[str, Any]) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert desk["api"].get("/api/v1/macros/").status_code == 200
        return len(queries)

    count()
    few = count()
    for n in range(20):
        Macro.objects.create(name=f"Mine {n}", body="x", owner=desk["agent"], set_team=desk["ticket"].team)
    assert count() == few


def test_apply_renders_replies_and_applies_the_actions(desk: dict[str, Any]) -> None:
    ticket = desk["ticket"]
    response = desk["api"].post(
        f"/api/v1/tickets/{ticket.pk}/apply-macro", {"macro_id": desk["waiting"].pk}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    body = response.json()
    reply = Interaction.objects.get(pk=body["reply_id"])
    assert reply.body == f"Hi Jonas, any news on #{ticket.pk}?" and OutboxMessage.objects.filter(dedupe_key=f"reply:{reply.pk}").exists()
    assert body["ticket"]["status"] == "pending_customer" and body["actions"] == ["reply", "status=pending_customer"]


def test_apply_sends_the_callers_edit(desk: dict[str, Any]) -> None:
    ticket = desk["ticket"]
    edit = "Hi Jonas, any news? We keep it open for a week."
    response = desk["api"].post(
        f"/api/v1/tickets/{ticket.pk}/apply-macro", {"macro_id": desk["waiting"].pk, "body": edit}, content_type="application/json"
    )
    assert response.status_code == 200 and Interaction.objects.get().body == edit
    assert TicketEvent.objects.get(kind="macro_applied").detail["edited"] is True


@pytest.mark.parametrize(
    ("payload", "field"),
    [
        ({}, "macro_id"),
        ({"macro_id": "٣"}, "macro_id"),  # not ASCII digits
        ({"macro_id": 10**30}, "macro_id"),
        ({"macro_id": 1, "body": "   "}, "body"),
        ({"macro_id": 1, "body": "hi\x00"}, "body"),
        ({"macro_id": 1, "body": "x" * 50_001}, "body"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(desk: dict[str, Any], payload: dict[str, Any], field: str) -> None:
    response = desk["api"].post(f"/api/v1/tickets/{desk['ticket'].pk}/apply-macro", payload, content_type="application/json")
    assert response.status_code == 400 and field in response.json(), response.content
    assert not Interaction.objects.exists()


def test_another_teams_macro_is_refused_and_a_refused_status_change_is_a_409(desk: dict[str, Any]) -> None:
    ticket, api = desk["ticket"], desk["api"]
    url = f"/api/v1/tickets/{ticket.pk}/apply-macro"
    refused = api.post(url, {"macro_id": desk["billing_only"].pk}, content_type="application/json")
    assert refused.status_code == 400 and refused.json() == {"macro_id": ["No such macro, or not one you may use."]}
    Ticket.objects.filter(pk=ticket.pk).update(status="closed")
    reopen = Macro.objects.create(name="Back to the customer", body="", set_status="pending_customer")
    conflict = api.post(url, {"macro_id": reopen.pk}, content_type="application/json")
    assert conflict.status_code == 409 and "cannot go from closed to pending_customer" in conflict.json()["detail"]
    assert Macro.objects.get(pk=reopen.pk).usage_count == 0 and not TicketEvent.objects.filter(kind="macro_applied").exists()
