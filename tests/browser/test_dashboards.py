"""Supervisor dashboards in Chromium: filters through htmx, export link, one screenshot per dashboard."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Page, expect

from analytics.prediction import score_churn
from demo.seed import DEMO_PASSWORD, seed_demo
from escalation_engine.sweep import sweep
from tests.browser.conftest import login, save_screenshot
from tickets.models import OPEN_STATUSES, Ticket


@pytest.fixture
def demo_desk(transactional_db: None) -> None:
    from django.apps import apps

    from foundation.roles import sync_roles

    sync_roles(apps)  # an earlier transactional test may have flushed the role groups
    seed_demo(tickets=240, customers=40)
    Ticket.objects.filter(status__in=OPEN_STATUSES).update(next_check_at=timezone.now())
    sweep()  # predicted satisfaction for the open tickets
    score_churn(since=timezone.now() - timedelta(days=31))


@pytest.mark.browser
def test_supervisor_filters_dashboards_and_each_is_captured(page: Page, live_server: Any, demo_desk: None) -> None:
    login(page, live_server, "supervisor", DEMO_PASSWORD)
    page.get_by_role("link", name="Dashboards").click()
    expect(page.get_by_role("heading", name="SLA", exact=True)).to_be_visible()
    expect(page.locator(".kpi").first).to_contain_text("%")
    assert page.locator("svg.chart rect.bar").count() > 0

    page.locator('select[name="by"]').select_option("team")
    page.get_by_role("button", name="Apply").click()
    expect(page.locator("#dashboard table.stats thead")).to_contain_text("Team")
    assert "by=team" in page.url  # htmx pushed the filtered URL: shareable and back-button safe
    assert "format=csv" in (page.get_by_role("link", name="Export CSV").get_attribute("href") or "")
    save_screenshot(page, "dashboard-sla")

    for name, heading in (
        ("escalations", "Escalations"), ("satisfaction", "Satisfaction"), ("selfservice", "Self-service"), ("volume", "Volume & workload"),
    ):  # fmt: skip
        page.get_by_role("navigation", name="Dashboards").get_by_role("link", name=heading).click()
        expect(page.get_by_role("heading", name=heading, exact=True)).to_be_visible()
        expect(page.locator(".kpi").first).to_be_visible()
        save_screenshot(page, f"dashboard-{name}")
    expect(page.locator("#predicted-title")).to_have_count(0)  # on the volume page now
    page.goto(f"{live_server.url}/console/dashboards/satisfaction/")
    expect(page.locator("section[aria-labelledby=predicted-title] tbody tr").first).not_to_contain_text("No open ticket")
