"""Triage through Django: the active model, stored results with reasons, idempotency, learning."""

from typing import Any

import pytest

from helpcenter.models import KnowledgeArticle
from pipeline import new_ticket
from pipeline import tasks as pipeline_tasks
from tests.factories import CategoryFactory, CustomerFactory, UserFactory
from tickets import tasks
from tickets.models import Interaction, ModelVersion, Ticket, TicketEvent, TrainingLabel, TriageSettings
from tickets.services import recategorize_ticket, receive_contact, reprioritize_ticket

pytestmark = pytest.mark.django_db


def intake(django_capture_on_commit_callbacks: Any, **kwargs: Any) -> Ticket:
    fields: dict[str, Any] = {
        "channel": "api",
        "customer_email": "ann@example.com",
        "subject": "Cannot log in",
        "body": "My password reset never arrives.",
    }
    fields.update(kwargs)
    with django_capture_on_commit_callbacks(execute=True):
        result = receive_contact(**fields)
    return Ticket.objects.get(pk=result.ticket.pk)


def test_intake_triggers_triage_that_stores_category_priority_reasons_and_sentiment(django_capture_on_commit_callbacks: Any) -> None:
    ticket = intake(django_capture_on_commit_callbacks)
    assert ticket.triaged_at is not None and ticket.status == "triaged"
    assert ticket.category is not None and ticket.category.slug == "account_access"
    assert 0 < (ticket.category_confidence or 0) <= 1
    assert len(ticket.category_alternatives) >= 2
    assert ticket.model_version == ModelVersion.objects.get(is_active=True)
    assert ticket.sentiment_score is not None and ticket.frustration_score is not None
    assert Interaction.objects.get(ticket=ticket).frustration_score == ticket.frustration_score
    event = TicketEvent.objects.get(ticket=ticket, kind="triaged")
    assert event.detail["why"].startswith(f"P{ticket.priority}")


def test_triage_is_idempotent(django_capture_on_commit_callbacks: Any) -> None:
    ticket = intake(django_capture_on_commit_callbacks)
    stamp = ticket.triaged_at
    pipeline_tasks.triage_ticket.delay(ticket.pk)
    new_ticket.triage_ticket(ticket_id=ticket.pk)
    ticket.refresh_from_db()
    assert ticket.triaged_at == stamp
    assert TicketEvent.objects.filter(ticket=ticket, kind="triaged").count() == 1


def test_a_vanished_ticket_is_not_an_error() -> None:
    assert new_ticket.triage_ticket(ticket_id=987654) is None


def test_angry_enterprise_customer_with_legal_threat_is_urgent_and_says_why(django_capture_on_commit_callbacks: Any) -> None:
    CustomerFactory.create(email="big@corp.example", tier="enterprise", lifetime_value=400_000)
    ticket = intake(
        django_capture_on_commit_callbacks,
        customer_email="big@corp.example",
        subject="Service down for all users",
        body="Our whole team cannot work, the outage is unacceptable. Our lawyer is preparing legal action.",
    )
    calm = intake(
        django_capture_on_commit_callbacks,
        customer_email="small@example.com",
        subject="Dark mode?",
        body="Would love a dark mode some day. Thanks!",
    )
    assert ticket.priority <= 1 < calm.priority
    signals = [reason["signal"] for reason in ticket.priority_reasons]
    assert {"tier", "legal", "urgency"} <= set(signals)
    contributions = [reason["contribution"] for reason in ticket.priority_reasons]
    assert contributions == sorted(contributions, reverse=True)


def test_low_confidence_goes_to_needs_triage(django_capture_on_commit_callbacks: Any) -> None:
    TriageSettings.objects.update_or_create(pk=1, defaults={"confidence_threshold": 0.999})
    ticket = intake(django_capture_on_commit_callbacks, subject="Hello", body="Question.")
    assert ticket.needs_triage is True
    assert ticket.triaged_at is not None


def test_knowledge_articles_are_suggested_and_drafted_when_the_category_allows(django_capture_on_commit_callbacks: Any) -> None:
    category = CategoryFactory.create(slug="account_access", name="Account access", allow_auto_reply=True)
    article = KnowledgeArticle.objects.create(
        title="Reset your password",
        slug="reset-password",
        category=category,
        body="Choose Forgot password on the sign-in page; the reset e-mail arrives in minutes.",
    )
    KnowledgeArticle.objects.create(title="Download an invoice", slug="invoice", body="Billing, invoices, PDF download.")
    ticket = intake(
        django_capture_on_commit_callbacks,
        subject="Password reset e-mail never arrives",
        body="I asked for a password reset but no e-mail came.",
    )
    assert ticket.suggested_articles[0]["id"] == article.pk
    assert "Reset your password" in ticket.auto_reply_draft


def test_configured_keyword_weight_changes_the_signals(django_capture_on_commit_callbacks: Any) -> None:
    TriageSettings.objects.update_or_create(pk=1, defaults={"legal_keywords": {"small claims": 0.9}})
    ticket = intake(
        django_capture_on_commit_callbacks, subject="Refund", body="I will take this to small claims if the refund does not come."
    )
    assert ticket.legal_score == pytest.approx(0.9, abs=0.1)


def test_corrections_become_training_labels_and_events(django_capture_on_commit_callbacks: Any) -> None:
    ticket = intake(django_capture_on_commit_callbacks)
    agent = UserFactory.create(role="agent")
    billing = CategoryFactory.create(slug="billing", name="Billing")
    recategorize_ticket(ticket=ticket, category=billing, by=agent)
    reprioritize_ticket(ticket=ticket, priority=0, by=agent)
    labels = {(label.field, label.new_value) for label in TrainingLabel.objects.filter(ticket=ticket)}
    assert labels == {("category", "billing"), ("priority", "P0")}
    assert {"recategorized", "reprioritized"} <= set(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))


def test_recovery_sweep_triages_tickets_stored_while_the_broker_was_down() -> None:
    from datetime import timedelta

    from django.utils import timezone

    old = Ticket.objects.create(
        customer=CustomerFactory.create(), subject="Cannot log in", body="Locked out.", created_at=timezone.now() - timedelta(minutes=5)
    )
    fresh = Ticket.objects.create(customer=CustomerFactory.create(), subject="Cannot log in", body="Locked out.")
    done = Ticket.objects.create(
        customer=CustomerFactory.create(), subject="x", body="y", status="resolved", created_at=timezone.now() - timedelta(minutes=5)
    )
    assert tasks.triage_untriaged() == 1
    assert Ticket.objects.get(pk=old.pk).triaged_at is not None
    assert Ticket.objects.get(pk=fresh.pk).triaged_at is None
    assert Ticket.objects.get(pk=done.pk).triaged_at is None
