"""Every /api/v1/ list pages with a cursor and takes validated filters: the escalation inbox (its own keyset cursor
over urgency, score and id), routing rules, capacity profiles and macros. Query counts stay flat page after page."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest
from django.core import signing
from rest_framework.test import APIClient

from agents.models import CapacityProfile, RoutingRule
from escalation_engine.models import Escalation
from foundation.api_pagination import CURSOR_SALT
from helpcenter.models import Macro
from tests.factories import AgentFactory, CategoryFactory, TeamFactory, TicketFactory, UserFactory

pytestmark = [pytest.mark.django_db, pytest.mark.travel(datetime(2026, 11, 27, 16, 0, tzinfo=UTC))]


def as_user(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def next_link(response: Any) -> str | None:
    match = re.match(r'<([^>]+)>; rel="next"', response.get("Link", ""))
    return match.group(1) if match else None


def walk(client: APIClient, url: str, django_assert_max_num_queries: Any, *, queries: int, key: str = "id") -> list[Any]:
    """Every row of every page, each page in at most ``queries`` queries whatever its size."""
    seen: list[Any] = []
    pages = 0
    next_url: str | None = url
    while next_url:
        with django_assert_max_num_queries(queries):
            response = client.get(next_url)
        assert response.status_code == 200, response.content
        seen += [row[key] for row in response.json()]
        next_url = next_link(response)
        pages += 1
        assert pages < 50
    return seen


def test_the_inbox_pages_most_urgent_first_with_a_keyset_cursor(django_assert_max_num_queries: Any) -> None:
    boss = as_user(UserFactory.create(role="supervisor"))
    team = TeamFactory.create(slug="billing-desk")
    made = []
    # Many ties: two urgency values and repeated scores, where an offset cursor would drift.
    now = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
    for n in range(11):
        # Later tickets have nearer resolution targets (some none): among equal scores the nearest target goes first.
        due = None if n % 4 == 0 else now + timedelta(hours=24 - n)
        ticket = TicketFactory.create(team=team if n % 2 else None, status="triaged", sla_resolution_due_at=due)
        recommendation = "immediate" if n % 3 == 0 else "priority"
        made.append(
            Escalation.objects.create(ticket=ticket, tier="senior_support", score=[0.9, 0.7, 0.7][n % 3], recommendation=recommendation)
        )
    decided = Escalation.objects.create(
        ticket=TicketFactory.create(), tier="executive", score=0.99, recommendation="immediate", status="accepted"
    )
    far = datetime(9999, 12, 31, tzinfo=UTC)
    expected = sorted(made, key=lambda e: (e.recommendation != "immediate", -e.score, e.ticket.sla_resolution_due_at or far, e.pk))
    assert [e.pk for e in expected] != sorted(e.pk for e in expected)

    ids = walk(boss, "/api/v1/escalations/?limit=3", django_assert_max_num_queries, queries=6)
    assert ids == [e.pk for e in expected]

    # A row arriving meanwhile ahead of the cursor is not repeated, one behind it still shows.
    first = boss.get("/api/v1/escalations/?limit=4")
    Escalation.objects.create(ticket=TicketFactory.create(), tier="senior_support", score=0.95, recommendation="immediate")
    late = Escalation.objects.create(ticket=TicketFactory.create(), tier="senior_support", score=0.1, recommendation="priority")
    rest = walk(boss, next_link(first) or "", django_assert_max_num_queries, queries=6)
    assert [row["id"] for row in first.json()] + rest[:-1] == [e.pk for e in expected] and rest[-1] == late.pk

    team_rows = boss.get("/api/v1/escalations/", {"team": "billing-desk", "recommendation": "priority", "min_score": "0.5"}).json()
    assert {row["id"] for row in team_rows} == {e.pk for e in made if e.ticket.team_id and e.recommendation == "priority"}
    assert [row["id"] for row in boss.get("/api/v1/escalations/", {"status": "accepted", "tier": "executive"}).json()] == [decided.pk]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"status": "maybe"}, "status"),
        ({"tier": "ceo"}, "tier"),
        ({"recommendation": "panic"}, "recommendation"),
        ({"team": "no spaces"}, "team"),
        ({"min_score": "NaN"}, "min_score"),
        ({"min_score": "2"}, "min_score"),
        ({"limit": "0"}, "limit"),
        ({"cursor": "not-a-cursor"}, "cursor"),
    ],
)
def test_a_bad_inbox_filter_or_cursor_is_a_400_naming_it(query: dict[str, str], field: str) -> None:
    response = as_user(UserFactory.create(role="supervisor")).get("/api/v1/escalations/", query)
    assert response.status_code == 400 and field in response.json(), response.content


def test_a_cursor_signed_for_another_list_or_edited_is_refused() -> None:
    boss = as_user(UserFactory.create(role="supervisor"))
    for n in range(3):
        Escalation.objects.create(ticket=TicketFactory.create(), tier="senior_support", score=0.5 + n / 10, recommendation="priority")
    link = next_link(boss.get("/api/v1/escalations/?limit=1"))
    assert link is not None
    token = parse_qs(urlparse(link).query)["cursor"][0]
    keys = signing.loads(token, salt=CURSOR_SALT)  # (urgency, score, due, id): ours to read, signed against edits
    assert keys[0] == 1 and keys[1] == pytest.approx(0.7) and len(keys) == 4
    forged = signing.dumps(["1", "x", None, 5], salt=CURSOR_SALT)  # right signature, wrong types
    assert boss.get("/api/v1/escalations/", {"cursor": forged}).status_code == 400
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert boss.get("/api/v1/escalations/", {"cursor": tampered}).json() == {
        "cursor": ['cursor is not one this API gave out; use the Link header\'s rel="next" URL.']
    }


def test_routing_rules_page_in_run_order_and_filter(django_assert_max_num_queries: Any) -> None:
    admin = as_user(UserFactory.create(role="admin", is_superuser=True))
    team = TeamFactory.create(slug="vip-desk")
    category = CategoryFactory.create(slug="refunds")
    rules = []
    for n in range(9):
        rule = RoutingRule.objects.create(name=f"rule {n}", order=[30, 10, 20][n % 3], enabled=n != 4, team=team if n < 3 else None)
        if n % 2:
            rule.categories.add(category)
        rules.append(rule)
    ids = walk(admin, "/api/v1/routing-rules/?limit=2", django_assert_max_num_queries, queries=6)
    assert ids == [r.pk for r in sorted(rules, key=lambda r: (r.order, r.pk))]
    assert {r["id"] for r in admin.get("/api/v1/routing-rules/", {"enabled": "false"}).json()} == {rules[4].pk}
    assert {r["id"] for r in admin.get("/api/v1/routing-rules/", {"team": "vip-desk"}).json()} == {r.pk for r in rules[:3]}
    assert {r["id"] for r in admin.get("/api/v1/routing-rules/", {"category": "refunds"}).json()} == {r.pk for r in rules[1::2]}
    for query, field in (({"enabled": "sometimes"}, "enabled"), ({"team": "a b"}, "team"), ({"category": "\x00"}, "category")):
        refused = admin.get("/api/v1/routing-rules/", query)
        assert refused.status_code == 400 and field in refused.json(), refused.content


def test_capacity_profiles_page_by_name_and_filter(django_assert_max_num_queries: Any) -> None:
    admin = as_user(UserFactory.create(role="admin", is_superuser=True))
    names = ["Chat heavy", "Chat light", "E-mail only", "Night shift", "Weekend", "Zebra"]
    for n, name in enumerate(names):
        CapacityProfile.objects.create(name=name, total_units=6, pending_frees_units=n % 2 == 0)
    rows = walk(admin, "/api/v1/capacity-profiles/?limit=4", django_assert_max_num_queries, queries=5, key="name")
    assert rows == sorted(names)
    assert [p["name"] for p in admin.get("/api/v1/capacity-profiles/", {"name": "CHAT"}).json()] == ["Chat heavy", "Chat light"]
    pending = admin.get("/api/v1/capacity-profiles/", {"pending_frees_units": "true"}).json()
    assert {p["name"] for p in pending} == {"Chat heavy", "E-mail only", "Weekend"}
    for query, field in (({"name": "\x00"}, "name"), ({"pending_frees_units": "2"}, "pending_frees_units")):
        refused = admin.get("/api/v1/capacity-profiles/", query)
        assert refused.status_code == 400 and field in refused.json(), refused.content


def test_macros_page_by_name_within_what_the_agent_may_use(django_assert_max_num_queries: Any) -> None:
    team, other = TeamFactory.create(slug="billing"), TeamFactory.create(slug="security")
    agent = AgentFactory.create()
    agent.teams.add(team)
    mine = [Macro.objects.create(name=f"Global {n}", body="Hi") for n in range(5)]
    mine.append(Macro.objects.create(name="Team refund", body="Hi", team=team))
    mine.append(Macro.objects.create(name="My own", body="Hi", owner=agent))
    Macro.objects.create(name="Not mine", body="Hi", team=other)
    client = as_user(agent.user)
    ids = walk(client, "/api/v1/macros/?limit=2", django_assert_max_num_queries, queries=7)
    assert ids == [m.pk for m in sorted(mine, key=lambda m: (m.name, m.pk))]
    assert [m["name"] for m in client.get("/api/v1/macros/", {"scope": "team"}).json()] == ["Team refund"]
    assert [m["name"] for m in client.get("/api/v1/macros/", {"scope": "personal"}).json()] == ["My own"]
    assert client.get("/api/v1/macros/", {"team": "security"}).json() == []  # another team's macros stay hidden
    refused = client.get("/api/v1/macros/", {"scope": "everything"})
    assert refused.status_code == 400 and "scope" in refused.json()
