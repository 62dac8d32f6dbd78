"""The customer portal in Chromium: ask for a link → the real SMTP server's mailbox → list → open → reply → rate."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from analytics.models import SatisfactionSurvey
from tests.browser.conftest import save_screenshot
from tests.conftest import wait_for
from tests.factories import CustomerFactory, InteractionFactory, TicketFactory
from tests.mailserver import Inbox, smtp_server
from tickets.models import Interaction, Ticket

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


@pytest.fixture
def mailbox(settings: Any, live_server: Any) -> Iterator[Inbox]:
    """The outbox sends through a real SMTP server; links in mail point at the live server."""
    with smtp_server() as inbox:
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", inbox.port
        settings.PUBLIC_BASE_URL = live_server.url
        yield inbox


def ask_for_link(page: Page, live_server: Any, email: str) -> None:
    page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", name="Your support requests")).to_be_visible()  # sent to the sign-in page
    page.get_by_label("Your e-mail").fill(email)
    page.get_by_role("button", name="Send me a sign-in link").click()
    expect(page.get_by_role("status")).to_contain_text("a sign-in link is on its way")


def link_in(inbox: Inbox, live_server: Any, index: int = 0) -> str:
    wait_for(lambda: len(inbox.messages) > index, timeout=30, what="sign-in e-mail through the SMTP server")
    body = inbox.messages[index].get_payload(decode=True).decode()
    found = re.search(rf"{re.escape(live_server.url)}/portal/sign-in/[^/\s]+/", body)
    assert found, body
    return found.group(0)


@pytest.mark.browser
def test_link_by_mail_then_list_open_reply_and_rate(page: Page, live_server: Any, mailbox: Inbox) -> None:
    customer = CustomerFactory.create(name="Ada Lovelace", email="ada@example.test")
    printer = TicketFactory.create(customer=customer, subject="Printer shows error 42", status="pending_customer")
    InteractionFactory.create(ticket=printer, body="My printer shows error 42 since this morning.")
    InteractionFactory.create(ticket=printer, author_kind="agent", body="Please turn it off and on; a new driver is coming.")
    InteractionFactory.create(
        ticket=printer, author_kind="agent", body="Internal: driver bug #881, do not promise a date", is_internal=True
    )
    invoice = TicketFactory.create(customer=customer, subject="Invoice address wrong", status="resolved")
    InteractionFactory.create(ticket=invoice, author_kind="agent", body="We corrected the address on invoice 2026-17.")
    SatisfactionSurvey.objects.create(ticket=invoice, customer=customer)
    stranger = TicketFactory.create(subject="Someone else's refund", status="triaged")

    ask_for_link(page, live_server, "Ada@Example.test")
    link = link_in(mailbox, live_server)
    message = mailbox.messages[0]
    assert message["To"] == "ada@example.test" and "sign-in link" in message["Subject"]

    page.goto(link)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Your requests")).to_be_visible()
    rows = page.locator("table.portal-tickets tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.filter(has_text="Printer shows error 42")).to_contain_text("Pending customer")
    expect(rows.filter(has_text="Printer shows error 42")).to_contain_text("a new driver is coming")
    expect(rows.filter(has_text="Invoice address wrong")).to_contain_text("Resolved")
    expect(page.locator("main")).not_to_contain_text("Someone else's refund")
    expect(page.locator("main")).not_to_contain_text("driver bug #881")
    save_screenshot(page, "portal")

    page.get_by_role("link", name=f"#{printer.pk} Printer shows error 42").click()
    expect(page.locator(".conversation")).to_contain_text("a new driver is coming")
    expect(page.locator("main")).not_to_contain_text("driver bug #881")
    page.get_by_label("Add a message").fill("Turned it off and on: still error 42.")
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("status")).to_have_text("Your message was added.")
    expect(page.locator(".conversation")).to_contain_text("still error 42")
    assert Interaction.objects.filter(ticket=printer, author_kind="customer", body__contains="still error 42").exists()

    page.get_by_role("link", name="My requests").click()
    page.get_by_role("link", name=f"#{invoice.pk} Invoice address wrong").click()
    page.get_by_label("4").check()
    page.get_by_label("Anything you want to tell us? (optional)").fill("Quick fix, thank you.")
    page.get_by_role("button", name="Send rating").click()
    expect(page.get_by_role("status")).to_have_text("You rated this request 4 out of 5. Thank you!")
    survey = SatisfactionSurvey.objects.get(ticket=invoice)
    assert survey.rating == 4 and survey.comment == "Quick fix, thank you."
    save_screenshot(page, "portal-ticket")

    # Changing the id in the address shows nothing of someone else's.
    page.goto(f"{live_server.url}/portal/tickets/{stranger.pk}")
    expect(page.get_by_role("heading", name="Not found")).to_be_visible()
    expect(page.locator("main")).not_to_contain_text("Someone else's refund")

    # The link was used: it opens nothing any more, not even in another browser.
    page.get_by_role("link", name="go to your requests").click()
    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_role("heading", name="Your support requests")).to_be_visible()
    page.goto(link)
    expect(page.get_by_role("heading", name="Link already used")).to_be_visible()
    page.goto(f"{live_server.url}/portal/")
    expect(page.get_by_role("heading", name="Your support requests")).to_be_visible()  # signed out for good
    assert Ticket.objects.get(pk=stranger.pk).interactions.count() == 0


@pytest.mark.browser
def test_a_tampered_or_expired_link_is_refused_with_a_clear_page(page: Page, live_server: Any, mailbox: Inbox, time_machine: Any) -> None:
    # The live server runs in this process, so it travels too; the clock ticks (a frozen one stalls the browser's waits).
    time_machine.move_to(START, tick=True)
    CustomerFactory.create(email="grace@example.test")
    ask_for_link(page, live_server, "grace@example.test")
    link = link_in(mailbox, live_server)

    tampered = link[:-3] + ("x" if link[-3] != "x" else "y") + link[-2:]
    response = page.goto(tampered)
    assert response is not None and response.status == 400
    expect(page.get_by_role("heading", name="Link not valid")).to_be_visible()

    time_machine.move_to(START + timedelta(minutes=31), tick=True)  # PORTAL_LINK_MAX_AGE_MINUTES is 30
    response = page.goto(link)
    assert response is not None and response.status == 410
    expect(page.get_by_role("heading", name="Link expired")).to_be_visible()
    expect(page.get_by_role("link", name="Ask for a new sign-in link")).to_be_visible()

    # Nobody learns which addresses are known: an unknown one gets the same answer, and no mail.
    ask_for_link(page, live_server, "nobody@example.test")
    assert len(mailbox.messages) == 1
