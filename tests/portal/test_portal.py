"""The customer portal: sign-in by e-mailed link, the customer's own tickets, reply, rate, new request."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.core import signing
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from analytics.models import SatisfactionSurvey
from foundation.models import OutboxMessage
from portal import services, views
from portal.models import CustomerSession, SignInLink
from portal.views import COOKIE
from tests.factories import AgentFactory, CustomerFactory, InteractionFactory, TeamFactory, TicketFactory
from tests.portal.conftest import portal_client
from tickets import links
from tickets.models import Interaction, Ticket, TicketEvent
from tickets.services import change_status

pytestmark = pytest.mark.django_db

START = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)
SENT = "a sign-in link is on its way"


def link_from_mail(message: OutboxMessage) -> str:
    found = re.search(r"https?://\S+/portal/sign-in/([^/\s]+)/", message.body)
    assert found, message.body
    return found.group(1)


def ask(client: Client, email: str, **extra: Any) -> Any:
    return client.post("/portal/sign-in/", {"email": email}, **extra)


def test_the_answer_is_the_same_whether_or_not_the_address_is_known() -> None:
    CustomerFactory.create(email="known@example.test")
    known = ask(Client(), "Known@Example.test ")
    unknown = ask(Client(), "nobody@example.test")
    assert known.status_code == unknown.status_code == 200
    assert SENT in known.text and SENT in unknown.text

    def page(response: Any, email: str) -> str:
        return re.sub(r'"x-csrftoken": "\w+"', "", response.text).replace(email, "X")

    assert page(known, "known@example.test") == page(unknown, "nobody@example.test")
    message = OutboxMessage.objects.get()
    assert message.kind == "portal_link" and message.recipient == "known@example.test"
    assert message.dedupe_key == f"portal_link:{SignInLink.objects.get().pk}"


def test_the_sign_in_mail_is_in_the_language_of_the_customers_latest_ticket() -> None:
    german = CustomerFactory.create(email="kunde@example.test", name="Frau Weber")
    TicketFactory.create(customer=german, language="de")
    CustomerFactory.create(email="nolang@example.test")
    ask(Client(), "kunde@example.test")
    ask(Client(), "nolang@example.test")
    mail = OutboxMessage.objects.get(recipient="kunde@example.test")
    assert mail.subject == "Ihr Anmeldelink" and "Mit diesem Link melden Sie sich an" in mail.body
    assert mail.headers["Content-Language"] == "de" and mail.headers["Auto-Submitted"] == "auto-replied"
    assert link_from_mail(mail)
    english = OutboxMessage.objects.get(recipient="nolang@example.test")
    assert english.subject == "Your sign-in link" and english.headers["Content-Language"] == "en"


def test_the_request_does_the_same_work_for_a_known_and_an_unknown_address(monkeypatch: Any) -> None:
    """The look-up is the task's: the page's queries (and so its timing) cannot tell a customer from a stranger."""
    CustomerFactory.create(email="known@example.test")
    enqueued: list[tuple[Any, ...]] = []
    monkeypatch.setattr(views, "enqueue", lambda *args: enqueued.append(args))
    with CaptureQueriesContext(connection) as known:
        ask(Client(), "known@example.test")
    with CaptureQueriesContext(connection) as unknown:
        ask(Client(), "nobody@example.test")
    assert len(known.captured_queries) == len(unknown.captured_queries) == 0
    assert enqueued == [("portal.send_sign_in_link", "known@example.test"), ("portal.send_sign_in_link", "nobody@example.test")]
    assert not OutboxMessage.objects.exists()


@pytest.mark.parametrize("value", ["", "not an address", "a@" + "b" * 300 + ".test", "\x00@example.test"])
def test_a_bad_address_is_a_400_naming_the_field(value: str) -> None:
    response = ask(Client(), value)
    assert response.status_code == 400 and "Enter a valid e-mail address." in response.text
    assert not OutboxMessage.objects.exists()


def test_the_link_asks_to_confirm_signs_in_once_and_then_is_used() -> None:
    customer = CustomerFactory.create(email="ada@example.test")
    ask(Client(), customer.email)
    token = link_from_mail(OutboxMessage.objects.get())
    browser = Client()
    confirm = browser.get(f"/portal/sign-in/{token}/")
    assert confirm.status_code == 200 and "ada@example.test" in confirm.text
    assert not CustomerSession.objects.exists()  # opening the link (a mail scanner) records nothing
    signed_in = browser.post(f"/portal/sign-in/{token}/")
    assert signed_in.status_code == 302 and signed_in["Location"] == "/portal/"
    cookie = signed_in.cookies[COOKIE]
    assert cookie["httponly"] and cookie["path"] == "/portal/" and cookie["samesite"] == "Lax"
    assert browser.get("/portal/").status_code == 200
    session = CustomerSession.objects.get()
    assert session.customer == customer and session.key_hash != cookie.value  # the table holds only the hash
    for again in (Client().post(f"/portal/sign-in/{token}/"), Client().get(f"/portal/sign-in/{token}/")):
        assert again.status_code == 409 and "already been used" in again.text
    assert CustomerSession.objects.count() == 1


def test_a_tampered_link_or_another_kind_of_link_is_refused() -> None:
    customer = CustomerFactory.create()
    link = services.request_link(email=customer.email)
    assert link is not None
    token = services.token_for(link)
    other_salt = signing.dumps({"l": link.pk, "n": link.nonce}, salt=links.STATUS_SALT, compress=True)
    forged_nonce = signing.dumps({"l": link.pk, "n": "guess"}, salt=services.SALT, compress=True)
    for bad in (token[:-2] + ("AA" if not token.endswith("AA") else "BB"), other_salt, forged_nonce, "x", "²"):
        for response in (Client().get(f"/portal/sign-in/{bad}/"), Client().post(f"/portal/sign-in/{bad}/")):
            assert response.status_code == 400 and "not valid" in response.text
    assert not CustomerSession.objects.exists()


def test_a_link_expires_after_the_configured_minutes(clock: Any, settings: Any) -> None:
    settings.PORTAL_LINK_MAX_AGE_MINUTES = 15
    clock.set(START)
    link = services.request_link(email=CustomerFactory.create().email)
    assert link is not None
    token = services.token_for(link)
    clock.set(START + timedelta(minutes=14))
    assert Client().get(f"/portal/sign-in/{token}/").status_code == 200
    clock.set(START + timedelta(minutes=16))
    response = Client().post(f"/portal/sign-in/{token}/")
    assert response.status_code == 410 and "expired" in response.text
    assert not CustomerSession.objects.exists()


def test_a_session_ends_after_its_hours_and_on_sign_out(clock: Any, settings: Any) -> None:
    settings.PORTAL_SESSION_HOURS = 2
    clock.set(START)
    customer = CustomerFactory.create()
    client = portal_client(customer)
    assert client.get("/portal/").status_code == 200
    clock.set(START + timedelta(hours=2, minutes=1))
    expired = client.get("/portal/")
    assert expired.status_code == 302 and expired["Location"] == "/portal/sign-in/"
    clock.set(START + timedelta(hours=3))
    client = portal_client(customer)
    key = client.cookies[COOKIE].value
    assert client.post("/portal/sign-out").status_code == 302
    stolen = Client()
    stolen.cookies[COOKIE] = key  # a copied cookie stops working too
    assert stolen.get("/portal/").status_code == 302
    assert CustomerSession.objects.filter(ended_at__isnull=False).count() == 1


def test_link_requests_are_limited_per_address(settings: Any) -> None:
    settings.PORTAL_LINK_RATE_PER_ADDRESS = 2
    CustomerFactory.create(email="ada@example.test")
    answers = [ask(Client(REMOTE_ADDR=f"10.0.0.{n}"), "ada@example.test").status_code for n in range(3)]
    assert answers == [200, 200, 429]
    assert OutboxMessage.objects.count() == 2
    # An unknown address is counted the same way: the limit tells nothing about who is known.
    assert [ask(Client(REMOTE_ADDR=f"10.0.1.{n}"), "nobody@example.test").status_code for n in range(3)] == [200, 200, 429]
    assert ask(Client(), "other@example.test").status_code == 200


def test_link_requests_are_limited_per_client(settings: Any) -> None:
    settings.PORTAL_LINK_RATE_PER_CLIENT = 3
    client = Client(REMOTE_ADDR="192.0.2.7")
    answers = [ask(client, f"person{n}@example.test").status_code for n in range(4)]
    assert answers == [200, 200, 200, 429]
    limited = ask(client, "person9@example.test")
    assert limited.status_code == 429 and "Too many sign-in links" in limited.text
    assert ask(Client(REMOTE_ADDR="192.0.2.8"), "person9@example.test").status_code == 200


def test_every_portal_page_needs_a_customer_session() -> None:
    ticket = TicketFactory.create()
    for method, path in (
        ("get", "/portal/"), ("get", f"/portal/tickets/{ticket.pk}"), ("post", f"/portal/tickets/{ticket.pk}/reply"),
        ("post", f"/portal/tickets/{ticket.pk}/rate"), ("get", "/portal/new"), ("post", "/portal/new"),
    ):  # fmt: skip
        response = getattr(Client(), method)(path, {"body": "hi", "rating": "5"})
        assert response.status_code == 302 and response["Location"] == "/portal/sign-in/", path
    assert not Interaction.objects.filter(body="hi").exists()


def test_the_list_shows_only_my_tickets_with_status_and_last_public_message(django_assert_max_num_queries: Any) -> None:
    customer = CustomerFactory.create()
    open_one = TicketFactory.create(customer=customer, subject="Printer on fire", status="triaged")
    closed = TicketFactory.create(customer=customer, subject="Old invoice", status="closed")
    InteractionFactory.create(ticket=open_one, author_kind="agent", body="We are sending a technician.")
    InteractionFactory.create(ticket=open_one, author_kind="agent", body="SECRET internal remark", is_internal=True)
    InteractionFactory.create(ticket=closed, body="Thanks, all good.")
    # Same free-text organization: it grants nothing.
    neighbour = CustomerFactory.create(organization=customer.organization or "Acme")
    customer.organization = neighbour.organization
    customer.save()
    TicketFactory.create(customer=neighbour, subject="Neighbour's secret")
    client = portal_client(customer)
    with django_assert_max_num_queries(4):
        page = client.get("/portal/")
    assert page.status_code == 200
    text = page.text
    assert "Printer on fire" in text and "Old invoice" in text and "Neighbour" not in text
    assert "We are sending a technician." in text and "Thanks, all good." in text and "SECRET" not in text
    assert "Triaged" in text and "Closed" in text


def test_the_list_costs_the_same_queries_for_many_tickets(django_assert_max_num_queries: Any) -> None:
    customer = CustomerFactory.create()
    client = portal_client(customer)
    for n in range(30):
        InteractionFactory.create(ticket=TicketFactory.create(customer=customer, subject=f"Request {n}"))
    with django_assert_max_num_queries(4):
        page = client.get("/portal/")
    assert page.text.count("/portal/tickets/") == 25 and "Page 1 of 2" in page.text
    second = client.get("/portal/", {"page": "2"})
    assert second.text.count("/portal/tickets/") == 5
    assert client.get("/portal/", {"page": "²"}).status_code == 200


def test_a_ticket_shows_the_public_conversation_only() -> None:
    ticket = TicketFactory.create(subject="Refund missing", status="triaged")
    InteractionFactory.create(ticket=ticket, body="Where is my refund?")
    InteractionFactory.create(ticket=ticket, author_kind="agent", body="The refund left today.")
    InteractionFactory.create(ticket=ticket, author_kind="agent", body="internal: customer is on the watch list", is_internal=True)
    page = portal_client(ticket.customer).get(f"/portal/tickets/{ticket.pk}")
    assert page.status_code == 200
    assert "Where is my refund?" in page.text and "The refund left today." in page.text and "watch list" not in page.text


def test_another_customers_ticket_is_not_found_for_any_action() -> None:
    mine = TicketFactory.create(status="triaged")
    theirs = TicketFactory.create(subject="Their private matter", status="resolved")
    client = portal_client(mine.customer)
    for response in (
        client.get(f"/portal/tickets/{theirs.pk}"),
        client.post(f"/portal/tickets/{theirs.pk}/reply", {"body": "I am writing into your ticket"}),
        client.post(f"/portal/tickets/{theirs.pk}/rate", {"rating": "1"}),
        client.get("/portal/tickets/99999999"),
        client.get("/portal/tickets/999999999999999999999"),
    ):
        assert response.status_code == 404 and "Their private matter" not in response.text
    assert not Interaction.objects.filter(ticket=theirs).exists()
    theirs.refresh_from_db()
    assert theirs.status == "resolved"


@pytest.fixture
def resolved(db: None) -> Ticket:
    team = TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(team)
    ticket = TicketFactory.create(subject="Card declined", status="in_progress", team=team, assignee=agent)
    return change_status(ticket=ticket, status="resolved", by=agent.user)  # the CSAT listener makes its survey


def test_a_reply_threads_on_and_reopens_a_resolved_ticket(resolved: Ticket) -> None:
    client = portal_client(resolved.customer)
    response = client.post(f"/portal/tickets/{resolved.pk}/reply", {"body": "Still declined this morning."})
    assert response.status_code == 302 and response["Location"] == f"/portal/tickets/{resolved.pk}?sent=1"
    ticket = Ticket.objects.get(pk=resolved.pk)
    assert ticket.status == "in_progress" and ticket.resolved_at is None and ticket.reopen_count == 1
    assert Ticket.objects.count() == 1
    reply = Interaction.objects.get(ticket=ticket, body="Still declined this morning.")
    assert reply.author_kind == "customer" and reply.channel == "web_form"
    assert TicketEvent.objects.filter(ticket=ticket, kind="customer_replied", detail__reopened_from="resolved").exists()
    assert "Your message was added." in client.get(response["Location"]).text


def test_an_empty_reply_is_a_400_and_replies_are_rate_limited(settings: Any) -> None:
    settings.PORTAL_REPLIES_PER_HOUR = 2
    ticket = TicketFactory.create(status="triaged")
    client = portal_client(ticket.customer)
    empty = client.post(f"/portal/tickets/{ticket.pk}/reply", {"body": "   "})
    assert empty.status_code == 400 and 'role="alert"' in empty.text
    assert client.post(f"/portal/tickets/{ticket.pk}/reply", {"body": "one"}).status_code == 302
    limited = client.post(f"/portal/tickets/{ticket.pk}/reply", {"body": "two, kept in the box"})
    assert limited.status_code == 429 and "many messages" in limited.text and "two, kept in the box" in limited.text
    assert not Interaction.objects.filter(body__startswith="two").exists()


def test_rating_a_resolved_ticket_goes_through_the_csat_flow(resolved: Ticket) -> None:
    client = portal_client(resolved.customer)
    page = client.get(f"/portal/tickets/{resolved.pk}")
    assert "How did we do?" in page.text
    assert client.post(f"/portal/tickets/{resolved.pk}/rate", {"rating": "9"}).status_code == 400
    done = client.post(f"/portal/tickets/{resolved.pk}/rate", {"rating": "4", "comment": "Quick, thanks"})
    assert done.status_code == 302 and done["Location"].endswith("?rated=1")
    survey = SatisfactionSurvey.objects.get(ticket=resolved)
    assert survey.rating == 4 and survey.comment == "Quick, thanks" and survey.answered_at is not None
    assert "You rated this request 4 out of 5" in client.get(done["Location"]).text
    again = client.post(f"/portal/tickets/{resolved.pk}/rate", {"rating": "1"})
    assert again.status_code == 409 and SatisfactionSurvey.objects.get(ticket=resolved).rating == 4


def test_a_low_rating_is_followed_up_like_the_e_mailed_survey(resolved: Ticket) -> None:
    portal_client(resolved.customer).post(f"/portal/tickets/{resolved.pk}/rate", {"rating": "1"})
    ticket = Ticket.objects.get(pk=resolved.pk)
    assert ticket.status in ("in_progress", "triaged") and ticket.escalation_requested


def test_an_open_ticket_cannot_be_rated() -> None:
    ticket = TicketFactory.create(status="triaged")
    response = portal_client(ticket.customer).post(f"/portal/tickets/{ticket.pk}/rate", {"rating": "5"})
    assert response.status_code == 409 and not SatisfactionSurvey.objects.exists()


def test_a_new_request_is_prefilled_and_always_the_signed_in_customers() -> None:
    customer = CustomerFactory.create(name="Ada Lovelace", email="ada@example.test")
    client = portal_client(customer)
    form = client.get("/portal/new")
    assert form.status_code == 200 and 'value="ada@example.test"' in form.text and 'value="Ada Lovelace"' in form.text
    assert 'action="/portal/new"' in form.text and "support/suggest" in form.text  # the form's deflection
    data = {"name": "Ada", "email": "mallory@example.test", "subject": "Export fails", "description": "The CSV export is empty."}
    created = client.post("/portal/new", data)
    ticket = Ticket.objects.get(subject="Export fails")
    assert created.status_code == 302 and created["Location"] == f"/portal/tickets/{ticket.pk}?created=1"
    assert ticket.customer == customer and ticket.channel == "web_form"
    invalid = client.post("/portal/new", {**data, "subject": ""})
    assert invalid.status_code == 400 and "This field is required." in invalid.text


def test_a_staff_session_is_no_customer_session_and_the_other_way_round(make_user: Any) -> None:
    ticket = TicketFactory.create()
    staff = Client()
    staff.force_login(make_user("admin", is_superuser=True, is_staff=True))
    assert staff.get("/portal/")["Location"] == "/portal/sign-in/"
    assert staff.get(f"/portal/tickets/{ticket.pk}").status_code == 302
    customer = portal_client(ticket.customer)
    assert customer.get("/console/queue/mine/")["Location"].startswith("/accounts/login/")
    assert customer.get("/admin/")["Location"].startswith("/admin/login/")
    assert customer.get(f"/api/v1/tickets/{ticket.pk}/").status_code == 401
    both = portal_client(ticket.customer, staff)
    both.post("/accounts/logout/")  # signing out of the console leaves the portal session alone
    assert both.get("/portal/").status_code == 200
