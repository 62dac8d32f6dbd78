"""An agent's reply e-mail through a real SMTP server: sent, retried, or shown as failed — never reported sent when it was not."""

from collections.abc import Iterator
from typing import Any

import pytest
from django.test import Client

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


def test_a_reply_is_delivered_and_marked_sent(smtp: Inbox) -> None:
    reply = reply_on(TicketFactory.create(subject="Cannot log in"))
    assert Interaction.objects.get(pk=reply.pk).email_status == "queued"
    assert services.deliver_reply_email(interaction_id=reply.pk)
    reply.refresh_from_db()
    assert reply.email_status == "sent" and reply.email_sent_at is not None and reply.email_attempts == 1
    assert len(smtp.messages) == 1 and smtp.messages[0]["Message-ID"].strip() == reply.external_message_id
    assert not services.deliver_reply_email(interaction_id=reply.pk) and len(smtp.messages) == 1  # idempotent


def test_a_subject_stored_with_a_line_break_still_gets_its_reply(smtp: Inbox) -> None:
    """Tickets stored before intake cleaned subjects: the header is built from a cleaned copy."""
    ticket = TicketFactory.create()
    Ticket.objects.filter(pk=ticket.pk).update(subject="Hello\r\nBcc: everyone@example.com")
    reply = reply_on(Ticket.objects.get(pk=ticket.pk))
    assert services.deliver_reply_email(interaction_id=reply.pk)
    (message,) = smtp.messages
    assert message["Subject"] == f"Re: [#{ticket.pk}] Hello Bcc: everyone@example.com" and message["Bcc"] is None


def test_a_message_that_can_never_be_built_fails_at_once_and_says_why(smtp: Inbox, monkeypatch: pytest.MonkeyPatch) -> None:
    from django.core.mail import BadHeaderError

    reply = reply_on(TicketFactory.create())

    def refuse(self: Any, fail_silently: bool = False) -> int:
        raise BadHeaderError("Header values can't contain newlines")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)
    assert services.deliver_reply_email(interaction_id=reply.pk) is False  # no exception: retrying cannot help
    reply.refresh_from_db()
    assert reply.email_status == "failed" and "BadHeaderError" in reply.email_error and reply.external_message_id == ""


def test_an_unreachable_server_is_retried_then_marked_failed(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", free_port(), 2  # nothing listens
    reply = reply_on(TicketFactory.create())
    with pytest.raises(OSError):
        services.deliver_reply_email(interaction_id=reply.pk)  # the task retries this with backoff
    reply.refresh_from_db()
    assert reply.email_status == "queued" and reply.email_attempts == 1 and "ConnectionRefusedError" in reply.email_error
    Interaction.objects.filter(pk=reply.pk).update(email_attempts=services.REPLY_MAX_ATTEMPTS - 1)
    assert services.deliver_reply_email(interaction_id=reply.pk) is False  # the last attempt gives up
    reply.refresh_from_db()
    assert reply.email_status == "failed" and reply.email_attempts == services.REPLY_MAX_ATTEMPTS


def test_the_workspace_shows_a_failed_reply_as_failed_and_it_can_be_sent_again(smtp: Inbox) -> None:
    team = TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(team)
    ticket = TicketFactory.create(team=team)
    reply = reply_on(ticket)
    Interaction.objects.filter(pk=reply.pk).update(email_status="failed", email_error="SMTPRecipientsRefused: mailbox full")
    client = Client()
    client.force_login(agent.user)
    page = client.get(f"/console/ticket/{ticket.pk}/").content.decode()
    assert "e-mail failed: SMTPRecipientsRefused: mailbox full" in page
    services.resend_reply(interaction_id=reply.pk)
    assert services.deliver_reply_email(interaction_id=reply.pk)
    assert "e-mailed" in client.get(f"/console/ticket/{ticket.pk}/").content.decode() and len(smtp.messages) == 1


def test_replies_left_queued_are_picked_up_by_the_outbox_sweep(django_capture_on_commit_callbacks: Any, smtp: Inbox) -> None:
    from datetime import timedelta

    import time_machine
    from django.utils import timezone

    from tickets.tasks import resend_queued_replies

    with django_capture_on_commit_callbacks(execute=False):  # the broker was down: nothing was enqueued
        reply = reply_on(TicketFactory.create())
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert resend_queued_replies.run() == 1  # eager in unit tests: sent right away
    reply.refresh_from_db()
    assert reply.email_status == "sent" and len(smtp.messages) == 1


def test_admin_send_again_requeues_failed_replies_only(smtp: Inbox, make_user: Any, django_capture_on_commit_callbacks: Any) -> None:
    failed = reply_on(TicketFactory.create())
    Interaction.objects.filter(pk=failed.pk).update(email_status="failed", email_error="boom")
    note = services.add_agent_reply(ticket=TicketFactory.create(), body="internal", by=UserFactory.create(role="agent"), internal=True)
    admin = Client()
    admin.force_login(make_user(role="admin", is_staff=True, is_superuser=True))
    with django_capture_on_commit_callbacks(execute=True):
        page = admin.post("/admin/tickets/interaction/", {"action": "send_again", "_selected_action": [failed.pk, note.pk]}, follow=True)
    assert "1 reply e-mail(s) queued again; 1 skipped" in page.content.decode()
    failed.refresh_from_db()
    assert failed.email_status == "sent" and len(smtp.messages) == 1
