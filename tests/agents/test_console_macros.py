"""Macros in the console: the picker's data in the workspace, a reply sent with a macro, supervisors' editing."""

from __future__ import annotations

import html
from typing import Any

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from foundation.models import OutboxMessage
from helpcenter.models import KnowledgeArticle, Macro
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import Interaction, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk() -> dict[str, Any]:
    team, other = TeamFactory.create(slug="support", name="Support"), TeamFactory.create(slug="billing", name="Billing")
    agent = AgentFactory.create(user=UserFactory.create(username="maria", first_name="Maria", role="agent"))
    agent.teams.add(team)
    login = CategoryFactory.create(slug="login", name="Login")
    article = KnowledgeArticle.objects.create(title="Reset your password", slug="reset-password", body="Open Settings.")
    customer = CustomerFactory.create(name="<b>Eve</b> Hacker", email="eve@example.test")
    ticket = TicketFactory.create(
        team=team,
        assignee=agent,
        status="assigned",
        customer=customer,
        category=login,
        subject="Locked out",
        suggested_articles=[{"id": article.pk, "score": 0.9}],
    )
    reset = Macro.objects.create(
        name="Password reset",
        body="Hi {{ customer.first_name }}, see {{ article.url }}",
        team=team,
        for_article=article,
        set_status="pending_customer",
        add_tags=["password"],
    )
    billing_only = Macro.objects.create(name="Refund policy", body="Refunds take 5 days.", team=other)
    client = Client()
    client.force_login(agent.user)
    return {"ticket": ticket, "reset": reset, "billing_only": billing_only, "client": client, "agent": agent, "team": team}


def test_the_workspace_offers_usable_macros_rendered_escaped_with_the_suggestion(desk: dict[str, Any]) -> None:
    page = desk["client"].get(f"/console/ticket/{desk['ticket'].pk}/").text
    rendered = "Hi <b>Eve</b>, see http://127.0.0.1:8000/help/article/reset-password/"
    assert f'data-body="{html.escape(rendered)}"' in page and "<b>Eve</b>" not in page
    assert 'id="suggested-macro">Password reset<' in page and 'class="macro-choice suggested"' in page
    assert "status → Pending customer" in page and "Refund policy" not in page  # another team's macro


def test_a_reply_sent_with_a_macro_keeps_the_agents_edits_and_applies_its_actions(desk: dict[str, Any]) -> None:
    ticket, reset = desk["ticket"], desk["reset"]
    edited = "Hi Eve, see http://127.0.0.1:8000/help/article/reset-password/ and tell me if the link expired."
    response = desk["client"].post(f"/console/ticket/{ticket.pk}/reply", {"body": edited, "macro": str(reset.pk)})
    assert response.status_code == 302
    reply = Interaction.objects.get(ticket=ticket)
    assert reply.body == edited and OutboxMessage.objects.get(dedupe_key=f"reply:{reply.pk}").body.startswith(edited)
    changed = Ticket.objects.get(pk=ticket.pk)
    assert (changed.status, changed.tags) == ("pending_customer", ["password"])
    event = TicketEvent.objects.get(ticket=ticket, kind="macro_applied")
    assert event.detail["edited"] is True and event.actor == desk["agent"].user
    assert Macro.objects.get(pk=reset.pk).usage_count == 1


def test_a_macro_of_another_team_or_as_an_internal_note_is_refused(desk: dict[str, Any]) -> None:
    ticket, client = desk["ticket"], desk["client"]
    url = f"/console/ticket/{ticket.pk}/reply"
    client.post(url, {"body": "Refunds take 5 days.", "macro": str(desk["billing_only"].pk)})
    client.post(url, {"body": "x", "macro": str(desk["reset"].pk), "internal": "1"})
    client.post(url, {"body": "x", "macro": "１２"})  # not ASCII digits
    assert not Interaction.objects.exists() and Macro.objects.get(pk=desk["billing_only"].pk).usage_count == 0
    messages = [str(m) for m in client.get(f"/console/ticket/{ticket.pk}/").context["messages"]]
    assert messages == [
        "Choose a macro you may use.",
        "A macro's reply goes to the customer; untick “Internal note” or clear the macro.",
        "Choose a macro you may use.",
    ]


def test_apply_as_is_posts_the_rendered_reply(desk: dict[str, Any]) -> None:
    ticket = desk["ticket"]
    assert desk["client"].post(f"/console/ticket/{ticket.pk}/macro", {"macro": str(desk["reset"].pk)}).status_code == 302
    assert Interaction.objects.get(ticket=ticket).body == "Hi <b>Eve</b>, see http://127.0.0.1:8000/help/article/reset-password/"


def test_workspace_query_count_does_not_grow_with_the_macros(desk: dict[str, Any]) -> None:
    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert desk["client"].get(f"/console/ticket/{desk['ticket'].pk}/").status_code == 200
        return len(queries)

    count()
    few = count()
    category = CategoryFactory.create(slug="refunds")
    for n in range(30):
        Macro.objects.create(
            name=f"Macro {n}", body="Hello {{ agent.name }}", team=desk["team"], set_category=category, set_team=desk["team"]
        )
    assert count() == few


def test_supervisors_edit_macros_in_the_console_and_bad_bodies_are_refused(desk: dict[str, Any]) -> None:
    boss = Client()
    boss.force_login(UserFactory.create(role="supervisor"))
    form = {"name": "Sneaky", "body": "{% load static %}{{ customer.__class__ }}", "add_tags": "", "is_active": "on"}
    refused = boss.post("/console/macros/new", form)
    assert refused.status_code == 400 and not Macro.objects.filter(name="Sneaky").exists()
    assert "template tags ({% ... %}) are not allowed" in html.unescape(refused.text)
    assert "attribute access is not allowed: {{ customer.__class__ }}" in html.unescape(refused.text)
    saved = boss.post(
        f"/console/macros/{desk['reset'].pk}/",
        {"name": "Password reset", "body": "Hello {{ customer.name }}", "add_tags": "password, reset , password", "team": desk["team"].pk},
    )
    assert saved.status_code == 302
    macro = Macro.objects.get(pk=desk["reset"].pk)
    assert (macro.body, macro.add_tags, macro.is_active) == ("Hello {{ customer.name }}", ["password", "reset"], False)
    assert "Password reset" in boss.get("/console/macros/").text
    too_many = boss.post("/console/macros/new", {**form, "body": "Hi", "add_tags": ",".join(f"tag{n}" for n in range(11))})
    assert too_many.status_code == 400 and "At most 10 tags." in too_many.text
    assert desk["client"].get("/console/macros/").status_code == 403  # agents use macros, supervisors edit them


def test_the_macro_list_query_count_does_not_grow(desk: dict[str, Any]) -> None:
    boss = Client()
    boss.force_login(UserFactory.create(role="supervisor"))

    def count() -> int:
        with CaptureQueriesContext(connection) as queries:
            assert boss.get("/console/macros/").status_code == 200
        return len(queries)

    count()
    few = count()
    refunds = CategoryFactory.create(slug="refunds", name="Refunds")
    for n in range(15):
        Macro.objects.create(name=f"Refund {n}", body="x", owner=desk["agent"], set_category=refunds, set_team=desk["team"])
    assert count() == few
