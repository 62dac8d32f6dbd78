"""The API an integration lives on: conversation and events (cursor-paginated), replies and notes, status,
priority, category, tags, merge, routing-rule PATCH/DELETE, and the ticket list's filters."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from rest_framework.test import APIClient

from agents.models import RoutingRule
from foundation.models import OutboxMessage
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, InteractionFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import Interaction, Ticket, TicketEvent

FRIDAY_4PM = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.travel(FRIDAY_4PM)]


def as_user(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def next_link(response: Any) -> str | None:
    match = re.match(r'<([^>]+)>; rel="next"', response.get("Link", ""))
    return match.group(1) if match else None


@pytest.fixture
def desk() -> dict[str, Any]:
    team, elsewhere = TeamFactory.create(), TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(team)
    outsider = AgentFactory.create()
    outsider.teams.add(elsewhere)
    customer = CustomerFactory.create(email="ana@shop.example")
    ticket = TicketFactory.create(team=team, assignee=agent, status="assigned", customer=customer, subject="Card declined at checkout")
    return {"team": team, "agent": agent, "outsider": outsider, "ticket": ticket, "customer": customer}


def test_the_conversation_pages_oldest_first_with_a_cursor_and_flat_queries(
    desk: dict[str, Any], django_assert_max_num_queries: Any
) -> None:
    ticket = desk["ticket"]
    for minute in range(7):
        InteractionFactory.create(ticket=ticket, body=f"message {minute}", created_at=FRIDAY_4PM + timedelta(minutes=minute))
    InteractionFactory.create(ticket=ticket, author_kind="agent", author=desk["agent"].user, body="note", is_internal=True,
                              created_at=FRIDAY_4PM + timedelta(minutes=8))  # fmt: skip
    client = as_user(desk["agent"].user)
    bodies: list[str] = []
    url: str | None = f"/api/v1/tickets/{ticket.pk}/conversation?limit=3"
    while url:
        with django_assert_max_num_queries(8):  # the same for every page, whatever the page size
            page = client.get(url)
        assert page.status_code == 200, page.content
        bodies += [row["body"] for row in page.json()]
        url = next_link(page)
    assert bodies == [f"message {m}" for m in range(7)] + ["note"]
    note = client.get(f"/api/v1/tickets/{ticket.pk}/conversation?limit=50").json()[-1]
    assert (note["author"], note["author_kind"], note["is_internal"]) == (desk["agent"].user.username, "agent", True)
    assert as_user(desk["outsider"].user).get(f"/api/v1/tickets/{ticket.pk}/conversation").status_code == 404
    bad_limit = client.get(f"/api/v1/tickets/{ticket.pk}/conversation?limit=0")
    assert bad_limit.status_code == 400 and "limit" in bad_limit.json()
    assert client.get(f"/api/v1/tickets/{ticket.pk}/conversation?cursor=garbage").status_code == 404


def test_the_events_endpoint_lists_the_audit_trail_and_needs_the_ticket_to_be_visible(desk: dict[str, Any]) -> None:
    ticket = desk["ticket"]
    for kind in ("created", "triaged", "routed"):
        TicketEvent.objects.create(ticket=ticket, kind=kind)
    client = as_user(desk["agent"].user)
    first = client.get(f"/api/v1/tickets/{ticket.pk}/events?limit=2")
    second = client.get(next_link(first) or "")
    assert [e["kind"] for e in first.json() + second.json()] == ["created", "triaged", "routed"] and next_link(second) is None
    assert as_user(desk["outsider"].user).get(f"/api/v1/tickets/{ticket.pk}/events").status_code == 404


def test_a_public_reply_is_queued_for_the_customer_and_a_note_is_not(desk: dict[str, Any]) -> None:
    ticket, client = desk["ticket"], as_user(desk["agent"].user)
    reply = client.post(f"/api/v1/tickets/{ticket.pk}/replies", {"body": "We refunded the charge."}, format="json")
    assert reply.status_code == 201 and reply.json()["author"] == desk["agent"].user.username and not reply.json()["is_internal"]
    assert OutboxMessage.objects.filter(dedupe_key=f"reply:{reply.json()['id']}", recipient="ana@shop.example").exists()
    note = client.post(f"/api/v1/tickets/{ticket.pk}/replies", {"body": "Refund ref 8812", "internal": True}, format="json")
    assert note.status_code == 201 and note.json()["is_internal"]
    assert not OutboxMessage.objects.filter(dedupe_key=f"reply:{note.json()['id']}").exists()
    fresh = Ticket.objects.get(pk=ticket.pk)
    assert fresh.status == "in_progress" and fresh.first_response_at is not None  # the same service as the console
    empty = client.post(f"/api/v1/tickets/{ticket.pk}/replies", {"body": ""}, format="json")
    assert empty.status_code == 400 and "body" in empty.json()
    assert as_user(desk["outsider"].user).post(f"/api/v1/tickets/{ticket.pk}/replies", {"body": "x"}, format="json").status_code == 404
    assert as_user(UserFactory.create(role="integration")).post(f"/api/v1/tickets/{ticket.pk}/replies", {"body": "x"}).status_code == 403


def test_status_priority_and_tags_change_through_the_services_and_bad_values_name_the_field(desk: dict[str, Any]) -> None:
    ticket, client = desk["ticket"], as_user(desk["agent"].user)
    moved = client.post(f"/api/v1/tickets/{ticket.pk}/status", {"status": "pending_customer"}, format="json")
    assert moved.status_code == 200 and moved.json()["status"] == "pending_customer"
    assert TicketEvent.objects.filter(ticket=ticket, kind="status_changed").exists()
    assert client.post(f"/api/v1/tickets/{ticket.pk}/status", {"status": "sleeping"}, format="json").json().keys() == {"status"}
    raised = client.post(f"/api/v1/tickets/{ticket.pk}/priority", {"priority": 0}, format="json")
    assert raised.status_code == 200 and raised.json()["priority"] == "P0"
    for bad in (7, "٣", 1.5, True):
        answer = client.post(f"/api/v1/tickets/{ticket.pk}/priority", {"priority": bad}, format="json")
        assert answer.status_code == 400 and "priority" in answer.json(), bad
    tagged = client.post(f"/api/v1/tickets/{ticket.pk}/tags", {"tags": ["Refund", "vip", "refund"]}, format="json")
    assert tagged.status_code == 200 and Ticket.objects.get(pk=ticket.pk).tags == ["refund", "vip"]
    event = TicketEvent.objects.get(ticket=ticket, kind="tags_changed")
    assert event.detail == {"added": ["refund", "vip"], "removed": []} and event.actor == desk["agent"].user
    bad_tag = client.post(f"/api/v1/tickets/{ticket.pk}/tags", {"tags": ["two words"]}, format="json")
    assert bad_tag.status_code == 400 and "tags" in bad_tag.json()


def test_category_routes_like_the_console_and_merge_stays_within_one_customer(desk: dict[str, Any]) -> None:
    ticket, client = desk["ticket"], as_user(desk["agent"].user)
    billing = CategoryFactory.create(slug="billing", team=desk["team"])
    changed = client.post(f"/api/v1/tickets/{ticket.pk}/category", {"category": "billing"}, format="json")
    assert changed.status_code == 200 and changed.json()["category"] == "billing"
    assert Ticket.objects.get(pk=ticket.pk).category == billing
    unknown = client.post(f"/api/v1/tickets/{ticket.pk}/category", {"category": "astrology"}, format="json")
    assert unknown.status_code == 400 and "category" in unknown.json()

    duplicate = TicketFactory.create(team=desk["team"], customer=desk["customer"], status="triaged")
    InteractionFactory.create(ticket=duplicate, body="Same card problem again")
    merged = client.post(f"/api/v1/tickets/{duplicate.pk}/merge", {"into": ticket.pk}, format="json")
    assert merged.status_code == 200 and merged.json()["id"] == ticket.pk
    assert Ticket.objects.get(pk=duplicate.pk).status == "closed" and Interaction.objects.filter(ticket=ticket).count() == 1
    stranger = TicketFactory.create(team=desk["team"], status="triaged")
    refused = client.post(f"/api/v1/tickets/{stranger.pk}/merge", {"into": ticket.pk}, format="json")
    assert refused.status_code == 400 and "same customer" in refused.json()["into"][0]
    hidden = TicketFactory.create(team=TeamFactory.create(), customer=desk["customer"], status="triaged")
    assert client.post(f"/api/v1/tickets/{ticket.pk}/merge", {"into": hidden.pk}, format="json").json().keys() == {"into"}
    assert Ticket.objects.get(pk=hidden.pk).status == "triaged"


def test_routing_rules_can_be_patched_and_deleted_by_admins_only(make_user: Any) -> None:
    admin = as_user(make_user(role="admin"))
    rule = admin.post("/api/v1/routing-rules/", {"name": "VIP", "order": 5, "customer_tiers": ["enterprise"]}, format="json").json()
    patched = admin.patch(f"/api/v1/routing-rules/{rule['id']}", {"order": 1, "add_tags": ["vip"]}, format="json")
    assert patched.status_code == 200 and (patched.json()["order"], patched.json()["add_tags"], patched.json()["name"]) == (
        1,
        ["vip"],
        "VIP",
    )
    bad = admin.patch(f"/api/v1/routing-rules/{rule['id']}", {"keyword_pattern": "(unclosed"}, format="json")
    assert bad.status_code == 400 and "keyword_pattern" in bad.json()
    assert RoutingRule.objects.get(pk=rule["id"]).keyword_pattern == ""
    for role in ("agent", "supervisor"):
        client = as_user(make_user(role=role))
        assert client.patch(f"/api/v1/routing-rules/{rule['id']}", {"order": 9}, format="json").status_code == 403
        assert client.delete(f"/api/v1/routing-rules/{rule['id']}").status_code == 403
    assert admin.delete(f"/api/v1/routing-rules/{rule['id']}").status_code == 204
    assert not RoutingRule.objects.exists()
    assert admin.delete(f"/api/v1/routing-rules/{rule['id']}").status_code == 404


def test_the_ticket_list_filters_and_pages_with_a_cursor(desk: dict[str, Any], django_assert_max_num_queries: Any) -> None:
    team = desk["team"]
    for n in range(5):
        TicketFactory.create(team=team, status="triaged", priority=1, created_at=FRIDAY_4PM - timedelta(hours=n))
    TicketFactory.create(team=team, status="resolved", priority=3, created_at=FRIDAY_4PM - timedelta(days=3))
    TicketFactory.create(team=TeamFactory.create(), status="triaged", priority=1)  # another team: never listed for this agent
    client = as_user(desk["agent"].user)
    seen: list[dict[str, Any]] = []
    url: str | None = "/api/v1/tickets/?status=triaged&priority=1&limit=2"
    while url:
        with django_assert_max_num_queries(8):
            page = client.get(url)
        assert page.status_code == 200, page.content
        seen += page.json()
        url = next_link(page)
    assert len(seen) == 5 and all(t["status"] == "triaged" and t["team"] == team.slug for t in seen)
    assert [t["created_at"] for t in seen] == sorted((t["created_at"] for t in seen), reverse=True)
    mine = client.get(f"/api/v1/tickets/?assignee={desk['agent'].user.username}").json()
    assert [t["id"] for t in mine] == [desk["ticket"].pk]
    older = client.get("/api/v1/tickets/?created_before=2026-11-26T00:00:00Z").json()
    assert [t["status"] for t in older] == ["resolved"]
    for bad in ("priority=9", "status=sleeping", "created_after=yesterday", "customer_email=nobody", "limit=500"):
        answer = client.get(f"/api/v1/tickets/?{bad}")
        assert answer.status_code == 400 and bad.split("=")[0] in answer.json(), (bad, answer.content)


def test_split_moves_the_chosen_messages_to_a_new_ticket_of_the_same_customer_and_names_the_field_when_refused(
    desk: dict[str, Any],
) -> None:
    ticket, client = desk["ticket"], as_user(desk["agent"].user)
    card = InteractionFactory.create(ticket=ticket, body="My card is declined at checkout.", created_at=FRIDAY_4PM)
    invoice = InteractionFactory.create(
        ticket=ticket, body="Also: can I get last year's invoices?", created_at=FRIDAY_4PM + timedelta(minutes=1)
    )
    split = client.post(f"/api/v1/tickets/{ticket.pk}/split", {"messages": [invoice.pk], "subject": "Invoices"}, format="json")
    assert split.status_code == 201, split.content
    new = Ticket.objects.get(pk=split.json()["ticket"]["id"])
    assert split.json()["split_from"] == ticket.pk and (new.customer_id, new.subject) == (desk["customer"].pk, "Invoices")
    assert list(Interaction.objects.filter(ticket=new).values_list("pk", flat=True)) == [invoice.pk]
    assert list(Interaction.objects.filter(ticket=ticket).values_list("pk", flat=True)) == [card.pk]
    # Every message, nothing, another customer's message: refused with the field named, nothing moved.
    everything = client.post(f"/api/v1/tickets/{ticket.pk}/split", {"messages": [card.pk]}, format="json")
    assert everything.status_code == 400 and "messages" in everything.json()
    assert client.post(f"/api/v1/tickets/{ticket.pk}/split", {"messages": []}, format="json").json().keys() == {"messages"}
    foreign = InteractionFactory.create(ticket=TicketFactory.create(team=desk["team"], status="triaged"), body="not yours")
    refused = client.post(f"/api/v1/tickets/{ticket.pk}/split", {"messages": [foreign.pk, card.pk]}, format="json")
    assert refused.status_code == 400 and "another customer" in refused.json()["messages"][0]
    assert Interaction.objects.get(pk=foreign.pk).ticket_id != ticket.pk
    # Another team's ticket is not found, as for every ticket action.
    assert (
        as_user(desk["outsider"].user).post(f"/api/v1/tickets/{ticket.pk}/split", {"messages": [card.pk]}, format="json").status_code == 404
    )
