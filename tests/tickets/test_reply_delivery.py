"""An agent's reply e-mail through a real SMTP server: sent, retried, or shown as failed — never reported sent when it was not."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

from foundation import outbox
from foundation.models import OutboxMessage
from tests.factories import AgentFactory, TeamFactory, TicketFactory, UserFactory
from tests.mailserver import Inbox, smtp_server
from tests.servers import free_port
from tickets import services
from tickets.models import Interaction, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        yield inbox


def reply_on(ticket: Ticket, body: str = "Try the new link.") -> Interaction:
    return services.add_agent_reply(ticket=ticket, body=body, by=UserFactory.create(role="agent"))


def message_of(reply: Interaction) -> OutboxMessage:
    return OutboxMessage.objects.get(ref_kind=services.REPLY_REF, ref_id=reply.pk)


def test_a_reply_is_delivered_and_marked_sent(smtp: Inbox) -> None:
    reply = reply_on(TicketFactory.create(subject="Cannot log in"))
    message = message_of(reply)
    assert message.status == "queued" and message.kind == "reply" and message.dedupe_key == f"reply:{reply.pk}"
    assert outbox.deliver(message.pk).status == "sent"  # type: ignore[union-attr]
    message.refresh_from_db()
    reply.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert len(smtp.messages) == 1 and smtp.messages[0]["Message-ID"].strip() == reply.external_message_id
    outbox.deliver(message.pk)  # idempotent
    assert len(smtp.messages) == 1 and message_of(reply).attempts == 1


def test_a_subject_stored_with_a_line_break_still_gets_its_reply(smtp: Inbox) -> None:
    """Tickets stored before intake cleaned subjects: the header is built from a cleaned copy."""
    ticket = TicketFactory.create()
    Ticket.objects.filter(pk=ticket.pk).update(subject="Hello\r\nBcc: everyone@example.com")
    reply = reply_on(Ticket.objects.get(pk=ticket.pk))
    assert outbox.deliver(message_of(reply).pk).status == "sent"  # type: ignore[union-attr]
    (message,) = smtp.messages
    assert message["Subject"] == f"Re: [#{ticket.pk}] Hello Bcc: everyone@example.com" and message["Bcc"] is None


def test_a_message_that_can_never_be_built_fails_at_once_and_says_why(smtp: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.mail import BadHeaderError

    reply = reply_on(TicketFactory.create())

    def refuse(self: Any, fail_silently: bool = False) -> int:
        raise BadHeaderError("Header values can't contain newlines")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert outbox.deliver(message_of(reply).pk).status == "failed"  # type: ignore[union-attr]  # no exception: retrying cannot help
    message = message_of(reply)
    assert message.attempts == 1 and "BadHeaderError" in message.last_error and message.sent_at is None


def test_an_unreachable_server_is_retried_then_marked_failed(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nothing listens
    settings.OUTBOX_MAX_ATTEMPTS = 3
    reply = reply_on(TicketFactory.create())
    for attempt in (1, 2):
        with pytest.raises(outbox.DeliveryError):
            outbox.deliver(message_of(reply).pk)  # the task retries this with backoff
        message = message_of(reply)
        assert (message.status, message.attempts) == ("queued", attempt) and "ConnectionRefusedError" in message.last_error
    assert outbox.deliver(message.pk).status == "failed"  # type: ignore[union-attr]  # the last attempt gives up
    message = message_of(reply)
    assert message.attempts == 3 and "ConnectionRefusedError" in message.last_error
    assert outbox.deliver(message.pk).attempts == 3  # type: ignore[union-attr]  # a failed message is left alone


def test_the_workspace_shows_a_failed_reply_as_failed_and_it_can_be_sent_again(smtp: Inbox) -> None:
    team = TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(team)
    ticket = TicketFactory.create(team=team)
    reply = reply_on(ticket)
    OutboxMessage.objects.filter(pk=message_of(reply).pk).update(status="failed", last_error="SMTPRecipientsRefused: mailbox full")
    client = Client()
    client.force_login(agent.user)
    page = client.get(f"/console/ticket/{ticket.pk}/").content.decode()
    assert "e-mail failed: SMTPRecipientsRefused: mailbox full" in page
    services.resend_reply(interaction_id=reply.pk)
    assert "e-mail queued" in client.get(f"/console/ticket/{ticket.pk}/").content.decode()
    assert outbox.deliver(message_of(reply).pk).status == "sent"  # type: ignore[union-attr]
    assert "e-mailed" in client.get(f"/console/ticket/{ticket.pk}/").content.decode() and len(smtp.messages) == 1


def test_replies_left_queued_are_picked_up_by_the_outbox_sweep(django_capture_on_commit_callbacks: Any, smtp: Inbox) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from foundation.tasks import resend_outbox

    with django_capture_on_commit_callbacks(execute=False):  # the broker was down: nothing was enqueued
        reply = reply_on(TicketFactory.create())
    assert resend_outbox.run() == 0  # not overdue yet: its task may still be on the way
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert resend_outbox.run() == 1  # eager in unit tests: sent right away
    assert message_of(reply).status == "sent" and len(smtp.messages) == 1


def test_admin_send_again_requeues_failed_messages_only(smtp: Inbox, make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    failed = message_of(reply_on(TicketFactory.create()))
    OutboxMessage.objects.filter(pk=failed.pk).update(status="failed", attempts=10, last_error="boom")
    sent = message_of(reply_on(TicketFactory.create()))
    OutboxMessage.objects.filter(pk=sent.pk).update(status="sent")
    admin = Client()
    admin.force_login(make_user(role="admin"))
    listing = admin.get("/admin/foundation/outboxmessage/?status__exact=failed&kind__exact=reply").content.decode()
    assert "boom" in listing and f'value="{failed.pk}"' in listing and f'value="{sent.pk}"' not in listing
    with django_capture_on_commit_callbacks(execute=True):
        page = admin.post(
            "/admin/foundation/outboxmessage/", {"action": "send_again", "_selected_action": [failed.pk, sent.pk]}, follow=True
        )
    assert "1 message(s) queued again; 1 skipped (not failed)." in page.content.decode()
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("sent", 1, "") and len(smtp.messages) == 1


def test_the_old_task_name_still_delivers_through_the_outbox(smtp: Inbox) -> None:
    """Tasks queued by the release before the outbox (``tickets.send_reply_email``) still send the reply, once."""
    from tickets.tasks import send_reply_email

    reply = reply_on(TicketFactory.create())
    send_reply_email.delay(reply.pk)
    send_reply_email.delay(reply.pk)
    assert message_of(reply).status == "sent" and len(smtp.messages) == 1
