"""A German customer's acknowledgement, through the real worker (triage detects the language) and a real SMTP server."""

from email.header import decode_header, make_header
from typing import Any

import pytest

from tests.conftest import wait_for
from tests.mailserver import smtp_server
from tickets.models import Ticket
from tickets.services import receive_contact

pytestmark = pytest.mark.integration

GERMAN = (
    "Guten Tag,\n\nseit dem Update von gestern kann ich keine Rechnungen mehr als PDF herunterladen. "
    "Beim Klick auf „Herunterladen“ passiert einfach nichts. Können Sie mir die Rechnung für November bitte schicken?\n\n"
    "Vielen Dank und freundliche Grüße\nJonas Becker"
)


def test_a_german_tickets_acknowledgement_is_in_german(celery_worker_process: Any) -> None:
    with smtp_server() as inbox:
        celery_worker_process(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(inbox.port))
        ticket = receive_contact(
            channel="email", customer_email="jonas.becker@example.de", customer_name="Jonas Becker",
            subject="Rechnung lässt sich nicht herunterladen", body=GERMAN,
        ).ticket  # fmt: skip
        wait_for(lambda: inbox.messages, timeout=90, what="the acknowledgement through the SMTP server")
    assert Ticket.objects.get(pk=ticket.pk).language == "de"
    [message] = inbox.messages
    subject = str(make_header(decode_header(message["Subject"])))
    body = message.get_payload(decode=True).decode(message.get_content_charset() or "utf-8")
    assert message["To"] == "jonas.becker@example.de"
    assert subject == f"[#{ticket.pk}] Ihre Anfrage ist bei uns eingegangen: Rechnung lässt sich nicht herunterladen"
    assert body.startswith("Guten Tag Jonas Becker,")
    assert "Ihre Anfrage #" in body and "Antworten Sie einfach auf diese E-Mail." in body and "Freundliche Grüße" in body
    assert "Thank you" not in body and "Kind regards" not in body
    assert message["Content-Language"] == "de" and message["Auto-Submitted"] == "auto-replied"
    assert message["Reply-To"]  # the customer's answer threads back
