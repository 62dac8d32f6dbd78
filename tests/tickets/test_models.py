"""Models reject invalid data with clear messages, in validation and in the database."""

import pytest
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from agents.models import Agent, AgentSkill
from tests.factories import AgentFactory, AgentSkillFactory, CustomerFactory, InteractionFactory, TicketFactory
from tickets.models import Customer, Interaction, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def test_unknown_tier_is_rejected() -> None:
    customer = Customer(name="X", email="x@example.test", tier="diamond")
    with pytest.raises(ValidationError) as caught:
        customer.full_clean()
    assert "tier" in caught.value.message_dict
    assert "not a valid choice" in caught.value.message_dict["tier"][0]
    with pytest.raises(IntegrityError), transaction.atomic():
        customer.save()


def test_duplicate_email_is_rejected_with_a_clear_message() -> None:
    CustomerFactory.create(email="dup@example.test")
    with pytest.raises(ValidationError) as caught:
        Customer(name="Other", email="dup@example.test").full_clean()
    assert caught.value.message_dict["email"] == ["A customer with this email already exists."]
    with pytest.raises(IntegrityError), transaction.atomic():
        Customer.objects.create(name="Other", email="dup@example.test")


def test_negative_capacity_is_rejected() -> None:
    agent = AgentFactory.create()
    agent.capacity = -1
    with pytest.raises(ValidationError) as caught:
        agent.full_clean()
    assert "capacity" in caught.value.message_dict
    with pytest.raises(IntegrityError), transaction.atomic():
        Agent.objects.filter(pk=agent.pk).update(capacity=-1)


def test_skill_level_outside_one_to_five_is_rejected() -> None:
    agent_skill = AgentSkillFactory.create()
    agent_skill.level = 6
    with pytest.raises(ValidationError) as caught:
        agent_skill.full_clean()
    assert caught.value.message_dict["level"] == ["Skill level is 1 to 5."]
    with pytest.raises(IntegrityError), transaction.atomic():
        AgentSkill.objects.filter(pk=agent_skill.pk).update(level=0)


def test_an_agent_cannot_hold_the_same_skill_twice() -> None:
    agent_skill = AgentSkillFactory.create()
    with pytest.raises(ValidationError, match="already has this skill"):
        AgentSkill(agent=agent_skill.agent, skill=agent_skill.skill, level=2).full_clean()


def test_priority_and_status_are_constrained_in_the_database() -> None:
    ticket = TicketFactory.create()
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(priority=7)
    with pytest.raises(IntegrityError), transaction.atomic():
        Ticket.objects.filter(pk=ticket.pk).update(status="lost")


def test_the_same_external_message_is_stored_once() -> None:
    first = InteractionFactory.create(external_message_id="<abc@mail.example>")
    with pytest.raises(IntegrityError), transaction.atomic():
        InteractionFactory.create(ticket=first.ticket, external_message_id="<abc@mail.example>")
    # Interactions without an external id are never considered duplicates.
    InteractionFactory.create(ticket=first.ticket)
    InteractionFactory.create(ticket=first.ticket)
    assert Interaction.objects.filter(ticket=first.ticket).count() == 3


def test_audit_events_are_append_only() -> None:
    event = TicketEvent.objects.create(ticket=TicketFactory.create(), kind="created")
    event.kind = "edited"
    with pytest.raises(ValueError, match="append-only"):
        event.save()


def test_ticket_reference_and_open_state() -> None:
    ticket = TicketFactory.create()
    assert ticket.reference == f"#{ticket.pk}"
    assert ticket.is_open
    ticket.status = "resolved"
    assert not ticket.is_open
