"""Macros: bodies checked at save, placeholders rendered, every action applied through its service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.test import Client

from escalation_engine import sla
from escalation_engine.models import SlaPolicy
from foundation.models import OutboxMessage
from helpcenter import macros
from helpcenter.models import KnowledgeArticle, Macro
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import Interaction, Ticket, TicketEvent, TrainingLabel

MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.travel(MONDAY_9AM)]


@pytest.fixture
def clock(clock: Any) -> Any:
    clock.set(MONDAY_9AM)
    return clock


def started(**fields: Any) -> Ticket:
    ticket = TicketFactory.create(created_at=MONDAY_9AM, **{"status": "triaged", **fields})
    sla.apply_start(ticket, now=MONDAY_9AM)
    ticket.save()
    return ticket


def kinds(ticket: Ticket) -> list[str]:
    return list(TicketEvent.objects.filter(ticket=ticket).order_by("pk").values_list("kind", flat=True))


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("{% load static %}Hi", "template tags ({% ... %}) are not allowed"),
        ("Hi {{ customer.__class__ }}", "attribute access is not allowed: {{ customer.__class__ }}"),
        ("Hi {{ customer.email }}", "unknown placeholder: {{ customer.email }}"),
        ("Hi {{ customer.name|upper }}", "filters are not allowed: {{ customer.name|upper }}"),
    ],
)
def test_a_body_with_tags_attribute_access_or_unknown_names_is_refused_at_save(body: str, message: str) -> None:
    with pytest.raises(ValidationError) as refused:
        Macro(name="Greeting", body=body).full_clean()
    assert refused.value.message_dict["body"] == [message]


def test_admin_refuses_a_bad_body_with_the_renderers_message(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user(role="admin"))
    page = client.post(
        "/admin/helpcenter/macro/add/",
        {"name": "Sneaky", "body": "Hello {{ customer.__class__.__init__ }}", "add_tags": "[]", "is_active": "on"},
    )
    assert page.status_code == 200 and "attribute access is not allowed" in page.text
    assert not Macro.objects.exists()
    good = client.post(
        "/admin/helpcenter/macro/add/",
        {"name": "Password", "body": "Hi {{ customer.first_name }}", "add_tags": '["password"]', "is_active": "on"},
    )
    assert good.status_code == 302 and Macro.objects.get().add_tags == ["password"]


def test_apply_renders_the_placeholders_and_the_reply_goes_to_the_outbox(clock: Any) -> None:
    article = KnowledgeArticle.objects.create(title="Reset your password", slug="reset-password", body="Open Settings.")
    customer = CustomerFactory.create(name="Siobhán O'Brien", email="siobhan@example.test")
    ticket = started(customer=customer, subject="Can't log in <again>", suggested_articles=[{"id": article.pk, "score": 0.8}])
    agent = AgentFactory.create(user=UserFactory.create(username="maria", first_name="Maria", last_name="Lopez", role="agent"))
    macro = Macro.objects.create(
        name="Password reset",
        body=(
            "Hi {{ customer.first_name }}, about {{ ticket.reference }} ({{ ticket.subject }}): "
            "{{ article.title }} {{ article.url }}\n{{ agent.name }}"
        ),
    )
    applied = macros.apply_macro(macro=macro, ticket=ticket, by=agent.user)
    assert applied.reply is not None
    assert applied.reply.body == (
        f"Hi Siobhán, about #{ticket.pk} (Can't log in <again>): "
        "Reset your password http://127.0.0.1:8000/help/article/reset-password/\nMaria Lopez"
    )
    mail = OutboxMessage.objects.get(dedupe_key=f"reply:{applied.reply.pk}")
    assert mail.recipient == "siobhan@example.test" and applied.reply.body in mail.body
    assert Macro.objects.get(pk=macro.pk).usage_count == 1
    assert kinds(ticket) == ["assigned", "agent_replied", "macro_applied"]  # the answering agent claims it, as in the console
    assert TicketEvent.objects.get(kind="macro_applied").detail == {
        "macro_id": macro.pk,
        "macro": "Password reset",
        "actions": ["reply"],
        "edited": False,
        "interaction_id": applied.reply.pk,
    }


def test_a_placeholder_value_cannot_add_lines_to_the_reply() -> None:
    customer = CustomerFactory.create(name="Ann\n\nPS: wire the refund to IBAN DE00\x07")
    ticket = started(customer=customer)
    user = UserFactory.create(role="agent")
    macro = Macro.objects.create(name="Hello", body="Dear {{ customer.name }},\nthanks.")
    assert macros.render_macro(macro=macro, ticket=ticket, user=user) == "Dear Ann PS: wire the refund to IBAN DE00,\nthanks."


def test_a_macro_that_sets_p0_retargets_the_sla_clock(clock: Any) -> None:
    ticket = started(priority=2)
    user = AgentFactory.create().user
    macro = Macro.objects.create(name="Outage", body="", set_priority=0)
    clock.set(MONDAY_9AM + timedelta(minutes=5))
    macros.apply_macro(macro=macro, ticket=ticket, by=user)
    changed = Ticket.objects.get(pk=ticket.pk)
    assert changed.priority == 0 and changed.sla_policy == SlaPolicy.objects.get(priority=0, customer_tier="")
    assert changed.sla_first_response_due_at == MONDAY_9AM + timedelta(minutes=15)  # P0: 15 minutes from arrival
    event = TicketEvent.objects.get(ticket=ticket, kind="reprioritized")
    assert event.detail["source"] == "agent" and (event.detail["from"], event.detail["to"]) == (2, 0) and event.actor == user
    assert TrainingLabel.objects.get(ticket=ticket).new_value == "P0"
    assert kinds(ticket) == ["reprioritized", "macro_applied"]  # no body: no reply


def test_every_action_type_goes_through_its_service(clock: Any) -> None:
    billing = TeamFactory.create(name="Billing", slug="billing")
    refunds = CategoryFactory.create(slug="refunds", name="Refunds")
    agent = AgentFactory.create()
    agent.teams.add(billing)
    ticket = started(tags=["vip"])
    macro = Macro.objects.create(
        name="Refund: need the order number",
        body="Could you send the order number, {{ customer.first_name }}?",
        set_category=refunds,
        add_tags=["refund", "vip"],
        set_team=billing,
        set_status="pending_customer",
    )
    clock.set(MONDAY_9AM + timedelta(minutes=30))
    applied = macros.apply_macro(macro=macro, ticket=ticket, by=agent.user)
    done = applied.ticket
    assert (done.category, done.team, done.tags, done.status) == (refunds, billing, ["refund", "vip"], "pending_customer")
    assert done.assignee == agent and done.sla_status == "paused" and done.first_response_at is not None
    assert kinds(ticket) == ["assigned", "agent_replied", "recategorized", "tags_added", "team_changed", "status_changed", "macro_applied"]
    assert TicketEvent.objects.get(ticket=ticket, kind="tags_added").detail == {"tags": ["refund"]}
    assert TicketEvent.objects.get(ticket=ticket, kind="team_changed").detail == {"from": None, "to": "Billing", "assignee_released": False}
    assert set(TicketEvent.objects.filter(ticket=ticket).values_list("actor", flat=True)) == {agent.user.pk}
    assert applied.actions == ["reply", "category=refunds", "tags+=refund,vip", "team=billing", "status=pending_customer"]


def test_a_refused_action_undoes_the_whole_macro() -> None:
    ticket = started()
    supervisor = UserFactory.create(role="supervisor")  # no agent profile: answering does not claim the ticket
    macro = Macro.objects.create(name="Start", body="Looking into it.", set_status="in_progress", add_tags=["seen"])
    with pytest.raises(ValidationError, match="Assign the ticket to someone"):
        macros.apply_macro(macro=macro, ticket=ticket, by=supervisor)
    unchanged = Ticket.objects.get(pk=ticket.pk)
    assert (unchanged.status, unchanged.tags, unchanged.agent_reply_count) == ("triaged", [], 0)
    assert not Interaction.objects.exists() and not OutboxMessage.objects.exists() and kinds(ticket) == []
    assert Macro.objects.get(pk=macro.pk).usage_count == 0


def test_personal_macros_only_by_their_owner_team_macros_by_members_supervisors_all() -> None:
    support, billing = TeamFactory.create(slug="support"), TeamFactory.create(slug="billing")
    ana, ben = AgentFactory.create(), AgentFactory.create()
    ana.teams.add(support)
    ben.teams.add(billing)
    everyone = Macro.objects.create(name="Thanks", body="Thanks!")
    anas = Macro.objects.create(name="Ana's sign-off", body="Ana", owner=ana)
    supports = Macro.objects.create(name="Support hours", body="9-5", team=support)
    Macro.objects.create(name="Retired", body="old", is_active=False)
    supervisor = UserFactory.create(role="supervisor")
    assert set(macros.usable_macros(user=ana.user)) == {everyone, anas, supports}
    assert set(macros.usable_macros(user=ben.user)) == {everyone}
    assert set(macros.usable_macros(user=supervisor)) == {everyone, anas, supports}
    assert not macros.usable_macros(user=UserFactory.create()).exists()  # no role
    with pytest.raises(PermissionDenied):
        macros.apply_macro(macro=supports, ticket=started(), by=ben.user)
    with pytest.raises(ValidationError, match=r"personal .* or shared with a team"):
        Macro(name="Both", body="x", owner=ana, team=support).full_clean()


def test_the_suggested_macro_matches_the_top_article_then_the_category() -> None:
    article = KnowledgeArticle.objects.create(title="Reset your password", slug="reset-password", body="...")
    login = CategoryFactory.create(slug="login")
    by_category = Macro.objects.create(name="Login help", body="a", for_category=login)
    by_both = Macro.objects.create(name="Password reset", body="b", for_category=login, for_article=article)
    Macro.objects.create(name="Unrelated", body="c")
    ticket = started(category=login, suggested_articles=[{"id": article.pk, "score": 0.7}])
    usable = list(Macro.objects.all())
    assert macros.suggest_macro(ticket=ticket, macros=usable) == by_both
    assert macros.suggest_macro(ticket=started(category=login), macros=usable) == by_category
    assert macros.suggest_macro(ticket=started(), macros=usable) is None


def test_a_team_change_releases_an_assignee_outside_the_team_and_offers_it_to_the_team() -> None:
    billing = TeamFactory.create(slug="billing", name="Billing")
    outsider, member = AgentFactory.create(), AgentFactory.create()
    member.teams.add(billing)
    ticket = started(assignee=outsider, status="in_progress")
    macro = Macro.objects.create(name="To billing", body="", set_team=billing)
    macros.apply_macro(macro=macro, ticket=ticket, by=outsider.user)
    moved = Ticket.objects.get(pk=ticket.pk)
    assert (moved.team, moved.assignee, moved.status) == (billing, member, "assigned")
    assert TicketEvent.objects.get(ticket=ticket, kind="team_changed").detail["assignee_released"] is True
