"""Signing in through the real form in Chromium."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.browser.conftest import login, save_screenshot, submit_sign_in
from tests.factories import UserFactory


@pytest.mark.browser
def test_agent_signs_in_and_sees_their_role(page: Page, live_server: Any) -> None:
    user = UserFactory.create(role="agent")

    login(page, live_server, user.username, "pw-for-tests")

    expect(page.locator("header.topbar")).to_contain_text(f"{user.username} · agent")
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


@pytest.mark.browser
def test_wrong_password_shows_the_error(page: Page, live_server: Any) -> None:
    user = UserFactory.create(role="agent")

    submit_sign_in(page, live_server, user.username, "not-the-password")

    assert "/accounts/login/" in page.url
    expect(page.locator(".error")).to_have_text("Your username and password did not match. Please try again.")
    expect(page.locator('input[name="username"]')).to_have_value(user.username)


@pytest.mark.browser
def test_sign_in_page_screenshot(page: Page, live_server: Any) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    expect(page.get_by_role("heading", name="Sign in")).to_be_visible()

    path = save_screenshot(page, "login")

    assert path.stat().st_size > 1000
