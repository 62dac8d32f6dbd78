"""Deflection on the web form in Chromium: type, see suggestions, "solved" → no ticket; or send anyway."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from helpcenter.models import Deflection, KnowledgeArticle
from tests.browser.conftest import save_screenshot
from tests.factories import CategoryFactory
from tickets.models import Ticket

SUBJECT = "Password reset e-mail never arrives"
DESCRIPTION = "I asked for a password reset twice but no e-mail came."


@pytest.fixture
def article(transactional_db: None) -> KnowledgeArticle:
    category = CategoryFactory.create(slug="account_access", name="Account access")
    KnowledgeArticle.objects.create(title="Download an invoice", slug="invoice", body="Billing, invoices, PDF download.")
    return KnowledgeArticle.objects.create(
        title="Reset your password", slug="reset-password", category=category,
        body="Choose **Forgot password** on the sign-in page; the password reset e-mail arrives in minutes.",
    )  # fmt: skip


def fill(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/support/new/")
    page.locator("#id_name").fill("Jane Roe")
    page.locator("#id_email").fill("jane@example.com")
    page.locator("#id_subject").fill(SUBJECT)
    page.locator("#id_description").press_sequentially(DESCRIPTION[:30], delay=5)  # typing, as a person would
    expect(page.locator("#suggestions")).to_contain_text("Reset your password")
    expect(page.locator("#suggestions")).not_to_contain_text("Download an invoice")


@pytest.mark.browser
def test_solved_by_a_suggested_article_creates_no_ticket(page: Page, live_server: Any, article: KnowledgeArticle) -> None:
    fill(page, live_server)
    save_screenshot(page, "deflection")
    page.get_by_role("button", name="This solved my problem").click()
    expect(page.get_by_role("heading", name="Glad it helped")).to_be_visible()
    assert Ticket.objects.count() == 0
    assert Deflection.objects.get().article == article


@pytest.mark.browser
def test_sending_anyway_creates_the_ticket_with_the_shown_articles(page: Page, live_server: Any, article: KnowledgeArticle) -> None:
    fill(page, live_server)
    page.locator("#id_description").fill(DESCRIPTION)
    page.get_by_role("button", name="Send", exact=True).click()
    expect(page.get_by_role("heading", name="Thank you")).to_be_visible()
    ticket = Ticket.objects.get()
    assert ticket.subject == SUBJECT and ticket.shown_articles == [article.pk]
    assert not Deflection.objects.exists()


@pytest.mark.browser
def test_help_centre_search_and_article_under_the_csp(page: Page, live_server: Any, article: KnowledgeArticle) -> None:
    page.goto(f"{live_server.url}/help/")
    page.get_by_role("searchbox").fill("password reset")
    page.get_by_role("button", name="Search").click()
    expect(page.get_by_role("heading", name="1 result for “password reset”")).to_be_visible()
    page.get_by_role("link", name="Reset your password").click()
    expect(page.locator(".article-body strong")).to_have_text("Forgot password")
    page.get_by_role("button", name="Yes").click()
    expect(page.get_by_role("status")).to_have_text("Thanks for telling us.")
    save_screenshot(page, "help-article")
