"""The agent and supervisor console in Chromium: queues, the ticket workspace, the inbox, the team board.

One help desk (``desk``) with realistic tickets backs every test and the screenshots in
docs/screenshots/: the Payments team, two agents and a supervisor who also takes tickets,
tickets of every priority with one SLA at risk and one breached, and two open escalations.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from django.utils import timezone
from playwright.sync_api import Browser, Page, expect

from agents.models import Agent, Team
from escalation_engine import sla
from escalation_engine.models import Escalation, SlaPolicy
from foundation import config_cache
from foundation.models import BusinessCalendar
from tests.browser.conftest import DEFAULT_TIMEOUT_MS, login, save_screenshot
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, InteractionFactory, TeamFactory, TicketFactory, UserFactory
from tickets.models import AuthorKind, Category, Channel, CustomerTier, Ticket, TicketEvent, TicketStatus

PASSWORD = "pw-for-tests"
# The queue rows and counts poll every 10 s: one poll must land within this.
POLL_TIMEOUT_MS = 15_000
# (first response, resolution) minutes per priority, as the migration's defaults.
TARGETS = {0: (15, 240), 1: (60, 1440), 2: (240, 4320), 3: (1440, 10080)}


@dataclass
class Desk:
    maria: Agent  # agent, two tickets of her own
    tom: Agent  # agent, the breached outage and the at-risk refund
    supervisor: Any  # user with the supervisor role (and an agent profile: a team lead)
    team: Team
    categories: dict[str, Category]
    invoice: Ticket  # Maria's P2, created just now: first response "in 3h 59m"
    login_issue: Ticket  # Maria's P1, at risk
    outage: Ticket  # Tom's P0, breached, escalated (immediate)
    refund: Ticket  # Tom's P2, at risk, escalated (priority)
    unassigned: Ticket
    outage_escalation: Escalation
    refund_escalation: Escalation


@pytest.fixture
def round_the_clock_sla(transactional_db: None) -> None:
    """P0–P3 policies on a 24×7 calendar, so countdowns do not depend on when the suite runs.

    The migration's P1–P3 defaults count office hours only, and a transactional test sees them
    or not depending on whether an earlier one flushed the tables.
    """
    SlaPolicy.objects.all().delete()
    calendar = BusinessCalendar.objects.create(name="Round the clock (browser tests)", is_24x7=True, time_zone="UTC")
    for priority, (first, resolution) in TARGETS.items():
        SlaPolicy.objects.create(
            name=f"P{priority} standard",
            priority=priority,
            first_response_minutes=first,
            next_response_minutes=first,
            resolution_minutes=resolution,
            calendar=calendar,
        )
    config_cache.clear()  # calendars are cached per process, keyed by id


def make_ticket(*, age: timedelta = timedelta(0), customer_mood: float | None = None, **fields: Any) -> Ticket:
    """A ticket opened ``age`` ago by its customer's message, with SLA clocks as intake starts them."""
    now = timezone.now()
    ticket = TicketFactory.create(created_at=now - age, **fields)
    InteractionFactory.create(
        ticket=ticket,
        author_kind=AuthorKind.CUSTOMER,
        channel=ticket.channel,
        body=ticket.body,
        created_at=ticket.created_at,
        frustration_score=customer_mood,
        sentiment_score=None if customer_mood is None else -customer_mood,
    )
    TicketEvent.objects.create(ticket=ticket, kind="created", detail={"channel": ticket.channel}, created_at=ticket.created_at)
    sla.apply_start(ticket, now=now)
    ticket.save()
    return ticket


def add_conversation(
    ticket: Ticket, *, agent: Agent, reply: tuple[timedelta, str], customer: tuple[timedelta, str, float], note: tuple[timedelta, str]
) -> None:
    """An agent's answer, the customer's angry follow-up (which starts the next-response clock) and an internal note."""
    now = timezone.now()
    common = {"ticket": ticket, "channel": ticket.channel}
    InteractionFactory.create(**common, author_kind=AuthorKind.AGENT, author=agent.user, body=reply[1], created_at=now - reply[0])
    ticket.first_response_at = now - reply[0]
    sla.apply_start(ticket, now=now)
    InteractionFactory.create(
        **common, author_kind=AuthorKind.CUSTOMER, body=customer[1], created_at=now - customer[0], frustration_score=customer[2]
    )
    sla.apply_customer_message(ticket, at=now - customer[0])
    InteractionFactory.create(
        **common, author_kind=AuthorKind.AGENT, author=agent.user, body=note[1], is_internal=True, created_at=now - note[0]
    )
    sla.refresh_status(ticket, now=now)
    ticket.save()


@pytest.fixture
def desk(round_the_clock_sla: None, settings: Any) -> Desk:
    # PBKDF2 costs ~0.5 s per user here and again per sign-in; these tests are not about hashing.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    team = TeamFactory.create(name="Payments", slug="payments")
    maria = AgentFactory.create(user=UserFactory.create(username="maria", first_name="Maria", last_name="López", role="agent"))
    tom = AgentFactory.create(user=UserFactory.create(username="tom", first_name="Tom", last_name="Becker", role="agent"), capacity=4)
    supervisor = UserFactory.create(username="samira", first_name="Samira", last_name="Haddad", role="supervisor")
    lead = AgentFactory.create(user=supervisor, capacity=3)
    for agent in (maria, tom, lead):
        agent.teams.add(team)
    categories = {
        slug: CategoryFactory.create(slug=slug, name=name, team=team)
        for slug, name in [("billing", "Billing"), ("refunds", "Refunds"), ("login", "Login & access"), ("outage", "Outage")]
    }
    ana = CustomerFactory.create(name="Ana Souza", email="ana@lumen.example", tier=CustomerTier.GOLD, organization="Lumen Studio")
    invoice = make_ticket(
        subject="Charged twice for the March invoice",
        body="Hello, my card was charged twice for invoice INV-2031 (49.00 EUR each). Please refund one of them.",
        customer=ana,
        team=team,
        assignee=maria,
        status=TicketStatus.ASSIGNED,
        priority=2,
        category=categories["billing"],
        category_confidence=0.91,
        customer_mood=0.35,
        frustration_score=0.35,
        sentiment_score=-0.2,
        priority_reasons=[{"label": "Gold customer", "contribution": 0.12}, {"label": "Money involved", "contribution": 0.2}],
        entities={"invoice_number": ["INV-2031"], "amount": ["49.00 EUR"]},
        routing={"why": "category billing → Payments; least loaded online agent", "rules": ["billing to payments"]},
    )
    login_issue = make_ticket(
        age=timedelta(minutes=50),
        subject="Cannot sign in after the password reset",
        body="Since resetting my password this morning the app says my account is locked. Our payroll run is today.",
        customer=CustomerFactory.create(name="Jonas Berg", email="jonas@nordpay.example", tier=CustomerTier.PLATINUM),
        team=team,
        assignee=maria,
        status=TicketStatus.IN_PROGRESS,
        priority=1,
        channel=Channel.CHAT,
        category=categories["login"],
        category_confidence=0.84,
        customer_mood=0.62,
        frustration_score=0.62,
        sentiment_score=-0.45,
    )
    outage = make_ticket(
        age=timedelta(minutes=25),
        subject="Checkout returns 502 for all our customers",
        body="Every payment on our shop fails with a 502 since 10:40. We are losing orders by the minute!",
        customer=CustomerFactory.create(name="Priya Natarajan", email="priya@acme-retail.example", tier=CustomerTier.ENTERPRISE),
        team=team,
        assignee=tom,
        status=TicketStatus.IN_PROGRESS,
        priority=0,
        channel=Channel.PHONE,
        is_incident=True,
        category=categories["outage"],
        category_confidence=0.97,
        customer_mood=0.88,
        frustration_score=0.88,
        sentiment_score=-0.8,
    )
    refund = make_ticket(
        age=timedelta(hours=3, minutes=20),
        subject="Refund still not received after 10 days",
        body="You promised a refund on the 2nd. Nothing yet. This is the third time I am writing.",
        customer=CustomerFactory.create(name="Lee Wong", email="lee.wong@example.org", tier=CustomerTier.SILVER),
        team=team,
        assignee=tom,
        status=TicketStatus.IN_PROGRESS,
        priority=2,
        repeat_count=2,
        category=categories["refunds"],
        category_confidence=0.78,
        customer_mood=0.4,
        frustration_score=0.71,
        sentiment_score=-0.6,
        priority_reasons=[{"label": "Repeat contact", "contribution": 0.15}, {"label": "Frustrated customer", "contribution": 0.1}],
        entities={"order_number": ["A-77120"], "date": ["2nd of the month"]},
    )
    add_conversation(
        refund,
        agent=tom,
        reply=(timedelta(hours=3, minutes=15), "Hi Lee, I can see the refund was approved. Let me check with our finance team."),
        customer=(timedelta(hours=3, minutes=5), "You said that last week too. This is the third time I am writing!", 0.71),
        note=(timedelta(hours=2), "Finance says the refund bounced: the card expired. Need a new payout method."),
    )
    unassigned = make_ticket(
        age=timedelta(hours=1),
        subject="How do I export receipts as CSV?",
        body="Is there a way to download all receipts of last year as one CSV file?",
        customer=CustomerFactory.create(name="Emil Novak", email="emil@novak.example", tier=CustomerTier.BRONZE),
        team=team,
        status=TicketStatus.TRIAGED,
        priority=3,
        channel=Channel.WEB_FORM,
        category=categories["billing"],
        category_confidence=0.66,
        customer_mood=0.05,
        frustration_score=0.05,
        sentiment_score=0.3,
    )
    weights = {"sla": 0.9, "frustration": 0.6, "customer_value": 0.4, "incident": 0.9, "repeat_contacts": 0.6, "sentiment_trend": 0.5}
    outage_signals = {"sla": 1.0, "frustration": 0.88, "customer_value": 1.0, "incident": 1.0, "repeat_contacts": 0.0}
    refund_signals = {"sla": 0.6, "frustration": 0.0, "customer_value": 0.2, "repeat_contacts": 0.85, "sentiment_trend": 0.4}
    outage_escalation = Escalation.objects.create(
        ticket=outage,
        tier="on_call",
        score=0.91,
        recommendation="immediate",
        sla_breached_at_escalation=True,
        signals=outage_signals,
        weights=weights,
        contributions={k: round(v * weights[k], 2) for k, v in outage_signals.items()},
    )
    refund_escalation = Escalation.objects.create(
        ticket=refund,
        tier="senior_support",
        score=0.7,
        recommendation="priority",
        signals=refund_signals,
        weights=weights,
        contributions={k: round(v * weights[k], 2) for k, v in refund_signals.items()},
    )
    return Desk(
        maria=maria,
        tom=tom,
        supervisor=supervisor,
        team=team,
        categories=categories,
        invoice=invoice,
        login_issue=login_issue,
        outage=outage,
        refund=refund,
        unassigned=unassigned,
        outage_escalation=outage_escalation,
        refund_escalation=refund_escalation,
    )


def row(page: Page, ticket: Ticket) -> Any:
    return page.locator(f'#queue-rows tr.ticket-row[data-ticket="{ticket.pk}"]')


def success_message(page: Page) -> Any:
    return page.locator("ul.messages li.success")


@pytest.mark.browser
def test_agent_replies_from_mine_and_the_first_response_clock_stops(page: Page, live_server: Any, desk: Desk) -> None:
    login(page, live_server, "maria", PASSWORD)

    expect(page).to_have_url(re.compile(r"/console/queue/mine/$"))
    expect(page.locator("#queue-title")).to_have_text("Mine")
    invoice_row = row(page, desk.invoice)
    expect(invoice_row.locator(".pri")).to_have_text("P2")
    expect(invoice_row.locator(".sla")).to_have_text(re.compile(r"^in 3h 5\dm$"))
    expect(page.locator("#queue-rows tr.ticket-row")).to_have_count(2)  # Tom's tickets are not hers

    with page.expect_navigation():
        invoice_row.locator("a.open").click()
    expect(page.locator("#ticket-title")).to_contain_text(desk.invoice.subject)
    expect(page.locator("#sla-first-response")).to_have_text(re.compile(r"^in 3h 5\dm$"))

    reply = "Hi Ana, sorry about that: I have refunded the duplicate charge of 49.00 EUR. It shows within 3 to 5 days."
    page.locator("#reply-body").fill(reply)
    with page.expect_navigation():
        page.get_by_role("button", name="Send", exact=True).click()

    expect(success_message(page)).to_have_text("Reply saved; e-mailing it to the customer.")
    expect(page.locator(".timeline .message.agent").last).to_contain_text(reply)
    expect(page.locator("#sla-first-response")).to_have_text(re.compile(r"^done \d{4}-\d{2}-\d{2} \d{2}:\d{2}$"))
    expect(page.locator("#ticket-title + .meta .status")).to_have_text("In progress")

    page.locator("#category-select").select_option("refunds")
    with page.expect_navigation():
        page.locator("form", has=page.locator("#category-select")).get_by_role("button", name="Set").click()

    expect(success_message(page)).to_have_text("Category set to Refunds; the model will learn from it.")
    expect(page.locator("#triage-category")).to_have_text("Refunds")
    expect(page.locator("#category-select")).to_have_value("refunds")


@pytest.mark.browser
def test_supervisor_dismisses_an_escalation_and_the_open_count_drops(page: Page, live_server: Any, desk: Desk) -> None:
    login(page, live_server, "samira", PASSWORD)
    page.goto(f"{live_server.url}/console/escalations/")

    expect(page.locator("#open-escalations")).to_have_text("2")
    card = page.locator(f'article.escalation[data-escalation="{desk.refund_escalation.pk}"]')
    expect(card).to_contain_text(desk.refund.subject)
    expect(card.locator(".signals")).to_contain_text("0.85 × 0.60 = 0.51")  # repeat contacts: signal × weight = contribution

    card.locator('input[name="reason"]').fill("Refund went out yesterday; the bank is slow, not us.")
    with page.expect_navigation():
        card.get_by_role("button", name="Dismiss").click()

    expect(success_message(page)).to_have_text(f"Escalation {desk.refund_escalation.pk}: dismiss done.")
    expect(page.locator("#open-escalations")).to_have_text("1")
    expect(card).to_have_count(0)
    expect(page.locator(f'article.escalation[data-escalation="{desk.outage_escalation.pk}"]')).to_be_visible()
    desk.refund_escalation.refresh_from_db()
    assert desk.refund_escalation.status == Escalation.Status.DISMISSED
    assert desk.refund_escalation.decision_reason.startswith("Refund went out yesterday")


@pytest.mark.browser
def test_a_new_ticket_appears_in_the_team_queue_without_a_reload(page: Page, live_server: Any, desk: Desk) -> None:
    login(page, live_server, "maria", PASSWORD)
    page.goto(f"{live_server.url}/console/queue/team/")
    team_count = page.locator('#queue-counts .count[data-queue="team"]')
    expect(team_count).to_have_text("5")
    page.evaluate("window.__marker = 1")

    arrived = make_ticket(
        subject="Invoice PDF downloads as an empty file",
        customer=CustomerFactory.create(name="Zoe Martin", tier=CustomerTier.GOLD),
        team=desk.team,
        status=TicketStatus.TRIAGED,
        priority=1,
        category=desk.categories["billing"],
        category_confidence=0.8,
    )

    expect(page.locator("#queue-rows")).to_contain_text(arrived.subject, timeout=POLL_TIMEOUT_MS)
    expect(team_count).to_have_text("6", timeout=POLL_TIMEOUT_MS)
    expect(row(page, arrived).locator(".pri")).to_have_text("P1")
    assert page.evaluate("window.__marker") == 1, "the page reloaded instead of swapping the fragment"
    assert page.url.endswith("/console/queue/team/")


@pytest.mark.browser
def test_keyboard_shortcuts_select_open_reply_and_help(page: Page, live_server: Any, desk: Desk) -> None:
    login(page, live_server, "maria", PASSWORD)
    rows = page.locator("#queue-rows tr.ticket-row")
    expect(rows).to_have_count(2)
    first, second = rows.nth(0), rows.nth(1)  # priority order: the P1 login issue, then the P2 invoice

    page.keyboard.press("?")
    expect(page.locator("#help")).to_be_visible()
    expect(page.locator("#help")).to_contain_text("Keyboard shortcuts")
    page.keyboard.press("Escape")
    expect(page.locator("#help")).to_be_hidden()

    page.keyboard.press("j")
    expect(first).to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("j")
    expect(second).to_have_class(re.compile(r"\bselected\b"))
    expect(first).not_to_have_class(re.compile(r"\bselected\b"))
    page.keyboard.press("k")
    expect(first).to_have_class(re.compile(r"\bselected\b"))

    with page.expect_navigation():
        page.keyboard.press("o")
    expect(page).to_have_url(re.compile(rf"/console/ticket/{desk.login_issue.pk}/$"))

    page.keyboard.press("r")
    expect(page.locator("#reply-body")).to_be_focused()
    expect(page.locator("#internal-note")).not_to_be_checked()

    page.go_back()
    page.keyboard.press("j")
    page.keyboard.press("j")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(rf"/console/ticket/{desk.invoice.pk}/$"))


@pytest.fixture
def page_without_js(browser: Browser, transactional_db: None) -> Iterator[Page]:
    context = browser.new_context(java_script_enabled=False, viewport={"width": 1280, "height": 800}, locale="en-US")
    context.set_default_timeout(DEFAULT_TIMEOUT_MS)
    yield context.new_page()
    context.close()


@pytest.mark.browser
def test_without_javascript_an_agent_changes_status_with_the_plain_form(page_without_js: Page, live_server: Any, desk: Desk) -> None:
    page = page_without_js
    login(page, live_server, "maria", PASSWORD)
    with page.expect_navigation():
        row(page, desk.invoice).locator("a.open").click()

    page.locator("#status-select").select_option("pending_customer")
    with page.expect_navigation():
        page.locator("form", has=page.locator("#status-select")).get_by_role("button", name="Set").click()

    expect(success_message(page)).to_have_text("Status changed.")
    expect(page.locator("#ticket-title + .meta .status")).to_have_text("Pending customer")
    expect(page.locator("#status-select")).to_have_value("pending_customer")
    desk.invoice.refresh_from_db()
    assert desk.invoice.status == TicketStatus.PENDING_CUSTOMER
    assert desk.invoice.sla_paused_at is not None


def assert_no_horizontal_scroll(page: Page) -> None:
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1], f"{page.url} scrolls sideways: content {widths[0]}px wide in a {widths[1]}px window"


@pytest.mark.browser
def test_queue_and_ticket_fit_a_tablet_without_sideways_scrolling(page: Page, live_server: Any, desk: Desk) -> None:
    page.set_viewport_size({"width": 820, "height": 1180})
    login(page, live_server, "samira", PASSWORD)

    page.goto(f"{live_server.url}/console/queue/team/")
    expect(page.locator("#queue-rows tr.ticket-row")).to_have_count(5)
    assert_no_horizontal_scroll(page)

    page.goto(f"{live_server.url}/console/ticket/{desk.outage.pk}/")
    expect(page.locator("#ticket-title")).to_contain_text(desk.outage.subject)
    assert_no_horizontal_scroll(page)


@pytest.mark.browser
def test_screenshots_of_the_main_screens(page: Page, live_server: Any, desk: Desk) -> None:
    """docs/screenshots/{queue,ticket,inbox,team}.png at 1280×800, from the supervisor's seat."""
    login(page, live_server, "samira", PASSWORD)
    shots = {}

    page.goto(f"{live_server.url}/console/queue/team/")
    expect(page.locator("#queue-rows tr.ticket-row")).to_have_count(5)
    expect(row(page, desk.refund).locator(".sla")).to_have_class(re.compile(r"\bsla-at_risk\b"))
    expect(row(page, desk.outage).locator(".sla")).to_have_class(re.compile(r"\bsla-breached\b"))
    shots["queue"] = save_screenshot(page, "queue")

    page.goto(f"{live_server.url}/console/ticket/{desk.refund.pk}/")
    expect(page.locator("#sla-status")).to_have_class(re.compile(r"\bsla-at_risk\b"))
    expect(page.locator(".timeline .message")).to_have_count(4)
    shots["ticket"] = save_screenshot(page, "ticket")

    page.goto(f"{live_server.url}/console/escalations/")
    expect(page.locator("article.escalation")).to_have_count(2)
    shots["inbox"] = save_screenshot(page, "inbox")

    page.goto(f"{live_server.url}/console/team/")
    expect(page.locator("table.board tbody tr[data-agent]")).to_have_count(3)
    shots["team"] = save_screenshot(page, "team")

    for name, path in shots.items():
        assert path.stat().st_size > 10_000, f"{name} screenshot looks empty"
