"""The one outbox: queued once, sent once, attempts and errors recorded, resent by the sweep and from admin."""

from datetime import timedelta
from typing import Any

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from analytics.models import SatisfactionSurvey
from foundation import outbox
from foundation.models import OutboxMessage
from foundation.tasks import resend_outbox
from helpcenter.models import KnowledgeArticle
from helpcenter.services import queue_auto_reply
from tests.factories import AgentFactory, TicketFactory
from tickets.models import AuthorKind, Interaction, TicketEvent
from tickets.services import change_status

pytestmark = pytest.mark.django_db


def queue_one(key: str = "survey:1", **kwargs: Any) -> OutboxMessage:
    fields = {"kind": "survey", "dedupe_key": key, "recipient": "jane@example.com", "subject": "Hello", "body": "Hi Jane"}
    return outbox.queue(**{**fields, **kwargs})


def refuse_smtp(monkeypatch: pytest.MonkeyPatch) -> None:
    def refuse(self: Any, fail_silently: bool = False) -> int:
        raise ConnectionRefusedError(111, "Connection refused")

    monkeypatch.setattr("django.core.mail.EmailMessage.send", refuse)


def test_queuing_the_same_message_twice_stores_and_sends_it_once(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        first = queue_one(headers={"Message-ID": "<m1@desk>"})
        second = queue_one(body="a second rendering")
    assert first.pk == second.pk and OutboxMessage.objects.count() == 1 and len(callbacks) == 1
    assert len(mail.outbox) == 1 and mail.outbox[0].body == "Hi Jane" and mail.outbox[0].extra_headers["Message-ID"] == "<m1@desk>"
    sent = OutboxMessage.objects.get()
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, "") and sent.sent_at is not None
    assert outbox.deliver(sent.pk).attempts == 1 and len(mail.outbox) == 1  # type: ignore[union-attr]  # never sent again


def test_a_failure_records_attempts_and_the_last_error_and_ends_failed_at_the_limit(monkeypatch: pytest.MonkeyPatch, settings: Any) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 3
    refuse_smtp(monkeypatch)
    message = queue_one()
    for attempt in (1, 2):
        with pytest.raises(outbox.DeliveryError, match="Connection refused"):
            outbox.deliver(message.pk)
        message.refresh_from_db()
        assert (message.status, message.attempts) == ("queued", attempt) and "ConnectionRefusedError" in message.last_error
        assert message.next_attempt_at > timezone.now()  # backing off: the sweep leaves it to the retrying task
    assert outbox.deliver(message.pk).status == "failed"  # type: ignore[union-attr]
    message.refresh_from_db()
    assert message.attempts == 3 and message.sent_at is None and not mail.outbox


def test_the_task_retries_with_growing_backoff(settings: Any) -> None:
    settings.OUTBOX_RETRY_BASE_SECONDS = 5
    delays = [outbox.retry_delay_seconds(n) for n in range(8)]
    assert 5 <= delays[0] <= 6.25 and 10 <= delays[1] <= 12.5 and 600 <= delays[7] <= 750


def test_send_again_from_admin_resends_a_failed_message(
    monkeypatch: pytest.MonkeyPatch, settings: Any, make_user: Any, django_capture_on_commit_callbacks: Any
) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 1
    with monkeypatch.context() as patch:
        refuse_smtp(patch)
        failed = queue_one()
        outbox.deliver(failed.pk)
    assert OutboxMessage.objects.get(pk=failed.pk).status == "failed"
    admin = Client()
    admin.force_login(make_user(role="admin"))
    listing = admin.get("/admin/foundation/outboxmessage/?status__exact=failed&kind__exact=survey")
    assert listing.status_code == 200 and "ConnectionRefusedError" in listing.text
    with django_capture_on_commit_callbacks(execute=True):
        page = admin.post("/admin/foundation/outboxmessage/", {"action": "send_again", "_selected_action": [failed.pk]}, follow=True)
    assert "1 message(s) queued again." in page.text
    failed.refresh_from_db()
    assert (failed.status, failed.attempts, failed.last_error) == ("sent", 1, "") and len(mail.outbox) == 1


def test_the_sweep_re_enqueues_a_stale_queued_message_only(django_capture_on_commit_callbacks: Any) -> None:
    with django_capture_on_commit_callbacks(execute=False):  # the broker was down: nothing was enqueued
        stale = queue_one("survey:1")
        backing_off = queue_one("survey:2")
    OutboxMessage.objects.filter(pk=backing_off.pk).update(next_attempt_at=timezone.now() + timedelta(hours=1))
    assert resend_outbox.run() == 0  # a fresh message's own task may still be on the way
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        assert resend_outbox.run() == 1  # eager in unit tests: sent right away
    assert OutboxMessage.objects.get(pk=stale.pk).status == "sent"
    assert OutboxMessage.objects.get(pk=backing_off.pk).status == "queued" and len(mail.outbox) == 1


def test_a_sent_survey_records_its_sent_time_on_the_survey(django_capture_on_commit_callbacks: Any) -> None:
    ticket = TicketFactory.create(status="in_progress", assignee=AgentFactory.create())
    with django_capture_on_commit_callbacks(execute=False):
        change_status(ticket=ticket, status="resolved", by=None)
    survey = SatisfactionSurvey.objects.get(ticket=ticket)
    message = OutboxMessage.objects.get(dedupe_key=f"survey:{survey.pk}")
    assert survey.sent_at is None and message.ref_id == survey.pk and "How did we do?" in message.subject
    sent = outbox.deliver(message.pk)
    survey.refresh_from_db()
    assert sent is not None and survey.sent_at == sent.sent_at


def test_a_sent_auto_reply_joins_the_conversation_and_marks_the_ticket() -> None:
    article = KnowledgeArticle.objects.create(title="Reset your password", slug="reset-password", body="Forgot password.")
    ticket = TicketFactory.create(status="triaged", auto_reply_draft="Choose Forgot password.", auto_reply_article=article)
    message = queue_auto_reply(ticket)
    assert message is not None and message.headers["Auto-Submitted"] == "auto-replied"
    assert not Interaction.objects.filter(ticket=ticket).exists()  # nothing in the conversation until it went
    sent = outbox.deliver(message.pk)
    ticket.refresh_from_db()
    assert sent is not None and ticket.auto_reply_sent_at == sent.sent_at
    (reply,) = Interaction.objects.filter(ticket=ticket)
    assert reply.author_kind == AuthorKind.SYSTEM and reply.external_message_id == message.headers["Message-ID"]
    assert TicketEvent.objects.filter(ticket=ticket, kind="auto_reply_sent").count() == 1
    assert queue_auto_reply(ticket) is None  # sent: nothing more to queue
