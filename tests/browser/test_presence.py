"""Two agents on one ticket, in two browsers: each sees the other viewing and replying, and a
reply sent while the other is answering is held once with the other's preview."""

from __future__ import annotations

import time
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect

from foundation import presence
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, VIEWPORT, login
from tests.factories import AgentFactory, CustomerFactory, InteractionFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import AuthorKind, Interaction

PASSWORD = "pw-for-tests"
POLL_TIMEOUT_MS = 15_000  # the workspace polls every 5 s, heartbeats every 10 s and while typing
ANA_DRAFT = "Hi Lena, the second charge is a card pre-authorisation <not a payment>"
BEN_REPLY = "Hello Lena, I have refunded the duplicate charge of 49.00 EUR."


@pytest.mark.browser
def test_two_agents_see_each_other_and_a_colliding_reply_is_held_once(page: Page, browser: Browser, live_server: Any) -> None:
    team = TeamFactory.create(name="Billing")
    people = {}
    for username, first, last in (("ana", "Ana", "Silva"), ("ben", "Ben", "Okafor")):
        agent = AgentFactory.create(user=UserFactory.create(username=username, first_name=first, last_name=last, role="agent"))
        agent.teams.add(team)
        people[username] = agent
    customer = CustomerFactory.create(name="Lena Fischer", email="lena.fischer@example.de")
    ticket = TicketFactory.create(team=team, assignee=people["ana"], status="in_progress", customer=customer, subject="Charged twice")
    InteractionFactory.create(ticket=ticket, author_kind=AuthorKind.CUSTOMER, body="My card was charged twice for the March invoice.")
    url = f"{live_server.url}/console/ticket/{ticket.pk}/"

    login(page, live_server, "ana", PASSWORD)
    page.goto(url)
    ben_context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    ben_context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    try:
        ben = ben_context.new_page()
        login(ben, live_server, "ben", PASSWORD)
        ben.goto(url)
        expect(ben.locator("#presence")).to_contain_text("Ana Silva is viewing", timeout=POLL_TIMEOUT_MS)
        expect(page.locator("#presence")).to_contain_text("Ben Okafor is viewing", timeout=POLL_TIMEOUT_MS)

        box = page.locator("#reply-body")
        box.fill("")
        box.press_sequentially(ANA_DRAFT)
        expect(ben.locator("#presence")).to_contain_text("Ana Silva is replying", timeout=POLL_TIMEOUT_MS)
        # The beat one second after she stops typing carries the whole draft (the live server shares this cache).
        deadline = time.monotonic() + 5
        while [p.draft for p in presence.others_on(ticket_id=ticket.pk, user=people["ben"].user)] != [ANA_DRAFT]:
            assert time.monotonic() < deadline, presence.others_on(ticket_id=ticket.pk, user=people["ben"].user)
            time.sleep(0.2)

        ben.locator("#reply-body").fill(BEN_REPLY)
        with ben.expect_navigation():
            ben.get_by_role("button", name="Send", exact=True).click()
        warning = ben.locator("#collision")
        expect(warning).to_contain_text("Ana Silva is replying to the customer right now")
        expect(ben.locator("#collision-preview")).to_have_text(ANA_DRAFT)  # escaped: the <…> is text, not markup
        expect(ben.locator("#reply-body")).to_have_value(BEN_REPLY)  # the draft is kept
        assert not Interaction.objects.filter(ticket=ticket, author=people["ben"].user).exists()
        with ben.expect_navigation():
            ben.locator("#send-anyway").click()
        expect(ben.locator("#timeline")).to_contain_text(BEN_REPLY)
        expect(ben.locator("#collision")).to_have_count(0)

        # Ana's workspace shows Ben's reply without a reload; her own send is now held with his preview.
        expect(page.locator("#timeline")).to_contain_text(BEN_REPLY, timeout=POLL_TIMEOUT_MS)
        expect(box).to_have_value(ANA_DRAFT)
        with page.expect_navigation():
            page.get_by_role("button", name="Send", exact=True).click()
        expect(page.locator("#collision")).to_contain_text("Ben Okafor replied to the customer")
        expect(page.locator("#collision-preview")).to_have_text(BEN_REPLY)
        expect(page.locator("#reply-body")).to_have_value(ANA_DRAFT)
        page.locator("#collision-cancel").click()
        expect(page.locator("#collision")).to_have_count(0)
        expect(page.locator("#reply-body")).to_have_value(ANA_DRAFT)  # cancelled, not lost
        assert not Interaction.objects.filter(ticket=ticket, author=people["ana"].user).exists()
    finally:
        ben_context.close()
