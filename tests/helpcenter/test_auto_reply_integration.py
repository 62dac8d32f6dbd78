"""Auto-reply through the real parts: worker triages, e-mails the article via SMTP, the customer answers."""

import re
from typing import Any

import pytest
import requests

from helpcenter.models import KnowledgeArticle
from tests.conftest import wait_for
from tests.factories import CategoryFactory
from tests.mailserver import smtp_server
from tickets.models import Ticket, TicketEvent
from tickets.services import receive_contact

pytestmark = pytest.mark.integration


def answer(link: str) -> str:
    session = requests.Session()
    form = session.get(link, timeout=10)
    assert form.status_code == 200, form.text[:300]
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)  # type: ignore[union-attr]
    response = session.post(link, data={"csrfmiddlewaretoken": csrf}, timeout=10)
    assert response.status_code == 200
    return response.text


def test_yes_resolves_and_no_leaves_the_ticket_with_agents(celery_worker_process: Any, live_server: Any) -> None:
    category = CategoryFactory.create(slug="account_access", name="Account access", allow_auto_reply=True)
    KnowledgeArticle.objects.create(
        title="Reset your password", slug="reset-password", category=category,
        body="Choose Forgot password on the sign-in page; the password reset e-mail arrives in minutes.",
    )  # fmt: skip
    with smtp_server() as inbox:
        celery_worker_process(EMAIL_HOST="127.0.0.1", EMAIL_PORT=str(inbox.port), PUBLIC_BASE_URL=live_server.url)
        tickets = [
            receive_contact(channel="web_form", customer_email=email, subject="Password reset e-mail never arrives",
                            body="I asked for a password reset twice but no e-mail came.").ticket
            for email in ("yes@example.com", "no@example.com")
        ]  # fmt: skip
        wait_for(lambda: len(inbox.messages) >= 2, timeout=90, what="two auto-replies through the SMTP server")

    by_recipient = {m["To"]: m.get_payload(decode=True).decode() for m in inbox.messages}
    pattern = rf"({re.escape(live_server.url)}/auto-reply/[^/\s]+/(?:yes|no)/)"
    yes_link = next(link for link in re.findall(pattern, by_recipient["yes@example.com"]) if link.endswith("/yes/"))
    no_link = next(link for link in re.findall(pattern, by_recipient["no@example.com"]) if link.endswith("/no/"))

    before = Ticket.objects.get(pk=tickets[1].pk)
    assert "Glad it helped" in answer(yes_link)
    assert "stays with our team" in answer(no_link)

    solved, kept = Ticket.objects.get(pk=tickets[0].pk), Ticket.objects.get(pk=tickets[1].pk)
    assert solved.status == "resolved" and solved.auto_resolved and solved.auto_reply_sent_at is not None
    assert kept.status not in ("resolved", "closed") and not kept.auto_resolved
    assert kept.sla_resolution_due_at == before.sla_resolution_due_at  # the SLA clock was not touched
    assert TicketEvent.objects.filter(ticket=kept, kind="auto_reply_declined").count() == 1
