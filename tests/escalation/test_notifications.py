"""Escalation notifications through a real local SMTP server (aiosmtpd) and a local HTTP receiver."""

import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from escalation_engine.models import Escalation, Notification
from escalation_engine.notifications import deliver, plan
from escalation_engine.sweep import sweep
from foundation.models import OutboxMessage
from foundation.outbox import DeliveryError
from tests.factories import AgentFactory, TeamFactory, TicketFactory, UserFactory
from tests.mailserver import Inbox, smtp_server
from tests.servers import free_port

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
pytestmark = [pytest.mark.django_db, pytest.mark.travel(NOW)]


@pytest.fixture
def smtp(settings: Any) -> Iterator[Inbox]:
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        yield inbox


class Receiver:
    def __init__(self) -> None:
        self.bodies: list[dict[str, Any]] = []
        self.codes: list[int] = []  # answers to give, in order; 200 once exhausted


@pytest.fixture
def chat(settings: Any) -> Iterator[Receiver]:
    receiver = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            receiver.bodies.append(json.loads(self.rfile.read(int(self.headers["Content-Length"]))))
            self.send_response(receiver.codes.pop(0) if receiver.codes else 200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    settings.CHAT_WEBHOOKS = {"*": f"http://127.0.0.1:{server.server_address[1]}/hook"}
    yield receiver
    server.shutdown()


@pytest.fixture
def escalation() -> Escalation:
    team = TeamFactory.create(slug="billing")
    boss = UserFactory.create(role="supervisor", email="boss@desk.example")
    AgentFactory.create(user=boss).teams.add(team)
    UserFactory.create(role="supervisor", email="other@desk.example")  # not in the team: not told
    TicketFactory.create(team=team, status="triaged", legal_score=1.0, frustration_score=0.9, next_check_at=NOW - timedelta(minutes=1))
    assert sweep(now=NOW).escalated == 1
    return Escalation.objects.get()


def message_of(notification: Notification) -> OutboxMessage:
    return OutboxMessage.objects.get(ref_kind="escalation.notification", ref_id=notification.pk)


def test_email_and_chat_webhook_are_delivered_once(smtp: Inbox, chat: Receiver, escalation: Escalation) -> None:
    rows = {n.channel: n for n in Notification.objects.filter(escalation=escalation)}
    assert set(rows) == {"email", "webhook"} and rows["email"].target == "boss@desk.example"
    assert message_of(rows["webhook"]).recipient == "*" and "127.0.0.1" not in str(message_of(rows["webhook"]).payload)  # no secret URL
    for notification in rows.values():
        assert deliver(notification_id=notification.pk).status == "sent"  # type: ignore[union-attr]
        deliver(notification_id=notification.pk)  # a duplicate task delivery sends nothing more
    assert len(smtp.messages) == 1 and f"Ticket #{escalation.ticket_id} escalated" in smtp.messages[0]["Subject"]
    assert len(chat.bodies) == 1 and "escalated" in chat.bodies[0]["text"]
    plan(escalation)  # planning again creates no duplicate rows or messages
    assert Notification.objects.filter(escalation=escalation).count() == 2
    assert OutboxMessage.objects.filter(kind="notification").count() == 2


def test_failing_webhook_is_retried_then_succeeds(smtp: Inbox, chat: Receiver, escalation: Escalation) -> None:
    chat.codes = [500, 503]
    hook = Notification.objects.get(escalation=escalation, channel="webhook")
    for attempt in (1, 2):
        with pytest.raises(DeliveryError, match="answered 50"):
            deliver(notification_id=hook.pk)
        message = message_of(hook)
        assert (message.status, message.attempts) == ("queued", attempt)
    assert deliver(notification_id=hook.pk).status == "sent"  # type: ignore[union-attr]
    assert len(chat.bodies) == 3


def test_gives_up_after_the_limit_and_marks_failed(smtp: Inbox, chat: Receiver, escalation: Escalation, settings: Any) -> None:
    settings.OUTBOX_MAX_ATTEMPTS = 2
    settings.CHAT_WEBHOOKS = {"*": f"http://127.0.0.1:{free_port()}/nobody-listens"}
    hook = Notification.objects.get(escalation=escalation, channel="webhook")
    with pytest.raises(DeliveryError, match="unreachable"):
        deliver(notification_id=hook.pk)
    assert deliver(notification_id=hook.pk).status == "failed"  # type: ignore[union-attr]
    message = message_of(hook)
    assert message.attempts == 2 and "unreachable" in message.last_error
    assert deliver(notification_id=hook.pk).attempts == 2  # type: ignore[union-attr]  # failed rows are left alone


def test_the_task_delivers_through_the_real_smtp_server(smtp: Inbox, chat: Receiver, escalation: Escalation) -> None:
    from foundation.tasks import send_outbox_message

    email = Notification.objects.get(escalation=escalation, channel="email")
    send_outbox_message.delay(message_of(email).pk)
    assert message_of(email).status == "sent" and len(smtp.messages) == 1


def test_the_old_task_name_still_delivers_through_the_outbox(smtp: Inbox, chat: Receiver, escalation: Escalation) -> None:
    """``escalation.send_notification`` tasks queued before the outbox still send, once."""
    from escalation_engine.tasks import send_notification

    email = Notification.objects.get(escalation=escalation, channel="email")
    send_notification.delay(email.pk)
    send_notification.delay(email.pk)
    assert message_of(email).status == "sent" and len(smtp.messages) == 1


def test_the_notification_admin_shows_delivery_from_the_outbox_in_one_query(
    smtp: Inbox, chat: Receiver, escalation: Escalation, make_user: Any
) -> None:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    OutboxMessage.objects.filter(kind="notification", channel="webhook").update(status="failed", last_error="DeliveryError: answered 500")
    client = Client()
    client.force_login(make_user(role="admin"))
    client.get("/admin/")
    with CaptureQueriesContext(connection) as few:
        page = client.get("/admin/escalation/notification/").text
    assert "answered 500" in page and "failed" in page and "queued" in page
    other = TicketFactory.create(status="triaged", legal_score=1.0, frustration_score=0.9, next_check_at=NOW - timedelta(minutes=1))
    assert sweep(now=NOW).escalated == 1 and Notification.objects.exclude(escalation=escalation).filter(escalation__ticket=other).exists()
    with CaptureQueriesContext(connection) as many:
        assert client.get("/admin/escalation/notification/").status_code == 200
    assert len(many) == len(few)
