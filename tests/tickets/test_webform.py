"""The public support form: no login, CSRF, honeypot, rate limit, and a reference number."""

from typing import Any

import pytest
from django.core.cache import cache
from django.test import Client

from tickets.models import Ticket

pytestmark = pytest.mark.django_db

FORM = {"name": "Jane Roe", "email": "jane@example.com", "subject": "Refund please", "description": "I was charged twice for order 88231."}


@pytest.fixture(autouse=True)
def clear_cache() -> None:
    cache.clear()


def test_submitting_the_form_creates_a_ticket_and_shows_its_reference(client: Client) -> None:
    assert client.get("/support/new/").status_code == 200
    response = client.post("/support/new/", FORM, follow=True)
    assert response.status_code == 200
    ticket = Ticket.objects.get()
    assert ticket.channel == "web_form" and ticket.customer.name == "Jane Roe"
    assert f"#{ticket.pk}".encode() in response.content


def test_the_form_requires_csrf() -> None:
    client = Client(enforce_csrf_checks=True)
    assert client.post("/support/new/", FORM).status_code == 403
    assert not Ticket.objects.exists()


def test_invalid_input_redisplays_with_errors_and_keeps_what_was_typed(client: Client) -> None:
    response = client.post("/support/new/", {**FORM, "email": "nope"})
    assert response.status_code == 400
    assert b"Enter a valid email address" in response.content
    assert b"I was charged twice" in response.content
    assert not Ticket.objects.exists()


def test_honeypot_turns_bots_away(client: Client) -> None:
    assert client.post("/support/new/", {**FORM, "website": "http://spam"}).status_code == 400
    assert not Ticket.objects.exists()


def test_rate_limit_per_address(client: Client, settings: Any) -> None:
    settings.WEB_FORM_RATE_PER_MINUTE = 2
    assert client.post("/support/new/", FORM).status_code == 302
    assert client.post("/support/new/", {**FORM, "subject": "Second"}).status_code == 302
    limited = client.post("/support/new/", {**FORM, "subject": "Third"})
    assert limited.status_code == 429 and b"Too many requests" in limited.content
    assert Ticket.objects.count() == 2


def test_tampered_thanks_link_is_a_clear_page_not_an_error(client: Client) -> None:
    response = client.get("/support/thanks/forged-token/")
    assert response.status_code == 400 and b"invalid or has expired" in response.content


def test_the_anonymous_form_never_writes_into_an_existing_ticket(client: Client) -> None:
    """Anyone can type a victim's address and "Re: [#55]": that opens a new ticket linked to #55, never a reply on it."""
    from tests.factories import TicketFactory

    victim = TicketFactory.create(customer__email="victim@example.com", status="resolved", subject="Refund please")
    response = client.post("/support/new/", {**FORM, "email": "victim@example.com", "subject": f"Re: [#{victim.pk}] Refund please",
                                             "description": "Send the refund to IBAN XX00 instead."}, follow=True)  # fmt: skip
    assert response.status_code == 200
    victim.refresh_from_db()
    assert victim.status == "resolved" and victim.interactions.count() == 0
    new = Ticket.objects.exclude(pk=victim.pk).get()
    assert new.repeat_of_id == victim.pk and new.body.startswith("Send the refund")
