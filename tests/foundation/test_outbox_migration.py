"""Upgrading copies every kind's delivery state into the outbox before the old columns go: nothing queued is lost."""

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import mail
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from foundation import outbox
from foundation.models import OutboxMessage
from tickets.models import Interaction

BEFORE = [
    ("foundation", "0002_calendars_from_engine"),
    ("tickets", "0012_interaction_signals"),
    ("escalation", "0015_calendars_to_platform"),
    ("analytics", "0002_roles"),
]
AT = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)


def migrate(targets: list[tuple[str, str]] | None = None) -> Any:
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    return MigrationExecutor(connection).loader.project_state(targets).apps


@pytest.mark.travel(AT + timedelta(minutes=5))  # the rows were written five minutes ago, whatever today is
@pytest.mark.django_db(transaction=True)
def test_queued_failed_and_sent_rows_of_every_kind_move_into_the_outbox() -> None:
    old = migrate(BEFORE)
    try:
        customer = old.get_model("tickets", "Customer").objects.create(name="Jane", email="jane@example.com")
        Ticket = old.get_model("tickets", "Ticket")
        ticket = Ticket.objects.create(customer=customer, subject="Card declined", body="Declined twice.", channel="email")
        auto_replied = Ticket.objects.create(customer=customer, subject="Password", body="Reset?", channel="email", auto_reply_sent_at=AT)
        Interaction_ = old.get_model("tickets", "Interaction")
        reply = {"ticket": ticket, "author_kind": "agent", "channel": "email", "created_at": AT}
        queued = Interaction_.objects.create(**reply, body="We are on it.", email_status="queued")
        failed = Interaction_.objects.create(
            **reply, body="Refunded.", email_status="failed", email_attempts=10, email_error="SMTPError: no"
        )
        sent = Interaction_.objects.create(
            **reply, body="Done.", email_status="sent", email_attempts=1, email_sent_at=AT, external_message_id="<sent@desk>"
        )
        Interaction_.objects.create(**{**reply, "is_internal": True}, body="note")
        escalation = old.get_model("escalation", "Escalation").objects.create(
            ticket=ticket, tier="senior_support", score=0.8, recommendation="priority", contributions={"legal": 0.5}
        )
        Notification = old.get_model("escalation", "Notification")
        pending = Notification.objects.create(escalation=escalation, channel="webhook", target="*", status="pending", attempts=2)
        gave_up = Notification.objects.create(
            escalation=escalation, channel="email", target="boss@desk.example", status="failed", attempts=5, last_error="timeout"
        )
        Survey = old.get_model("analytics", "SatisfactionSurvey")
        unsent = Survey.objects.create(ticket=ticket, customer=customer)
        answered = Survey.objects.create(ticket=auto_replied, customer=customer, sent_at=AT)
    finally:
        migrate()  # back to today's schema, whatever happened

    messages = {m.dedupe_key: m for m in OutboxMessage.objects.all()}
    assert set(messages) == {
        f"reply:{queued.pk}", f"reply:{failed.pk}", f"reply:{sent.pk}", f"auto_reply:{auto_replied.pk}",
        f"notification:{pending.pk}", f"notification:{gave_up.pk}", f"survey:{unsent.pk}", f"survey:{answered.pk}",
    }  # fmt: skip
    state = {key: (m.kind, m.status, m.attempts) for key, m in messages.items()}
    assert state[f"reply:{queued.pk}"] == ("reply", "queued", 0)
    assert state[f"reply:{failed.pk}"] == ("reply", "failed", 10) and messages[f"reply:{failed.pk}"].last_error == "SMTPError: no"
    assert state[f"reply:{sent.pk}"] == ("reply", "sent", 1) and messages[f"reply:{sent.pk}"].sent_at == AT
    assert state[f"auto_reply:{auto_replied.pk}"] == ("auto_reply", "sent", 1)
    assert state[f"notification:{pending.pk}"] == ("notification", "queued", 2)
    assert messages[f"notification:{pending.pk}"].channel == "webhook" and messages[f"notification:{pending.pk}"].recipient == "*"
    assert state[f"notification:{gave_up.pk}"] == ("notification", "failed", 5)
    assert state[f"survey:{unsent.pk}"] == ("survey", "queued", 0) and state[f"survey:{answered.pk}"] == ("survey", "sent", 1)

    # What was queued is a finished message: it goes out after the upgrade, threaded as before.
    to_send = messages[f"reply:{queued.pk}"]
    assert to_send.recipient == "jane@example.com" and "We are on it." in to_send.body and "/t/" in to_send.body
    assert to_send.headers["Message-ID"] == Interaction.objects.get(pk=queued.pk).external_message_id
    assert outbox.deliver(to_send.pk).status == "sent"  # type: ignore[union-attr]
    assert mail.outbox[-1].subject == f"Re: [#{ticket.pk}] Card declined"
    assert "/survey/" in messages[f"survey:{unsent.pk}"].body
    assert f"Ticket #{ticket.pk} escalated" in messages[f"notification:{gave_up.pk}"].subject
