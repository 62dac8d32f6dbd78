"""All four intake paths against the real stack: live web server, Redis, a real Celery worker, PostgreSQL."""

import json
import mailbox
import re
import time
from pathlib import Path
from typing import Any

import pytest
import requests
from django.core.management import call_command
from rest_framework.authtoken.models import Token

from tests.conftest import wait_for
from tests.factories import UserFactory
from tests.tickets.mailfactory import make_mail
from tickets.models import Interaction, Ticket, TicketEvent
from tickets.webhooks import sign

pytestmark = pytest.mark.integration


def test_every_intake_path_is_triaged_by_a_real_worker(live_server: Any, celery_worker_process: Any, settings: Any, tmp_path: Path) -> None:
    settings.WEBHOOK_SECRETS = {"shop": "whsec-integration-secret"}
    worker = celery_worker_process()
    token = Token.objects.create(user=UserFactory.create(role="integration")).key
    auth = {"Authorization": f"Token {token}"}
    base = live_server.url

    # 1. REST API, twice with the same Idempotency-Key
    payload = {"customer_email": "ann@example.com", "subject": "Cannot log in", "body": "I still can't access my account, this is urgent"}
    first = requests.post(f"{base}/api/v1/tickets/", json=payload, headers={**auth, "Idempotency-Key": "k-1"}, timeout=10)
    again = requests.post(f"{base}/api/v1/tickets/", json=payload, headers={**auth, "Idempotency-Key": "k-1"}, timeout=10)
    assert first.status_code == 201 and again.status_code == 200
    api_id = first.json()["ticket"]["id"]
    assert again.json()["ticket"]["id"] == api_id

    # 2. Public web form (CSRF token from the page, like a browser)
    session = requests.Session()
    page = session.get(f"{base}/support/new/", timeout=10)
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    assert csrf
    form = {"csrfmiddlewaretoken": csrf.group(1), "name": "Bo", "email": "bo@example.com", "subject": "Charged twice",
            "description": "I was charged twice for invoice INV-20431, please refund $49.00."}  # fmt: skip
    posted = session.post(f"{base}/support/new/", data=form, headers={"Referer": f"{base}/support/new/"}, timeout=10)
    assert posted.status_code == 200 and "reference number" in posted.text
    form_id = int(re.search(r"#(\d+)", posted.text).group(1))  # type: ignore[union-attr]

    # 3a. Raw e-mail posted by a relay, delivered twice
    raw = make_mail(
        sender="cy@example.com", subject="App crashes", body="The mobile app crashes on startup since the update.", message_id="<int-1@x>"
    )
    for expected in (201, 200):
        assert (
            requests.post(
                f"{base}/api/v1/inbound/email", data=raw, headers={**auth, "Content-Type": "message/rfc822"}, timeout=10
            ).status_code
            == expected
        )
    # 3b. A Maildir read by the ingest_mail command
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    box.add(make_mail(sender="di@example.com", subject="Feature request: dark mode", body="Would love dark mode.", message_id="<int-2@x>"))
    call_command("ingest_mail", maildir=tmp_path / "inbox")

    # 4. Signed webhook, delivered twice
    body = json.dumps(
        {
            "id": "evt-9",
            "customer": {"email": "ed@example.com"},
            "subject": "Lawyer letter",
            "body": "My lawyer will file a GDPR complaint.",
        }
    ).encode()
    for expected in (201, 200):
        stamp = str(int(time.time()))
        hook = requests.post(
            f"{base}/api/v1/inbound/webhook/shop",
            data=body,
            headers={
                "Content-Type": "application/json",
                "X-Escalation-Timestamp": stamp,
                "X-Escalation-Signature": sign("whsec-integration-secret", stamp, body),
            },
            timeout=10,
        )
        assert hook.status_code == expected, hook.content

    assert Ticket.objects.count() == 5  # duplicates created nothing
    wait_for(
        lambda: Ticket.objects.filter(triaged_at__isnull=False).count() == 5, timeout=120, interval=0.5, what="all five tickets triaged"
    )
    assert worker.poll() is None
    for ticket in Ticket.objects.select_related("category"):
        assert ticket.status == "triaged"
        assert ticket.category is not None and 0 < (ticket.category_confidence or 0) <= 1
        assert ticket.priority_reasons or ticket.priority == 3
        assert ticket.sentiment_score is not None and ticket.frustration_score is not None
        assert Interaction.objects.filter(ticket=ticket, sentiment_score__isnull=False).exists()
        assert TicketEvent.objects.filter(ticket=ticket, kind="triaged").count() == 1
    frustrated = Ticket.objects.get(pk=api_id)
    assert frustrated.frustration_score is not None and frustrated.frustration_score >= 0.5
    legal = Ticket.objects.get(customer__email="ed@example.com")
    assert legal.legal_score and legal.legal_score > 0
    assert any(reason["signal"] == "legal" for reason in legal.priority_reasons)
    assert Ticket.objects.get(pk=form_id).entities.get("invoice_numbers") == ["INV-20431"]


def test_a_german_and_a_spanish_ticket_are_triaged_in_their_language_by_a_real_worker(live_server: Any, celery_worker_process: Any) -> None:
    """Issue 20: language, category, priority and signals of mail in other languages, stored by the worker."""
    worker = celery_worker_process()
    token = Token.objects.create(user=UserFactory.create(role="integration")).key
    auth = {"Authorization": f"Token {token}"}
    base = live_server.url
    # German, by e-mail, with a signature and a quoted earlier reply that must not be read as the customer's words
    german = make_mail(
        sender="jonas.weber@weber-logistik.example",
        subject="Export seit dem Update kaputt",
        body=(
            "Guten Tag,\n\nseit dem Update heute früh kann niemand von unseren 120 Mitarbeitern Rechnungen exportieren: jeder "
            "Export bricht mit Fehler 500 ab. Wir können keine Rechnungen an unsere Kunden verschicken.\n\nMit freundlichen "
            "Grüßen\nJonas Weber\nWeber Logistik GmbH\n\nAm 02.03.2026 um 10:02 schrieb Support:\n> Gern geschehen, Ihre "
            "Rückerstattung ist veranlasst.\n"
        ),
        message_id="<de-1@weber-logistik.example>",
    )
    posted = requests.post(f"{base}/api/v1/inbound/email", data=german, headers={**auth, "Content-Type": "message/rfc822"}, timeout=10)
    assert posted.status_code == 201, posted.content
    # Spanish, by the API: a double charge with a chargeback and a consumer-authority threat
    spanish = {
        "customer_email": "lucia.martin@example.es",
        "subject": "Cobro duplicado del pedido 44120",
        "body": (
            "Hola:\n\nMe habéis cobrado dos veces 89 € por el pedido 44120. Quiero que me devolváis el cargo duplicado. Si no "
            "me lo devolvéis esta semana, pediré a mi banco que anule el cargo y presentaré una reclamación ante consumo.\n\n"
            "Un saludo,\nLucía Martín"
        ),
    }
    created = requests.post(f"{base}/api/v1/tickets/", json=spanish, headers=auth, timeout=10)
    assert created.status_code == 201, created.content

    wait_for(lambda: Ticket.objects.filter(triaged_at__isnull=False).count() == 2, timeout=120, interval=0.5, what="both tickets triaged")
    assert worker.poll() is None
    de = Ticket.objects.select_related("category").get(customer__email="jonas.weber@weber-logistik.example")
    es = Ticket.objects.select_related("category").get(customer__email="lucia.martin@example.es")
    assert de.language == "de" and es.language == "es"
    assert de.category is not None and de.category.slug == "technical_support"
    assert es.category is not None and es.category.slug == "refund_request"
    # A company-wide outage said calmly in German is P0 by its impact; the Spanish threats are legal signals.
    assert de.priority == 0 and any(reason["signal"] == "impact" for reason in de.priority_reasons)
    assert es.legal_score and es.legal_score > 0 and es.priority <= 1
    assert any(reason["signal"] == "legal" for reason in es.priority_reasons)
    assert Interaction.objects.filter(ticket=es, sentiment_score__isnull=False).exists()
