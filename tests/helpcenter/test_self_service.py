"""Web-form deflection, the customer's status page, auto-replies with yes/no links, and the metrics."""

import re
import time
from datetime import UTC, date, datetime
from typing import Any

import pytest
from django.core import mail, signing
from django.test import Client
from rest_framework.test import APIClient

from analytics.rollup import rebuild_day
from helpcenter.models import Deflection, KnowledgeArticle, SearchLog
from tests.factories import AgentFactory, CategoryFactory, InteractionFactory, TicketFactory
from tickets import links
from tickets.models import Ticket, TicketEvent, TriageSettings
from tickets.services import receive_contact

# Runs on 1 December 2026, whatever today is.
pytestmark = [pytest.mark.django_db, pytest.mark.travel(datetime(2026, 12, 1, 21, 0, tzinfo=UTC))]

FORM = {"name": "Jane Roe", "email": "jane@example.com", "subject": "Password reset e-mail never arrives",
        "description": "I asked for a password reset twice but no e-mail came."}  # fmt: skip


@pytest.fixture
def article() -> KnowledgeArticle:
    category = CategoryFactory.create(slug="account_access", name="Account access", allow_auto_reply=True)
    KnowledgeArticle.objects.create(title="Download an invoice", slug="invoice", body="Billing, invoices, PDF download.")
    return KnowledgeArticle.objects.create(
        title="Reset your password", slug="reset-password", category=category,
        body="Choose Forgot password on the sign-in page; the password reset e-mail arrives in minutes.",
    )  # fmt: skip


def test_typing_shows_matching_articles_with_a_solved_button(article: KnowledgeArticle) -> None:
    response = Client().get("/support/suggest", {"subject": FORM["subject"], "description": FORM["description"]})
    assert response.status_code == 200
    assert "Reset your password" in response.text and "Download an invoice" not in response.text
    assert f'name="shown" value="{article.pk}"' in response.text
    assert 'formaction="/support/deflected"' in response.text
    assert Client().get("/support/suggest", {"subject": "hi"}).text.strip() == ""


def test_solved_records_a_deflection_and_creates_no_ticket(article: KnowledgeArticle) -> None:
    response = Client().post("/support/deflected", {**FORM, "article": str(article.pk), "shown": [str(article.pk)]})
    assert response.status_code == 200 and "Glad it helped" in response.text
    assert not Ticket.objects.exists()
    deflection = Deflection.objects.get()
    assert deflection.article == article and deflection.subject == FORM["subject"]
    assert Client().post("/support/deflected", {**FORM, "article": "999999"}).status_code == 400
    assert Client(enforce_csrf_checks=True).post("/support/deflected", {**FORM, "article": str(article.pk)}).status_code == 403


def test_sending_anyway_stores_the_articles_that_were_shown(article: KnowledgeArticle) -> None:
    response = Client().post("/support/new/", {**FORM, "shown": [str(article.pk), "x", "12"]})
    assert response.status_code == 302
    assert Ticket.objects.get().shown_articles == [article.pk, 12]
    assert not Deflection.objects.exists()


def test_status_page_shows_public_messages_and_takes_replies() -> None:
    ticket = TicketFactory.create(status="in_progress", assignee=AgentFactory.create(), subject="Card declined")
    InteractionFactory.create(ticket=ticket, author_kind="customer", body="My card was declined.")
    InteractionFactory.create(ticket=ticket, author_kind="agent", body="We are checking with the bank.")
    InteractionFactory.create(ticket=ticket, author_kind="agent", body="SECRET internal note", is_internal=True)
    url = f"/t/{links.status_token(ticket)}/"
    client = Client()
    page = client.get(url)
    assert page.status_code == 200 and "We are checking with the bank." in page.text and "SECRET" not in page.text
    assert "In progress" in page.text
    sent = client.post(url, {"body": "It works <b>now</b>?"})
    assert sent.status_code == 302 and sent["Location"].endswith("?sent=1")
    assert ticket.interactions.filter(author_kind="customer", body="It works <b>now</b>?").exists()
    assert "It works &lt;b&gt;now&lt;/b&gt;?" in client.get(url).text
    assert client.post(url, {"body": "   "}).status_code == 400  # a clear message, nothing stored
    assert Client(enforce_csrf_checks=True).post(url, {"body": "x"}).status_code == 403


def test_status_links_refuse_tampering_other_purposes_and_age(settings: Any, monkeypatch: Any) -> None:
    ticket = TicketFactory.create()
    token = links.status_token(ticket)
    assert Client().get(f"/t/{token[:-3]}xyz/").status_code == 400
    other = signing.dumps({"t": ticket.pk, "c": ticket.customer_id}, salt=links.AUTO_REPLY_SALT, compress=True)
    assert Client().get(f"/t/{other}/").status_code == 400
    wrong_customer = signing.dumps({"t": ticket.pk, "c": ticket.customer_id + 1}, salt=links.STATUS_SALT, compress=True)
    assert Client().get(f"/t/{wrong_customer}/").status_code == 404
    settings.STATUS_LINK_MAX_AGE_DAYS = 1
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 2 * 86400)
    old = links.status_token(ticket)
    monkeypatch.setattr(time, "time", real)
    response = Client().get(f"/t/{old}/")
    assert response.status_code == 410 and "expired" in response.text


def test_every_reply_email_carries_the_status_link(django_capture_on_commit_callbacks: Any, make_user: Any, settings: Any) -> None:
    from tickets.services import add_agent_reply

    settings.PUBLIC_BASE_URL = "https://desk.example.com"
    ticket = TicketFactory.create(status="triaged")
    with django_capture_on_commit_callbacks(execute=True):
        add_agent_reply(ticket=ticket, body="Try again now.", by=make_user(role="agent"))
    # The token is signed with a timestamp, so read it back from the mail rather than signing again.
    tokens = re.findall(r"https://desk\.example\.com/t/([^/\s]+)/", str(mail.outbox[0].body))
    assert len(tokens) == 1 and links.ticket_for_status(tokens[0]).pk == ticket.pk


def intake(django_capture_on_commit_callbacks: Any, email: str = "jane@example.com") -> Ticket:
    with django_capture_on_commit_callbacks(execute=True):
        result = receive_contact(channel="web_form", customer_email=email, subject=FORM["subject"], body=FORM["description"])
    return Ticket.objects.get(pk=result.ticket.pk)


def answer_links(message: Any) -> dict[str, str]:
    return {answer: path for path, answer in re.findall(r"https?://[^/\s]+(/auto-reply/[^/\s]+/(yes|no)/)", message.body)}


def test_auto_reply_yes_resolves_and_no_keeps_the_ticket_with_agents(
    article: KnowledgeArticle, django_capture_on_commit_callbacks: Any
) -> None:
    yes_ticket = intake(django_capture_on_commit_callbacks)
    assert yes_ticket.auto_reply_article_id == article.pk and yes_ticket.auto_reply_sent_at is not None
    email = mail.outbox[-1]
    assert "Reset your password" in email.body and "Did this solve your problem?" in email.body and "/t/" in email.body
    urls = answer_links(email)
    client = Client()
    confirm = client.get(urls["yes"])
    assert confirm.status_code == 200 and Ticket.objects.get(pk=yes_ticket.pk).status != "resolved"  # opening changes nothing
    with django_capture_on_commit_callbacks(execute=True):
        done = client.post(urls["yes"])
    assert done.status_code == 200 and "Glad it helped" in done.text
    resolved = Ticket.objects.get(pk=yes_ticket.pk)
    assert resolved.status == "resolved" and resolved.auto_resolved
    assert TicketEvent.objects.filter(ticket=resolved, kind="auto_resolved").count() == 1
    assert "We already have your answer" in client.post(urls["no"]).text  # answered once; a later "no" changes nothing

    no_ticket = intake(django_capture_on_commit_callbacks, email="sam@example.com")
    due = (no_ticket.sla_first_response_due_at, no_ticket.sla_resolution_due_at, no_ticket.sla_status)
    urls = answer_links(mail.outbox[-1])
    declined = client.post(urls["no"])
    assert declined.status_code == 200 and "stays with our team" in declined.text
    kept = Ticket.objects.get(pk=no_ticket.pk)
    assert kept.status not in ("resolved", "closed") and not kept.auto_resolved
    assert (kept.sla_first_response_due_at, kept.sla_resolution_due_at, kept.sla_status) == due  # SLA untouched
    assert TicketEvent.objects.filter(ticket=kept, kind="auto_reply_declined").count() == 1


def test_auto_reply_only_when_the_category_allows_and_triage_is_sure(
    article: KnowledgeArticle, django_capture_on_commit_callbacks: Any
) -> None:
    category = article.category
    assert category is not None
    category.allow_auto_reply = False
    category.save()
    ticket = intake(django_capture_on_commit_callbacks)
    assert ticket.auto_reply_sent_at is None and [m.subject.split("]")[1].strip() for m in mail.outbox] == [
        f"We have received your request: {FORM['subject']}"
    ]  # only the acknowledgement
    TriageSettings.objects.update_or_create(pk=1, defaults={"auto_reply_min_score": 0.99})
    category.allow_auto_reply = True
    category.save()
    assert intake(django_capture_on_commit_callbacks, email="x@example.com").auto_reply_sent_at is None


def test_auto_reply_links_refuse_tampering_and_age(article: KnowledgeArticle, settings: Any, monkeypatch: Any) -> None:
    ticket = TicketFactory.create(status="triaged", auto_reply_article=article)
    token = links.auto_reply_token(ticket, article.pk)
    assert Client().post(f"/auto-reply/{token}x/yes/").status_code == 400
    forged = links.auto_reply_token(ticket, article.pk + 1)
    assert Client().post(f"/auto-reply/{forged}/yes/").status_code == 400
    settings.AUTO_REPLY_ANSWER_HOURS = 1
    real = time.time
    monkeypatch.setattr(time, "time", lambda: real() - 7200)
    old = links.auto_reply_token(ticket, article.pk)
    monkeypatch.setattr(time, "time", real)
    assert Client().post(f"/auto-reply/{old}/yes/").status_code == 410
    assert Ticket.objects.get(pk=ticket.pk).status == "triaged"


def test_self_service_metrics_match_the_hand_computation(make_user: Any, settings: Any, article: KnowledgeArticle) -> None:
    settings.TIME_ZONE = "UTC"
    day = date(2026, 11, 10)
    at = datetime(2026, 11, 10, 12, tzinfo=UTC)
    TicketFactory.create_batch(5, channel="web_form", created_at=at)
    TicketFactory.create(channel="email", created_at=at)
    for _ in range(3):
        Deflection.objects.create(article=article, subject="pw", created_at=at)
    TicketFactory.create(auto_reply_sent_at=at, auto_resolved=True, status="resolved")
    TicketFactory.create(auto_reply_sent_at=at, auto_resolved=True, status="in_progress", assignee=AgentFactory.create(), reopen_count=1)
    TicketFactory.create_batch(2, auto_reply_sent_at=at)
    article.helpful_count, article.not_helpful_count = 3, 1
    article.save()
    for query, results in (("refund crypto", 0), ("refund crypto", 0), ("password", 1), ("fax", 0)):
        SearchLog.objects.create(query=query, results=results, created_at=at)
    rebuild_day(day)
    client = APIClient()
    client.force_authenticate(make_user(role="supervisor"))
    data = client.get("/api/v1/analytics/selfservice?start=2026-11-04&end=2026-11-10").json()
    assert data["totals"] == {
        "deflected": 3,
        "web_form_tickets": 5,
        "deflection_rate": 0.375,  # 3 / (3 + 5)
        "auto_replies": 4,
        "auto_resolved": 2,
        "auto_resolution_rate": 0.5,
        "auto_resolved_reopen_rate": 0.5,
    }
    assert data["breakdown"] == [{"key": str(article.pk), "label": "Reset your password", "deflected": 3}]
    assert data["helpfulness"] == [{"article": "Reset your password", "helpful": 3, "not_helpful": 1, "helpful_share": 0.75}]
    assert data["content_gaps"] == [{"query": "refund crypto", "searches": 2}, {"query": "fax", "searches": 1}]
    assert {row["day"]: row["deflected"] for row in data["trend"]}["2026-11-10"] == 3
    page = Client()
    page.force_login(make_user(role="supervisor"))
    assert "37.5 %" in page.get("/console/dashboards/selfservice/?start=2026-11-04&end=2026-11-10").text


def test_suggestions_are_rate_limited_per_address(article: KnowledgeArticle, settings: Any) -> None:
    settings.SUGGEST_RATE_PER_MINUTE = 3
    query = {"subject": FORM["subject"], "description": FORM["description"]}
    answers = [Client(REMOTE_ADDR="198.51.100.7").get("/support/suggest", query) for _ in range(4)]
    assert [r.status_code for r in answers] == [200, 200, 200, 429]
    assert "Reset your password" not in answers[-1].text
    assert Client(REMOTE_ADDR="198.51.100.8").get("/support/suggest", query).status_code == 200  # another address
