"""Real-browser fixtures: Playwright driving Debian's Chromium against pytest-django's live server.

Never run ``playwright install``: the browser is Debian's ``chromium`` package, which
``.ci/run`` installs when ``/usr/bin/chromium`` is missing.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, Playwright, ViewportSize, sync_playwright

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOTS = ROOT / "docs" / "screenshots"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",  # CI runs as root, where Chromium's sandbox refuses to start
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
VIEWPORT: ViewportSize = {"width": 1280, "height": 800}
DEFAULT_TIMEOUT_MS = 10_000


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test here needs Chromium, so it must say so with ``@pytest.mark.browser``."""
    here = Path(__file__).parent
    unmarked = [item.nodeid for item in items if here in item.path.parents and item.get_closest_marker("browser") is None]
    if unmarked:
        raise pytest.UsageError(f"browser tests without @pytest.mark.browser: {', '.join(unmarked)}")


# Package scope, not session: one Chromium for all browser tests, stopped as soon as the
# last one here has run, so its asyncio loop does not linger under the rest of the suite.
@pytest.fixture(scope="package")
def playwright() -> Iterator[Playwright]:
    # The sync API runs an asyncio loop in this thread while it is started, so Django's
    # async-safety check would refuse every ORM call a test makes (SynchronousOnlyOperation).
    # Tests and the live server still use the database from one thread at a time.
    previous = os.environ.get("DJANGO_ALLOW_ASYNC_UNSAFE")
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    try:
        with sync_playwright() as pw:
            yield pw
    finally:
        if previous is None:
            os.environ.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
        else:
            os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = previous


@pytest.fixture(scope="package")
def browser(playwright: Playwright) -> Iterator[Browser]:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: apt-get install chromium (.ci/run does this).")
    browser = playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)
    yield browser
    browser.close()


@pytest.fixture
def page(browser: Browser, transactional_db: None) -> Iterator[Page]:
    """A fresh page in its own context (no cookies shared between tests).

    An uncaught JavaScript error or a Content-Security-Policy violation (Chromium reports
    each refused inline script or style on the console) on any page the test visited fails
    the test.
    """
    context = browser.new_context(viewport=VIEWPORT, locale="en-US")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    page = context.new_page()
    js_errors: list[str] = []
    page.on("pageerror", lambda error: js_errors.append(f"{page.url}: {error}"))
    page.on(
        "console",
        lambda message: js_errors.append(f"{page.url}: {message.text}") if "Content Security Policy" in message.text else None,
    )
    yield page
    context.close()
    assert not js_errors, "uncaught JavaScript errors or CSP violations:\n" + "\n".join(js_errors)


def submit_sign_in(page: Page, live_server: Any, username: str, password: str) -> None:
    """Fill and submit the real sign-in form; the caller checks where it ended up."""
    page.goto(f"{live_server.url}/accounts/login/")
    page.locator('input[name="username"]').fill(username)
    page.locator('input[name="password"]').fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in", exact=True).click()


def login(page: Page, live_server: Any, username: str, password: str) -> None:
    """Sign in through the form and fail loudly if the form refused the credentials."""
    submit_sign_in(page, live_server, username, password)
    if "/accounts/login/" in page.url:
        raise AssertionError(f"sign-in as {username!r} failed; still on {page.url}")


def save_screenshot(page: Page, name: str) -> Path:
    """Write a full-page screenshot to docs/screenshots/<name>.png (committed with the docs)."""
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=path, full_page=True)
    return path
