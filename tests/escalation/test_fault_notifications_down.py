"""Outgoing e-mail and chat webhook down: a real worker retries with backoff, then marks failed.

Intake and triage go on meanwhile; admins see the failed messages in the outbox and can send them again once
the endpoint is back.
"""

import time
from datetime import timedelta
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from escalation_engine.models import Notification
from escalation_engine.sweep import sweep
from foundation.models import OutboxMessage
from tests.conftest import wait_for
from tests.factories import AgentFactory, TeamFactory, TicketFactory, UserFactory
from tests.mailserver import smtp_server
from tests.servers import free_port
from tickets.models import Ticket
from tickets.services import receive_contact

pytestmark = pytest.mark.integration


def test_dead_endpoints_are_retried_marked_failed_and_resent_from_admin(celery_worker_process: Any, settings: Any, make_user: Any) -> None:
    smtp_port, hook_port = free_port(), free_port()  # nobody listens on either
    hook = f"http://127.0.0.1:{hook_port}/hook"
    settings.CHAT_WEBHOOKS = {"*": hook}
    celery_worker_process(
        EMAIL_HOST="127.0.0.1",
        EMAIL_PORT=str(smtp_port),
        CHAT_WEBHOOKS=f"*={hook}",
        OUTBOX_MAX_ATTEMPTS="3",
        OUTBOX_RETRY_BASE_SECONDS="1",
    )
    team = TeamFactory.create(slug="billing")
    AgentFactory.create(user=UserFactory.create(role="supervisor", email="boss@desk.example")).teams.add(team)
    TicketFactory.create(team=team, status="triaged", legal_score=1.0, frustration_score=0.9, next_check_at=timezone.now())

    started = time.monotonic()
    assert sweep().escalated == 1  # the sweep only plans; delivery happens in the worker
    assert time.monotonic() - started < 5
    assert set(Notification.objects.values_list("channel", flat=True)) == {"email", "webhook"}
    incoming = receive_contact(channel="api", customer_email="new@example.com", subject="Card declined", body="Declined twice.")

    messages = OutboxMessage.objects.filter(kind="notification")
    wait_for(lambda: messages.filter(status="failed").count() == 2, timeout=90, interval=0.3, what="both marked failed")
    elapsed = time.monotonic() - started
    assert elapsed >= 2.5, f"three tries with 1 s and 2 s backoff cannot finish in {elapsed:.1f} s"
    for message in messages:
        assert message.attempts == 3 and message.last_error, message
    # Intake was never held up by the dead endpoints.
    wait_for(lambda: Ticket.objects.filter(pk=incoming.ticket.pk, triaged_at__isnull=False).exists(), timeout=60, what="triage")

    client = Client()
    client.force_login(make_user(role="admin"))
    page = client.get("/admin/foundation/outboxmessage/?status__exact=failed&kind__exact=notification")
    assert page.status_code == 200 and "boss@desk.example" in page.text and page.text.count('class="field-short_error"') == 2
    assert client.get("/admin/escalation/notification/").text.count("failed") >= 2  # who was told, and how it went

    with smtp_server(smtp_port) as inbox:  # the mail server is back
        email = messages.get(channel="email")
        response = client.post(
            "/admin/foundation/outboxmessage/", {"action": "send_again", "_selected_action": [email.pk], "index": 0}, follow=True
        )
        assert "1 message(s) queued again." in response.text
        wait_for(lambda: messages.filter(pk=email.pk, status="sent").exists(), timeout=60, what="resent e-mail")
        assert len(inbox.messages) == 1 and "escalated" in inbox.messages[0]["Subject"]
    assert messages.get(channel="webhook").status == "failed"  # not selected, left alone
    sent_at = messages.get(pk=email.pk).sent_at
    assert sent_at is not None and timedelta(0) <= timezone.now() - sent_at < timedelta(minutes=2)
