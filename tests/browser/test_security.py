"""The strict CSP holds in a real browser, and stored XSS payloads stay inert everywhere.

The ``page`` fixture fails a test on any CSP violation Chromium reports, so visiting a page
here proves it works without inline script or style. Payloads that would set
``window.__xss`` if they ever ran are stored in every field a customer controls.
"""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from agents.models import RoutingRule
from tests.browser.conftest import login
from tests.factories import AgentFactory, CustomerFactory, InteractionFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import AuthorKind

PASSWORD = "pw-for-tests"
PAYLOAD = '<img src=x onerror="window.__xss=1"><script>window.__xss=1</script>'


@pytest.mark.browser
def test_admin_docs_and_support_form_work_under_the_csp(page: Page, live_server: Any) -> None:
    admin_user = UserFactory.create(role="admin")
    rule = RoutingRule.objects.create(name="refunds", keyword_pattern="refund")
    TicketFactory.create(subject="Printer on fire")
    login(page, live_server, admin_user.username, PASSWORD)

    page.goto(f"{live_server.url}/admin/")
    expect(page.get_by_role("heading", name="Site administration")).to_be_visible()
    page.goto(f"{live_server.url}/admin/tickets/ticket/")
    expect(page.locator("#result_list")).to_contain_text("Printer on fire")
    page.goto(f"{live_server.url}/admin/tickets/ticket/{TicketFactory.create().pk}/change/")
    expect(page.locator("#ticket_form")).to_be_visible()

    page.goto(f"{live_server.url}/admin/agents/routingrule/{rule.pk}/preview/")
    page.locator('input[name="subject"]').fill("Refund for order 7")  # htmx posts as you type
    expect(page.locator("#preview-result")).to_contain_text("Matches")

    page.goto(f"{live_server.url}/api/docs/")  # Swagger UI from the sidecar, init script split out
    expect(page.locator(".opblock").first).to_be_visible()

    page.context.clear_cookies()
    page.goto(f"{live_server.url}/support/new/")
    expect(page.get_by_role("heading", name="Contact support")).to_be_visible()


@pytest.mark.browser
def test_stored_xss_payloads_are_inert_in_console_and_admin(page: Page, live_server: Any) -> None:
    team = TeamFactory.create(name="Payments")
    agent = AgentFactory.create(user=UserFactory.create(role="supervisor", is_staff=True))
    agent.teams.add(team)
    customer = CustomerFactory.create(name=PAYLOAD, email="evil@example.com", churn_risk="high", churn_score=0.9,
                                      churn_factors=[{"factor": PAYLOAD, "weight": 0.9}])  # fmt: skip
    ticket = TicketFactory.create(subject=PAYLOAD, body=PAYLOAD, customer=customer, team=team, status="triaged", priority=1,
                                  predicted_satisfaction=0.1, satisfaction_factors=[{"signal": PAYLOAD, "effect": -0.5}])  # fmt: skip
    InteractionFactory.create(ticket=ticket, author_kind=AuthorKind.CUSTOMER, body=PAYLOAD)
    login(page, live_server, agent.user.username, PASSWORD)

    for path in ("/console/queue/team/", f"/console/ticket/{ticket.pk}/", "/console/dashboards/satisfaction/"):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("main")).to_contain_text("window.__xss")  # shown as text
        assert page.evaluate("typeof window.__xss") == "undefined"

    admin_user = UserFactory.create(role="admin")
    page.context.clear_cookies()
    login(page, live_server, admin_user.username, PASSWORD)
    for path in ("/admin/tickets/ticket/", f"/admin/tickets/ticket/{ticket.pk}/change/", "/admin/tickets/customer/"):
        page.goto(f"{live_server.url}{path}")
        expect(page.locator("#content")).to_be_visible()
        assert page.evaluate("typeof window.__xss") == "undefined"
