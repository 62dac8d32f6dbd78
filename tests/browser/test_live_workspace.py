"""Two browsers: a customer answers on the public status page while the agent watches the ticket.

Without a reload the agent's bell count rises and the customer's message appears in the open
workspace, and the reply the agent was half-way through typing is still in the box.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import VIEWPORT, login, save_screenshot
from tests.factories import AgentFactory, CustomerFactory, InteractionFactory, TeamFactory, TicketFactory, UserFactory
from tickets.links import status_token
from tickets.models import AuthorKind

PASSWORD = "pw-for-tests"
POLL_TIMEOUT_MS = 15_000  # the bell polls every 10 s, the workspace every 5 s
DRAFT = "Hi Lena, I checked with the courier and the parcel is"


@pytest.mark.browser
def test_a_customer_reply_reaches_the_watching_agent_without_a_reload(page: Page, browser: Browser, live_server: Any) -> None:
    team = TeamFactory.create(name="Orders")
    maria = AgentFactory.create(user=UserFactory.create(username="maria", first_name="Maria", last_name="Rossi", role="agent"), capacity=20)
    maria.teams.add(team)
    customer = CustomerFactory.create(name="Lena Fischer", email="lena.fischer@example.de")
    ticket = TicketFactory.create(
        team=team, assignee=maria, status="in_progress", customer=customer, subject="Parcel 4471 marked delivered, not here"
    )
    InteractionFactory.create(ticket=ticket, author_kind=AuthorKind.CUSTOMER, body="Tracking says delivered on Friday but nothing came.")

    login(page, live_server, "maria", PASSWORD)
    page.goto(f"{live_server.url}/console/ticket/{ticket.pk}/")
    bell = page.locator("#bell-count")
    expect(bell).to_have_attribute("data-unread", "0")
    page.locator("#reply-body").fill(DRAFT)

    customer_context = browser.new_context(viewport=VIEWPORT, locale="de-DE")
    try:
        status = customer_context.new_page()
        status.goto(f"{live_server.url}/t/{status_token(ticket)}/")
        status.locator("#body").fill("Hallo, still nothing here. My neighbour has not got it either. Lena")
        with status.expect_navigation():
            status.get_by_role("button", name="Send").click()
        expect(status.locator("body")).to_contain_text("My neighbour has not got it either")
    finally:
        customer_context.close()

    timeline = page.locator("#timeline")
    expect(timeline).to_contain_text("My neighbour has not got it either", timeout=POLL_TIMEOUT_MS)
    expect(bell).to_have_attribute("data-unread", "1", timeout=POLL_TIMEOUT_MS)
    expect(page.locator("#reply-body")).to_have_value(DRAFT)  # the half-typed draft survived both polls
    assert page.url.endswith(f"/console/ticket/{ticket.pk}/")  # never reloaded
    page.locator("details.bell summary").click()
    expect(page.locator(".bell-drop")).to_contain_text("lena.fischer@example.de replied", timeout=POLL_TIMEOUT_MS)
    save_screenshot(page, "live")


@pytest.mark.browser
def test_typing_an_at_name_suggests_agents_and_a_click_writes_the_mention(page: Page, live_server: Any) -> None:
    team = TeamFactory.create(name="Orders")
    maria = AgentFactory.create(user=UserFactory.create(username="maria", first_name="Maria", last_name="Rossi", role="agent"), capacity=20)
    maria.teams.add(team)
    AgentFactory.create(user=UserFactory.create(username="jonas.weber", first_name="Jonas", last_name="Weber", role="agent")).teams.add(
        team
    )
    ticket = TicketFactory.create(team=team, assignee=maria, status="in_progress", subject="Parcel 4471 marked delivered, not here")

    login(page, live_server, "maria", PASSWORD)
    page.goto(f"{live_server.url}/console/ticket/{ticket.pk}/")
    box = page.locator("#reply-body")
    box.fill("")
    box.press_sequentially("Courier claim filed, @jon")
    suggestion = page.locator("#mention-list button.mention", has_text="@jonas.weber")
    expect(suggestion).to_contain_text("Jonas Weber")
    suggestion.click()
    expect(box).to_have_value("Courier claim filed, @jonas.weber ")
    expect(page.locator("#internal-note")).to_be_checked()  # a mention is for colleagues: the note box, not the customer
