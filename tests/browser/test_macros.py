"""The macro picker in Chromium: opened by keyboard, searched, inserted, edited, sent."""

from __future__ import annotations

from typing import Any

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from helpcenter.models import KnowledgeArticle, Macro
from tests.browser.conftest import login, save_screenshot
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, InteractionFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import Interaction, Ticket, TicketEvent

PASSWORD = "pw-for-tests"


@pytest.mark.browser
def test_the_picker_inserts_a_macro_by_keyboard_and_the_agents_edits_are_sent(page: Page, live_server: Any) -> None:
    team = TeamFactory.create(slug="accounts", name="Accounts")
    maria = AgentFactory.create(user=UserFactory.create(username="maria", first_name="Maria", last_name="Lopez", role="agent"))
    maria.teams.add(team)
    login_category = CategoryFactory.create(slug="login", name="Login")
    article = KnowledgeArticle.objects.create(title="Reset your password", slug="reset-password", body="Open Settings → Security.")
    customer = CustomerFactory.create(name="Jonas Weber", email="jonas@example.test")
    ticket = TicketFactory.create(
        customer=customer,
        team=team,
        assignee=maria,
        status="assigned",
        category=login_category,
        subject="Locked out after the password change",
        suggested_articles=[{"id": article.pk, "score": 0.82}],
    )
    InteractionFactory.create(ticket=ticket, body="Hi, I changed my password yesterday and now the app says my account is locked.")
    Macro.objects.create(
        name="Password reset link",
        body="Hi {{ customer.first_name }},\n\nyou can reset it here: {{ article.url }}\n\nBest,\n{{ agent.name }}",
        team=team,
        for_article=article,
        set_status="pending_customer",
        add_tags=["password"],
    )
    Macro.objects.create(name="Thanks, closing", body="Glad it works now, {{ customer.first_name }}!", set_status="resolved")
    Macro.objects.create(name="Ask for a screenshot", body="Could you send a screenshot of the error, {{ customer.first_name }}?")

    login(page, live_server, "maria", PASSWORD)
    page.goto(f"{live_server.url}/console/ticket/{ticket.pk}/")
    # With the mouse: the button opens the picker, a click inserts; "send without the macro" drops its actions.
    page.get_by_role("button", name="Macros").click()
    page.locator(".macro-choice", has_text="Thanks, closing").click()
    expect(page.locator("#reply-body")).to_have_value("Glad it works now, Jonas!")
    expect(page.locator("#macro-chosen")).to_contain_text("status → Resolved")
    page.get_by_role("button", name="send without the macro").click()
    expect(page.locator("#macro-chosen")).to_be_hidden()
    expect(page.locator("#reply-macro")).to_have_value("")
    page.locator("#reply-body").fill("")
    page.locator("#reply-body").blur()
    page.keyboard.press("m")
    picker = page.locator("#macro-picker")
    expect(picker).to_be_visible()
    expect(page.locator("#macro-search")).to_be_focused()
    # The suggested macro (matched by the top article) is highlighted first; searching narrows the list.
    expect(page.locator('.macro-choice[aria-selected="true"]')).to_contain_text("Password reset link")
    save_screenshot(page, "macro-picker")
    page.keyboard.type("scr")
    expect(page.locator(".macro-choice:visible")).to_have_count(1)
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.press("Backspace")
    page.keyboard.type("pass")
    page.keyboard.press("Enter")
    expect(picker).to_be_hidden()

    rendered = f"Hi Jonas,\n\nyou can reset it here: {settings.PUBLIC_BASE_URL}/help/article/reset-password/\n\nBest,\nMaria Lopez"
    reply = page.locator("#reply-body")
    expect(reply).to_be_focused()
    expect(reply).to_have_value(rendered)
    expect(page.locator("#macro-chosen")).to_contain_text("on send: tags + password; status → Pending customer")
    page.keyboard.type("\nPS: the link works for 24 hours.")  # the cursor is after the inserted text
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()

    sent = Interaction.objects.filter(ticket=ticket, author_kind="agent").get()
    assert sent.body == rendered + "\nPS: the link works for 24 hours."
    changed = Ticket.objects.get(pk=ticket.pk)
    assert (changed.status, changed.tags) == ("pending_customer", ["password"])
    assert TicketEvent.objects.get(ticket=ticket, kind="macro_applied").detail["edited"] is True
    expect(page.locator(".messages")).to_contain_text("Reply saved with macro “Password reset link”")
