"""Demo data for the embedded mode: teams, skilled agents, customers and tickets.

Everything is generated here (names, text via ``tickets.triage.seed_corpus``), reproducibly
for a seed, and inserted in bulk inside one transaction.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.db import transaction
from django.utils import timezone
from django.utils.text import slugify
from rest_framework.authtoken.models import Token

from agents.models import Agent, AgentSkill, Availability, RoutingRule, Seniority, Skill, Team
from analytics import rollup
from analytics.models import SatisfactionSurvey
from foundation import roles
from helpcenter.models import Deflection, KnowledgeArticle, Macro, SearchLog
from pipeline.new_ticket import process_new_ticket
from tickets.models import (
    AuthorKind,
    Category,
    Channel,
    Customer,
    CustomerTier,
    Interaction,
    Priority,
    Ticket,
    TicketEvent,
    TicketStatus,
)
from tickets.services import receive_contact
from tickets.triage import seed_corpus

FIRST_NAMES = (
    "Ava", "Liam", "Maya", "Noah", "Zoe", "Ethan", "Iris", "Omar", "Lena", "Ravi", "Sofia", "Jonas",
    "Chloe", "Mateo", "Hana", "Felix", "Amara", "Lucas", "Nina", "Tariq", "Elena", "Kofi", "Mei", "Pablo",
)  # fmt: skip
LAST_NAMES = (
    "Nguyen", "Schmidt", "Okafor", "Rossi", "Kowalski", "Haddad", "Silva", "Tanaka", "Dubois", "Patel",
    "Andersen", "Moreau", "Garcia", "Novak", "Ibrahim", "Larsen", "Costa", "Murphy", "Weber", "Sato",
)  # fmt: skip
ORGANIZATIONS = ("Northwind", "Globex", "Initech", "Umbrella Health", "Stark Logistics", "Acme Retail", "Hooli", "")
TIER_VALUE = {
    CustomerTier.BRONZE: (0, 500),
    CustomerTier.SILVER: (500, 5_000),
    CustomerTier.GOLD: (5_000, 25_000),
    CustomerTier.PLATINUM: (25_000, 100_000),
    CustomerTier.ENTERPRISE: (100_000, 1_000_000),
}

# (username, first, last, role, availability, capacity, seniority, teams)
STAFF = (
    ("admin", "Ada", "Admin", roles.ADMIN, Availability.OFFLINE, 0, Seniority.LEAD, ()),
    ("supervisor", "Sam", "Supervisor", roles.SUPERVISOR, Availability.ONLINE, 5, Seniority.LEAD, ("*",)),
    ("agent", "Alex", "Agent", roles.AGENT, Availability.ONLINE, 12, Seniority.INTERMEDIATE, ("Billing", "Accounts")),
    ("maya", "Maya", "Lindqvist", roles.AGENT, Availability.ONLINE, 10, Seniority.SENIOR, ("Technical",)),
    ("tom", "Tom", "Becker", roles.AGENT, Availability.ONLINE, 8, Seniority.JUNIOR, ("Technical",)),
    ("priya", "Priya", "Raman", roles.AGENT, Availability.AWAY, 10, Seniority.SENIOR, ("Billing",)),
    ("diego", "Diego", "Alvarez", roles.AGENT, Availability.ONLINE, 10, Seniority.INTERMEDIATE, ("Technical", "Product")),
    ("yuki", "Yuki", "Mori", roles.AGENT, Availability.OFFLINE, 10, Seniority.INTERMEDIATE, ("Accounts", "Security")),
    ("fatima", "Fatima", "Benali", roles.AGENT, Availability.ONLINE, 6, Seniority.LEAD, ("Security",)),
    ("oscar", "Oscar", "Lund", roles.AGENT, Availability.ONLINE, 10, Seniority.INTERMEDIATE, ("Product",)),
)


# Knowledge-base articles written for the demo, keyed by category slug.
ARTICLES: dict[str, list[tuple[str, str]]] = {
    "account_access": [
        (
            "Reset your password",
            "Open the sign-in page and choose **Forgot password**. We e-mail a reset link that is valid for one hour. "
            "If it does not arrive within five minutes, check your spam folder and that you typed the address you signed up with.",
        ),
        (
            "Unlock an account after too many attempts",
            "After five failed sign-ins the account is locked for 15 minutes. Wait, then reset "
            "your password. Administrators can unlock a user at once from **Settings → Users**.",
        ),
        (
            "Two-factor codes are rejected",
            "Codes depend on your phone's clock. Turn on automatic date and time, then try a fresh code. "
            "Lost your phone? Use one of your backup codes, or ask your administrator to reset two-factor authentication.",
        ),
    ],
    "billing": [
        (
            "Download an invoice",
            "Go to **Billing → Invoices** and click the PDF icon next to any invoice. Company name, address and "
            "VAT number come from **Billing → Details**; change them there and the next invoice uses the new details.",
        ),
        (
            "Why was I charged twice?",
            "A second charge is usually a pending authorisation that your bank drops within 3–5 days. "
            "If both charges settle, reply with the invoice numbers and we refund the duplicate.",
        ),
    ],
    "refund_request": [
        (
            "Refund policy and timelines",
            "Refunds go back to the original payment method. We issue them within 2 business days; "
            "your bank may take 5–10 business days to show the money. Annual plans are refundable within 30 days.",
        ),
    ],
    "technical_support": [
        (
            "The app crashes on start",
            "Update to the latest version, restart the device, and clear the app cache. If it still crashes, "
            "send us the app version and device model from **Settings → About**.",
        ),
        (
            "Uploads fail with large files",
            "Files up to 100 MB are supported. Larger uploads need the desktop client. Check that your "
            "browser is up to date and that no proxy limits upload size.",
        ),
    ],
    "security": [
        (
            "Report a suspicious sign-in",
            "Change your password at once, sign out all sessions from **Settings → Security**, and turn on "
            "two-factor authentication. Then tell us the time of the suspicious sign-in so we can investigate.",
        ),
    ],
    "feature_request": [
        (
            "How we handle feature requests",
            "Every request is logged with the number of customers asking for it. The product team "
            "reviews the list monthly; you are notified when a feature you asked for ships.",
        ),
    ],
    "general_inquiry": [
        ("Export your data", "Go to **Settings → Data → Export** and choose CSV or JSON. Large exports are e-mailed as a download link."),
        (
            "Add a user to your team",
            "Administrators invite users from **Settings → Users → Invite**. The invitation link is valid for 7 days.",
        ),
    ],
}
AUTO_REPLY_CATEGORIES = {"account_access", "general_inquiry"}

# Printed by seed_demo and documented in the README; seed_demo refuses to run in production.
DEMO_PASSWORD = "demo-escalation"  # noqa: S105


@dataclass(frozen=True)
class DemoResult:
    logins: list[tuple[str, str, str]]  # (username, password, role)
    tickets: int
    customers: int


def _staff_skills(team_names: tuple[str, ...], rng: random.Random) -> dict[str, int]:
    """Skill slug → level: strong in the agent's own teams' categories."""
    skills: dict[str, int] = {}
    for spec in seed_corpus.CATEGORIES:
        if "*" in team_names or spec.team in team_names:
            skills[spec.slug] = rng.randint(3, 5)
        elif rng.random() < 0.25:
            skills[spec.slug] = rng.randint(1, 2)
    return skills


# Demo SLA targets in minutes (first response, resolution) per priority, wall clock.
DEMO_TARGETS = {0: (15, 240), 1: (60, 1440), 2: (240, 4320), 3: (1440, 10080)}
# CSAT answers lean on whether the SLA was met: weights for ratings 5, 4, 3, 2, 1.
RATING_WEIGHTS = {True: (50, 30, 10, 6, 4), False: (15, 20, 25, 20, 20)}


def _measure(ticket: Ticket) -> None:
    """Outcome fields as the services would have recorded them (wall-clock durations for the demo)."""
    first, resolution = DEMO_TARGETS[int(ticket.priority)]
    if ticket.first_response_at is not None:
        ticket.first_response_seconds = (ticket.first_response_at - ticket.created_at).total_seconds()
        ticket.first_response_met = ticket.first_response_seconds <= first * 60
    if ticket.resolved_at is not None:
        ticket.resolution_seconds = (ticket.resolved_at - ticket.created_at).total_seconds()
        ticket.resolution_met = ticket.resolution_seconds <= resolution * 60


GAPS = ("crypto refund", "change account holder name", "fax number", "paper statements")


def _self_service_history(rng: random.Random, now: Any, tickets: int) -> None:
    """A month of help-centre use: deflected contacts, searches (some without results), votes."""
    articles = list(KnowledgeArticle.objects.filter(is_published=True))
    if not articles:
        return
    moments = [now - timedelta(minutes=rng.randint(5, 60 * 24 * 30)) for _ in range(max(1, tickets // 6))]
    Deflection.objects.bulk_create(Deflection(article=rng.choice(articles), subject="demo", created_at=moment) for moment in moments)
    SearchLog.objects.bulk_create(
        SearchLog(query=rng.choice(GAPS), results=0, created_at=moment) if rng.random() < 0.3
        else SearchLog(query=rng.choice(articles).title.lower(), results=rng.randint(1, 4), created_at=moment)
        for moment in moments * 2
    )  # fmt: skip
    for article in articles:
        article.helpful_count += rng.randint(3, 30)
        article.not_helpful_count += rng.randint(0, 8)
    KnowledgeArticle.objects.bulk_update(articles, ["helpful_count", "not_helpful_count"])


def demo_survey(ticket: Ticket, rng: random.Random, *, answer_rate: float = 0.45) -> SatisfactionSurvey | None:
    """A sent survey for a resolved ticket, answered about half the time, rated by how it went."""
    if ticket.resolved_at is None:
        return None
    sent = ticket.resolved_at + timedelta(minutes=5)
    answered = rng.random() < answer_rate
    rating = rng.choices((5, 4, 3, 2, 1), weights=RATING_WEIGHTS[bool(ticket.resolution_met)])[0] if answered else None
    return SatisfactionSurvey(
        ticket=ticket, customer_id=ticket.customer_id, team_id=ticket.team_id, agent_id=ticket.assignee_id,
        category_id=ticket.category_id, priority=ticket.priority, channel=ticket.channel, sent_at=sent,
        answered_at=sent + timedelta(hours=rng.randint(1, 30)) if answered else None, rating=rating,
        signals={"sla": 0.0 if ticket.resolution_met else 1.0},
    )  # fmt: skip


@transaction.atomic
def _demo_macros(categories: dict[str, Category]) -> None:
    """A few canned replies a new desk would write first (global, so every demo agent has them)."""
    reset = KnowledgeArticle.objects.filter(slug="reset-your-password").first()
    Macro.objects.create(
        name="Password reset link",
        body=(
            "Hi {{ customer.first_name }},\n\nyou can set a new password here: {{ article.url }}\n"
            "The link in that e-mail works for one hour.\n\nBest,\n{{ agent.name }}"
        ),
        for_category=categories.get("account_access"),
        for_article=reset,
        set_status=TicketStatus.PENDING_CUSTOMER,
        add_tags=["password"],
    )
    Macro.objects.create(
        name="Ask for details",
        body=(
            "Hi {{ customer.first_name }},\n\nthanks for your message about \u201c{{ ticket.subject }}\u201d. "
            "Could you tell us what you tried and send a screenshot of the error?\n\n{{ agent.name }}"
        ),
        set_status=TicketStatus.PENDING_CUSTOMER,
    )
    Macro.objects.create(
        name="Solved, closing",
        body="Hi {{ customer.first_name }},\n\nglad it works now. Reply to this e-mail if it comes up again ({{ ticket.reference }}).",
        set_status=TicketStatus.RESOLVED,
    )


def seed_demo(*, tickets: int = 400, customers: int = 80, password: str = DEMO_PASSWORD, seed: int = 7) -> DemoResult:
    """Create the demo desk. Idempotent for staff and catalogue; adds tickets each call."""
    rng = random.Random(seed)
    now = timezone.now()

    teams = {
        name: Team.objects.get_or_create(name=name, defaults={"slug": slugify(name)})[0]
        for name in {s.team for s in seed_corpus.CATEGORIES}
    }
    skills: dict[str, Skill] = {}
    categories: dict[str, Category] = {}
    for spec in seed_corpus.CATEGORIES:
        skills[spec.slug] = Skill.objects.get_or_create(slug=spec.slug, defaults={"name": spec.name})[0]
        categories[spec.slug] = Category.objects.get_or_create(
            slug=spec.slug, defaults={"name": spec.name, "skill": skills[spec.slug], "team": teams[spec.team]}
        )[0]

    user_model = get_user_model()
    logins: list[tuple[str, str, str]] = []
    agents: list[Agent] = []
    for username, first, last, role, availability, capacity, seniority, team_names in STAFF:
        user, created = user_model.objects.get_or_create(
            username=username,
            defaults={"first_name": first, "last_name": last, "email": f"{username}@escalation.localhost"},
        )
        if created:
            user.set_password(password)
            user.is_staff = role == roles.ADMIN
            user.is_superuser = role == roles.ADMIN
            user.save()
        user.groups.add(Group.objects.get(name=role))
        logins.append((username, password if created else "(unchanged)", role))
        if role == roles.ADMIN:
            continue
        agent, agent_created = Agent.objects.get_or_create(
            user=user, defaults={"availability": availability, "capacity": capacity, "seniority": seniority}
        )
        if agent_created:
            agent.teams.set(teams.values() if "*" in team_names else [teams[name] for name in team_names])
            AgentSkill.objects.bulk_create(
                [AgentSkill(agent=agent, skill=skills[slug], level=level) for slug, level in _staff_skills(team_names, rng).items()]
            )
        agents.append(agent)

    for slug, articles in ARTICLES.items():
        category = categories.get(slug)
        if category is None:
            continue
        if slug in AUTO_REPLY_CATEGORIES and not category.allow_auto_reply:
            category.allow_auto_reply = True
            category.save(update_fields=["allow_auto_reply"])
        for title, body in articles:
            KnowledgeArticle.objects.get_or_create(slug=slugify(title), defaults={"title": title, "body": body, "category": category})

    if not Macro.objects.exists():
        _demo_macros(categories)

    if not RoutingRule.objects.exists():
        legal = RoutingRule.objects.create(
            name="Legal or regulator language → Security, escalate",
            order=10,
            keyword_pattern=r"\b(lawyer|lawsuit|attorney|legal action|regulator|ombudsman|chargeback)\b",
            team=teams.get("Security"),
            set_priority=1,
            add_tags=["legal"],
            mark_for_escalation=True,
        )
        legal.save()
        RoutingRule.objects.create(
            name="Enterprise and platinum customers: one level more urgent",
            order=20,
            customer_tiers=["platinum", "enterprise"],
            raise_priority_by=1,
            add_tags=["vip"],
            continue_matching=True,
        )
        RoutingRule.objects.create(name="P0 needs level 4 or a senior", order=30, priorities=[0], min_skill_level=4)

    integration, created = user_model.objects.get_or_create(username="intake-bot", defaults={"email": "intake-bot@escalation.localhost"})
    if created:
        integration.set_unusable_password()
        integration.save()
    integration.groups.add(Group.objects.get(name=roles.INTEGRATION))
    token, _ = Token.objects.get_or_create(user=integration)
    logins.append(("intake-bot", f"API token {token.key}", roles.INTEGRATION))

    tiers = list(CustomerTier)
    start = Customer.objects.count()
    new_customers = []
    for index in range(start, start + customers):
        first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        tier = tiers[index % len(tiers)]
        low, high = TIER_VALUE[tier]
        new_customers.append(
            Customer(
                name=f"{first} {last}",
                email=f"{first}.{last}.{index}@example.com".lower(),
                organization=rng.choice(ORGANIZATIONS),
                tier=tier,
                lifetime_value=Decimal(rng.randint(low, high)),
            )
        )
    Customer.objects.bulk_create(new_customers)
    all_customers = list(Customer.objects.all())

    agents_by_team: dict[int, list[Agent]] = {}
    for agent in agents:
        for team in agent.teams.all():
            agents_by_team.setdefault(team.pk, []).append(agent)

    spec_by_slug = {spec.slug: spec for spec in seed_corpus.CATEGORIES}
    # Open work comes through the real intake and triage task (category with confidence, priority
    # with reasons, SLA clocks, routing within capacity, the first escalation check); only the
    # history of resolved tickets is inserted in bulk.
    open_count = min(max(tickets // 8, min(tickets, 6)), 40)
    history = list(seed_corpus.generate(tickets, seed=seed + Ticket.objects.count()))
    open_ids = _open_tickets(history[:open_count], all_customers, rng, now)
    rows: list[Ticket] = []
    for item in history[open_count:]:
        created_at = now - timedelta(minutes=rng.randint(60 * 8, 60 * 24 * 30))
        team = teams[spec_by_slug[item.category].team]
        status = rng.choices([TicketStatus.RESOLVED, TicketStatus.CLOSED], weights=[60, 40])[0]
        assignee = rng.choice(agents_by_team[team.pk]) if agents_by_team.get(team.pk) else None
        first_response_at = created_at + timedelta(minutes=rng.randint(5, 240))
        resolved_at = first_response_at + timedelta(hours=rng.randint(1, 72))
        rows.append(
            Ticket(
                subject=item.subject,
                body=item.body,
                channel=rng.choice(Channel.values),
                status=status,
                category=categories[item.category],
                # Mostly routine; urgent only when the text says so.
                priority=Priority.P1 if item.frustrated else rng.choices([Priority.P1, Priority.P2, Priority.P3], weights=[10, 60, 30])[0],
                customer=rng.choice(all_customers),
                team=team,
                assignee=assignee,
                tags=["demo"],
                created_at=created_at,
                triaged_at=created_at,
                first_response_at=min(now, first_response_at),
                resolved_at=min(now, resolved_at),
                closed_at=min(now, resolved_at + timedelta(hours=rng.randint(24, 72))) if status == TicketStatus.CLOSED else None,
                agent_reply_count=1 if rng.random() < 0.6 else rng.randint(2, 4),
                reopen_count=1 if rng.random() < 0.08 else 0,
            )
        )
        _measure(rows[-1])
    created_tickets = Ticket.objects.bulk_create(rows)

    interactions: list[Interaction] = []
    events: list[TicketEvent] = []
    for ticket in created_tickets:
        interactions.append(
            Interaction(
                ticket=ticket, author_kind=AuthorKind.CUSTOMER, channel=ticket.channel, body=ticket.body, created_at=ticket.created_at
            )
        )
        events.append(TicketEvent(ticket=ticket, kind="created", detail={"channel": ticket.channel}, created_at=ticket.created_at))
        if ticket.assignee is not None:
            events.append(
                TicketEvent(
                    ticket=ticket, kind="assigned", detail={"agent_id": ticket.assignee.pk, "by": "demo"}, created_at=ticket.created_at
                )
            )
        if ticket.first_response_at is not None:
            interactions.append(
                Interaction(
                    ticket=ticket,
                    author_kind=AuthorKind.AGENT,
                    author=ticket.assignee.user if ticket.assignee else None,
                    channel=ticket.channel,
                    body="Thanks for reaching out. I'm looking into this now and will update you shortly.",
                    created_at=ticket.first_response_at,
                )
            )
    Interaction.objects.bulk_create(interactions)
    TicketEvent.objects.bulk_create(events)
    SatisfactionSurvey.objects.bulk_create(survey for ticket in created_tickets if (survey := demo_survey(ticket, rng)) is not None)
    _self_service_history(rng, now, tickets)
    rollup.rebuild_range(timezone.localdate(now) - timedelta(days=31), timezone.localdate(now))
    return DemoResult(logins=logins, tickets=len(created_tickets) + len(open_ids), customers=len(new_customers))


def _open_tickets(items: list[Any], customers: list[Customer], rng: random.Random, now: Any) -> list[int]:
    """Open tickets through the real intake and the triage task, written over the last few hours.

    Each is stored by ``receive_contact`` as it arrived, dated back, then processed by the same
    function the worker runs: so its SLA clocks run from when it was written and some are at
    risk or breached on the first sweep, as on a real morning.
    """
    ids = []
    for index, item in enumerate(items):
        customer = customers[(index * 7) % len(customers)]
        result = receive_contact(channel=rng.choice([Channel.EMAIL, Channel.WEB_FORM, Channel.CHAT]), customer_email=customer.email,
                                 customer_name=customer.name, subject=item.subject, body=item.body)  # fmt: skip
        written = now - timedelta(minutes=rng.randint(2, 60 * 6))
        Ticket.objects.filter(pk=result.ticket.pk).update(created_at=written, tags=["demo"])
        Interaction.objects.filter(ticket_id=result.ticket.pk).update(created_at=written)
        TicketEvent.objects.filter(ticket_id=result.ticket.pk, kind="created").update(created_at=written)
        process_new_ticket(result.ticket.pk)
        ids.append(result.ticket.pk)
    return ids
