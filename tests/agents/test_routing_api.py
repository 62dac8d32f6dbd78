"""Routing API and admin: rules for admins, assignment for supervisors, availability for agents."""

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from agents.models import CapacityProfile, RoutingRule
from tests.factories import AgentFactory, SkillFactory, TeamFactory, TicketFactory

pytestmark = pytest.mark.django_db


def as_user(user: Any) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_admins_list_and_create_rules_others_cannot(make_user: Any) -> None:
    admin = as_user(make_user(role="admin"))
    created = admin.post(
        "/api/v1/routing-rules/", {"name": "VIP", "order": 5, "customer_tiers": ["enterprise"], "add_tags": ["vip"]}, format="json"
    )
    assert created.status_code == 201, created.content
    assert [r["name"] for r in admin.get("/api/v1/routing-rules/").json()] == ["VIP"]
    for role in ("agent", "supervisor"):
        assert as_user(make_user(role=role)).post("/api/v1/routing-rules/", {"name": "x"}, format="json").status_code == 403
    assert APIClient().get("/api/v1/routing-rules/").status_code in (401, 403)


def test_bad_rules_are_400_with_the_reason(make_user: Any) -> None:
    admin = as_user(make_user(role="admin"))
    bad_regex = admin.post("/api/v1/routing-rules/", {"name": "x", "keyword_pattern": "(unclosed"}, format="json")
    assert bad_regex.status_code == 400 and "regular expression" in bad_regex.json()["keyword_pattern"][0]
    bad_tier = admin.post("/api/v1/routing-rules/", {"name": "x", "customer_tiers": ["diamond"]}, format="json")
    assert bad_tier.status_code == 400 and "customer_tiers" in bad_tier.json()
    assert not RoutingRule.objects.exists()


def test_supervisor_assigns_and_gets_a_conflict_for_an_offline_agent(make_user: Any) -> None:
    team = TeamFactory.create()
    online, offline = AgentFactory.create(), AgentFactory.create(availability="offline")
    t = TicketFactory.create(team=team, status="triaged")
    boss = as_user(make_user(role="supervisor"))
    ok = boss.post(f"/api/v1/tickets/{t.pk}/assign", {"agent_id": online.pk}, format="json")
    assert ok.status_code == 200 and ok.json()["assignee"] == online.user.username
    conflict = boss.post(f"/api/v1/tickets/{t.pk}/assign", {"agent_id": offline.pk}, format="json")
    assert conflict.status_code == 409 and "offline" in conflict.json()["detail"]
    assert boss.post(f"/api/v1/tickets/{t.pk}/assign", {"agent_id": 99999}, format="json").status_code == 400
    assert as_user(online.user).post(f"/api/v1/tickets/{t.pk}/assign", {"agent_id": online.pk}, format="json").status_code == 403


def test_agents_set_their_own_availability(make_user: Any) -> None:
    agent = AgentFactory.create(availability="online")
    client = as_user(agent.user)
    assert client.post("/api/v1/agents/me/availability", {"availability": "away"}, format="json").json() == {"availability": "away"}
    agent.refresh_from_db()
    assert agent.availability == "away"
    assert client.post("/api/v1/agents/me/availability", {"availability": "asleep"}, format="json").status_code == 400
    assert (
        as_user(make_user(role="supervisor")).post("/api/v1/agents/me/availability", {"availability": "away"}, format="json").status_code
        == 403
    )


def test_admin_rejects_a_bad_regex_as_a_form_error(make_user: Any) -> None:
    client = Client()
    client.force_login(make_user(role="admin"))
    response = client.post(
        "/admin/agents/routingrule/add/",
        {
            "name": "broken",
            "order": 1,
            "enabled": "on",
            "priorities": "[]",
            "customer_tiers": "[]",
            "channels": "[]",
            "languages": "[]",
            "add_tags": "[]",
            "keyword_pattern": "([a-z",
            "business_hours": "any",
            "min_skill_level": 1,
            "raise_priority_by": 0,
        },
    )
    assert response.status_code == 200
    assert b"Not a usable regular expression" in response.content
    assert not RoutingRule.objects.exists()


def test_admin_preview_says_whether_and_why_a_rule_matches(make_user: Any) -> None:
    rule = RoutingRule.objects.create(name="refunds", keyword_pattern="refund")
    client = Client()
    client.force_login(make_user(role="admin"))
    url = f"/admin/agents/routingrule/{rule.pk}/preview/"
    assert client.get(url).status_code == 200
    hit = client.post(url, {"subject": "Refund please", "body": "", "priority": 2, "tier": "bronze", "channel": "email"})
    assert b"Matches" in hit.content
    miss = client.post(url, {"subject": "Hello", "body": "", "priority": 2, "tier": "bronze", "channel": "email"}, HTTP_HX_REQUEST="true")
    assert b"Does not match" in miss.content and b"does not match /refund/" in miss.content
    assert b"<html" not in miss.content  # htmx gets only the fragment


def test_admins_manage_capacity_profiles_rule_skills_and_team_queue_order(make_user: Any) -> None:
    admin = as_user(make_user(role="admin"))
    profile = {"name": "chat desk", "total_units": 6, "channel_weights": {"chat": 3, "email": 1}, "priority_multipliers": {"0": 2}}
    created = admin.post("/api/v1/capacity-profiles/", profile, format="json")
    assert created.status_code == 201, created.content
    assert CapacityProfile.objects.get().spec().units(channel="chat", priority=0) == 6
    bad = admin.post("/api/v1/capacity-profiles/", {**profile, "name": "x", "channel_weights": {"pigeon": 1}}, format="json")
    assert bad.status_code == 400 and "channel_weights" in bad.json()
    assert as_user(make_user(role="agent")).get("/api/v1/capacity-profiles/").status_code == 403

    SkillFactory.create(slug="german")
    rule: dict[str, Any] = {
        "name": "German",
        "languages": ["de"],
        "skills": [{"skill": "german", "required": False, "priority": 2, "relax_after_seconds": 120}],
    }
    made = admin.post("/api/v1/routing-rules/", rule, format="json")
    assert made.status_code == 201, made.content
    assert made.json()["skills"] == [{"skill": "german", "min_level": 1, "required": False, "priority": 2, "relax_after_seconds": 120}]
    twice = {**rule, "name": "again", "skills": rule["skills"] * 2}
    assert admin.post("/api/v1/routing-rules/", twice, format="json").status_code == 400

    team = TeamFactory.create()
    changed = admin.patch(f"/api/v1/teams/{team.pk}/queue-order", {"queue_order": "sla"}, format="json")
    assert changed.status_code == 200 and changed.json()["queue_order"] == "sla"
    team.refresh_from_db()
    assert team.queue_order == "sla"
    assert admin.patch(f"/api/v1/teams/{team.pk}/queue-order", {"queue_order": "random"}, format="json").status_code == 400
