"""Every console page and API endpoint × anonymous / agent / other-team agent / supervisor / admin / integration."""

from collections.abc import Callable
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.test import Client
from django.urls import get_resolver
from rest_framework.authtoken.models import Token

from agents.models import RoutingRule
from escalation_engine.models import Escalation, WhatIfRun
from helpcenter.models import Macro
from notifications.models import AgentNotification
from tests.factories import AgentFactory, CategoryFactory, CustomerFactory, InteractionFactory, TeamFactory, TicketFactory, UserFactory
from tests.portal.conftest import portal_client
from tickets.links import status_token
from tickets.models import Attachment

pytestmark = pytest.mark.django_db

ROLES = ("anonymous", "agent", "outsider", "supervisor", "admin", "integration")
LOGIN = "login"  # a redirect to the sign-in page


@pytest.fixture
def world(settings: Any, tmp_path: Any) -> dict[str, Any]:
    settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path}}}
    team, elsewhere = TeamFactory.create(), TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(team)
    outsider = AgentFactory.create()
    outsider.teams.add(elsewhere)
    ticket = TicketFactory.create(team=team, assignee=agent, status="assigned")
    escalation = Escalation.objects.create(ticket=ticket, tier="senior_support", score=0.7, recommendation="priority")
    duplicate = TicketFactory.create(team=team, customer=ticket.customer, status="triaged")
    category = CategoryFactory.create(team=team)
    rule = RoutingRule.objects.create(name="VIP first", order=5)
    users = {
        "agent": agent.user,
        "outsider": outsider.user,
        "supervisor": UserFactory.create(role="supervisor"),
        "admin": UserFactory.create(role="admin", is_superuser=True),
        "integration": UserFactory.create(role="integration"),
    }
    attachment = Attachment(interaction=InteractionFactory.create(ticket=ticket), filename="log.txt", content_type="text/plain", size=3)
    attachment.file.save("log.txt", ContentFile(b"log"), save=True)
    macro = Macro.objects.create(name="Thanks", body="Thanks, {{ customer.first_name }}!")
    notification = AgentNotification.objects.create(
        recipient=agent, kind="assigned", ticket=ticket, text="assigned to you", dedupe_key="matrix", created_at=ticket.created_at
    )
    whatif_run = WhatIfRun.objects.create(
        requested_by=users["supervisor"], period_start_at=ticket.created_at, period_end_at=ticket.created_at, scenario={}
    )
    return {
        "ticket": ticket, "escalation": escalation, "agent": agent, "users": users, "attachment": attachment,
        "duplicate": duplicate, "category": category, "rule": rule, "status_token": status_token(ticket),
        "notification": notification, "macro": macro, "whatif_run": whatif_run,
    }  # fmt: skip


def client_for(role: str, world: dict[str, Any], *, api: bool) -> Client:
    client = Client()
    if role == "anonymous":
        return client
    user = world["users"][role]
    if api:
        return Client(HTTP_AUTHORIZATION=f"Token {Token.objects.get_or_create(user=user)[0].key}")
    client.force_login(user)
    return client


# (method, path builder, data, expected status per role in ROLES order)
Case = tuple[str, Callable[[dict[str, Any]], str], Callable[[dict[str, Any]], dict[str, Any]], tuple[Any, ...]]
CONSOLE: list[Case] = [
    ("get", lambda w: "/console/queue/mine/", lambda w: {}, (LOGIN, 200, 200, 200, 200, 403)),
    ("get", lambda w: f"/console/ticket/{w['ticket'].pk}/", lambda w: {}, (LOGIN, 200, 404, 200, 200, 403)),
    ("get", lambda w: f"/console/attachment/{w['attachment'].pk}/", lambda w: {}, (LOGIN, 200, 404, 200, 200, 403)),
    ("get", lambda w: f"/console/ticket/{w['ticket'].pk}/live", lambda w: {"m": "0", "e": "0"}, (LOGIN, 200, 404, 200, 200, 403)),
    ("post", lambda w: f"/console/ticket/{w['ticket'].pk}/reply", lambda w: {"body": "hi"}, (LOGIN, 302, 404, 302, 302, 403)),
    ("post", lambda w: f"/console/ticket/{w['ticket'].pk}/presence", lambda w: {"state": "viewing"}, (LOGIN, 204, 404, 204, 204, 403)),
    ("post", lambda w: f"/console/ticket/{w['ticket'].pk}/claim", lambda w: {"action": "claim"}, (LOGIN, 302, 404, 302, 302, 403)),
    ("post", lambda w: f"/console/ticket/{w['ticket'].pk}/status", lambda w: {"status": "in_progress"}, (LOGIN, 302, 404, 302, 302, 403)),
    ("post", lambda w: f"/console/ticket/{w['ticket'].pk}/assign", lambda w: {"agent": w["agent"].pk}, (LOGIN, 403, 403, 302, 302, 403)),
    (
        "post",
        lambda w: f"/console/ticket/{w['ticket'].pk}/macro",
        lambda w: {"macro": w["macro"].pk},
        (LOGIN, 302, 404, 302, 302, 403),
    ),
    (
        "post",
        lambda w: f"/console/ticket/{w['ticket'].pk}/split",
        lambda w: {"messages": [w["attachment"].interaction_id]},
        (LOGIN, 302, 404, 302, 302, 403),
    ),
    ("get", lambda w: "/console/macros/", lambda w: {}, (LOGIN, 403, 403, 200, 200, 403)),
    ("get", lambda w: f"/console/macros/{w['macro'].pk}/", lambda w: {}, (LOGIN, 403, 403, 200, 200, 403)),
    ("get", lambda w: "/console/escalations/", lambda w: {}, (LOGIN, 403, 403, 200, 200, 403)),
    (
        "post",
        lambda w: f"/console/escalations/{w['escalation'].pk}/decide",
        lambda w: {"action": "accept"},
        (LOGIN, 403, 403, 302, 302, 403),
    ),
    ("get", lambda w: "/console/team/", lambda w: {}, (LOGIN, 403, 403, 200, 200, 403)),
    ("get", lambda w: "/console/audit/", lambda w: {}, (LOGIN, 403, 403, 403, 200, 403)),
    ("get", lambda w: "/console/dashboards/sla/", lambda w: {}, (LOGIN, 403, 403, 200, 200, 403)),
    # What-if runs are the desk's: every supervisor (and admin) sees every run; a queued run has no CSV yet (409).
    ("get", lambda w: "/console/whatif/", lambda w: {}, (LOGIN, 403, 403, 200, 200, 403)),
    ("get", lambda w: "/console/whatif/new", lambda w: {}, (LOGIN, 403, 403, 200, 200, 403)),
    ("post", lambda w: "/console/whatif/new", lambda w: {"scenario": "{}"}, (LOGIN, 403, 403, 400, 400, 403)),
    ("get", lambda w: f"/console/whatif/{w['whatif_run'].pk}/", lambda w: {}, (LOGIN, 403, 403, 200, 200, 403)),
    ("get", lambda w: f"/console/whatif/{w['whatif_run'].pk}/csv", lambda w: {}, (LOGIN, 403, 403, 409, 409, 403)),
    ("get", lambda w: "/admin/", lambda w: {}, (LOGIN, LOGIN, LOGIN, LOGIN, 200, LOGIN)),
    # Notifications are an agent's own: users without an agent profile have none (403); another agent's row is not theirs.
    ("get", lambda w: "/console/notifications/", lambda w: {}, (LOGIN, 200, 200, 403, 403, 403)),
    ("get", lambda w: "/console/notifications/bell", lambda w: {}, (LOGIN, 200, 200, 403, 403, 403)),
    ("post", lambda w: f"/console/notifications/{w['notification'].pk}/open", lambda w: {}, (LOGIN, 302, 302, 403, 403, 403)),
    ("post", lambda w: "/console/notifications/read-all", lambda w: {}, (LOGIN, 302, 302, 403, 403, 403)),
    ("post", lambda w: "/console/notifications/preferences", lambda w: {"email": "assigned"}, (LOGIN, 302, 302, 403, 403, 403)),
    ("get", lambda w: "/console/mentions", lambda w: {"q": "us"}, (LOGIN, 200, 200, 200, 200, 403)),
]
API: list[Case] = [
    ("get", lambda w: "/api/v1/tickets/", lambda w: {}, (401, 200, 200, 200, 200, 403)),
    ("get", lambda w: f"/api/v1/tickets/{w['ticket'].pk}/", lambda w: {}, (401, 200, 404, 200, 200, 403)),
    (
        "post",
        lambda w: "/api/v1/tickets/",
        lambda w: {"customer_email": "a@b.example", "subject": "s", "body": "b"},
        (401, 403, 403, 201, 201, 201),
    ),
    ("post", lambda w: f"/api/v1/tickets/{w['ticket'].pk}/assign", lambda w: {"agent_id": w["agent"].pk}, (401, 403, 403, 200, 200, 403)),
    ("get", lambda w: "/api/v1/routing-rules/", lambda w: {}, (401, 403, 403, 403, 200, 403)),
    ("get", lambda w: "/api/v1/capacity-profiles/", lambda w: {}, (401, 403, 403, 403, 200, 403)),
    ("get", lambda w: "/api/v1/escalations/", lambda w: {}, (401, 403, 403, 200, 200, 403)),
    ("get", lambda w: "/api/v1/analytics/sla", lambda w: {}, (401, 403, 403, 200, 200, 403)),
    ("post", lambda w: f"/api/v1/escalations/{w['escalation'].pk}/accept", lambda w: {}, (401, 403, 403, 200, 409, 403)),
    ("post", lambda w: "/api/v1/agents/me/availability", lambda w: {"availability": "away"}, (401, 200, 200, 403, 403, 403)),
    ("get", lambda w: "/api/v1/macros/", lambda w: {}, (401, 200, 200, 200, 200, 403)),
    (
        "post",
        lambda w: f"/api/v1/tickets/{w['ticket'].pk}/apply-macro",
        lambda w: {"macro_id": w["macro"].pk},
        (401, 200, 404, 200, 200, 403),
    ),
    ("get", lambda w: "/api/schema/", lambda w: {}, (200, 200, 200, 200, 200, 200)),  # the schema holds no data: public
    ("get", lambda w: f"/api/v1/tickets/{w['ticket'].pk}/conversation", lambda w: {}, (401, 200, 404, 200, 200, 403)),
    ("get", lambda w: f"/api/v1/tickets/{w['ticket'].pk}/events", lambda w: {}, (401, 200, 404, 200, 200, 403)),
    ("post", lambda w: f"/api/v1/tickets/{w['ticket'].pk}/replies", lambda w: {"body": "On it."}, (401, 201, 404, 201, 201, 403)),
    ("post", lambda w: f"/api/v1/tickets/{w['ticket'].pk}/status", lambda w: {"status": "in_progress"}, (401, 200, 404, 200, 200, 403)),
    ("post", lambda w: f"/api/v1/tickets/{w['ticket'].pk}/priority", lambda w: {"priority": 1}, (401, 200, 404, 200, 200, 403)),
    ("post", lambda w: f"/api/v1/tickets/{w['ticket'].pk}/tags", lambda w: {"tags": ["vip"]}, (401, 200, 404, 200, 200, 403)),
    (
        "post",
        lambda w: f"/api/v1/tickets/{w['ticket'].pk}/category",
        lambda w: {"category": w["category"].slug},
        (401, 200, 404, 200, 200, 403),
    ),
    (
        "post",
        lambda w: f"/api/v1/tickets/{w['duplicate'].pk}/merge",
        lambda w: {"into": w["ticket"].pk},
        (401, 200, 404, 200, 200, 403),
    ),
    ("get", lambda w: f"/api/v1/routing-rules/{w['rule'].pk}", lambda w: {}, (401, 403, 403, 403, 200, 403)),
    ("patch", lambda w: f"/api/v1/routing-rules/{w['rule'].pk}", lambda w: {"order": 3}, (401, 403, 403, 403, 200, 403)),
    ("delete", lambda w: f"/api/v1/routing-rules/{w['rule'].pk}", lambda w: {}, (401, 403, 403, 403, 204, 403)),
]
ANYONE = 6  # public pages: every role gets the same answer (no sign-in needed, none gives more); the home page routes by role
PUBLIC: list[Case] = [
    ("get", lambda w: "/", lambda w: {}, (LOGIN, 302, 302, 302, 302, 200)),  # staff go on to the console
    ("get", lambda w: "/healthz", lambda w: {}, (503,) * ANYONE),  # no worker heartbeat in this test
    ("get", lambda w: "/accounts/login/", lambda w: {}, (200, 302, 302, 302, 302, 302)),  # signed in: sent on
    ("post", lambda w: "/accounts/logout/", lambda w: {}, (302,) * ANYONE),
    ("get", lambda w: "/support/new/", lambda w: {}, (200,) * ANYONE),
    ("get", lambda w: "/support/thanks/not-a-token/", lambda w: {}, (400,) * ANYONE),
    ("get", lambda w: "/support/suggest", lambda w: {"subject": "card declined"}, (200,) * ANYONE),
    ("post", lambda w: "/support/deflected", lambda w: {}, (400,) * ANYONE),
    ("get", lambda w: "/help/", lambda w: {}, (200,) * ANYONE),
    ("get", lambda w: "/help/search/", lambda w: {"q": "refund"}, (200,) * ANYONE),
    ("get", lambda w: "/help/category/no-such-category/", lambda w: {}, (404,) * ANYONE),
    ("get", lambda w: "/help/article/no-such-article/", lambda w: {}, (404,) * ANYONE),
    ("post", lambda w: "/help/article/no-such-article/vote", lambda w: {"helpful": "yes"}, (404,) * ANYONE),
    ("get", lambda w: f"/t/{w['status_token']}/", lambda w: {}, (200,) * ANYONE),
    ("post", lambda w: f"/auto-reply/{w['status_token']}/yes/", lambda w: {}, (400,) * ANYONE),  # a status link is no auto-reply link
    ("get", lambda w: f"/survey/{w['status_token']}/", lambda w: {}, (400,) * ANYONE),  # nor a survey link
    ("get", lambda w: "/portal/sign-in/", lambda w: {}, (200,) * ANYONE),  # a staff session is no customer session
    ("post", lambda w: "/portal/sign-in/", lambda w: {"email": "not an address"}, (400,) * ANYONE),
    ("get", lambda w: f"/portal/sign-in/{w['status_token']}/", lambda w: {}, (400,) * ANYONE),  # a status link is no sign-in link
    ("post", lambda w: "/portal/sign-out", lambda w: {}, (302,) * ANYONE),
]


# The customer portal is its own role: a customer session (portal/), never a staff one. Roles here:
# nobody, the ticket's customer, another customer, and the ticket's own agent signed in to the console.
PORTAL_ROLES = ("anonymous", "customer", "other customer", "agent")
SIGN_IN = "portal sign-in"  # a redirect to the portal's sign-in page
PORTAL: list[Case] = [
    ("get", lambda w: "/portal/", lambda w: {}, (SIGN_IN, 200, 200, SIGN_IN)),
    ("get", lambda w: f"/portal/tickets/{w['ticket'].pk}", lambda w: {}, (SIGN_IN, 200, 404, SIGN_IN)),
    ("post", lambda w: f"/portal/tickets/{w['ticket'].pk}/reply", lambda w: {"body": "hi"}, (SIGN_IN, 302, 404, SIGN_IN)),
    ("post", lambda w: f"/portal/tickets/{w['ticket'].pk}/rate", lambda w: {"rating": "5"}, (SIGN_IN, 409, 404, SIGN_IN)),  # open
    ("get", lambda w: "/portal/new", lambda w: {}, (SIGN_IN, 200, 200, SIGN_IN)),
    ("post", lambda w: "/portal/new", lambda w: {"subject": ""}, (SIGN_IN, 400, 400, SIGN_IN)),
    ("get", lambda w: "/portal/organization", lambda w: {}, (SIGN_IN, 403, 403, SIGN_IN)),  # no verified organization here
]


def portal_client_for(role: str, world: dict[str, Any]) -> Client:
    if role == "customer":
        return portal_client(world["ticket"].customer)
    if role == "other customer":
        return portal_client(CustomerFactory.create())
    client = Client()
    if role == "agent":
        client.force_login(world["users"]["agent"])
    return client


def check(response: Any, expected: Any) -> None:
    if expected == SIGN_IN:
        assert response.status_code == 302 and response["Location"] == "/portal/sign-in/", (response.status_code, response.get("Location"))
        return
    if expected == LOGIN:
        assert response.status_code == 302 and "login" in response["Location"], (response.status_code, response.get("Location"))
    else:
        assert response.status_code == expected, (response.status_code, response.get("Location"), response.content[:300])


@pytest.mark.parametrize("case", CONSOLE, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONSOLE)])
def test_console_matrix(world: dict[str, Any], case: Case) -> None:
    method, path, data, expected = case
    for role, want in zip(ROLES, expected, strict=True):
        response = getattr(client_for(role, world, api=False), method)(path(world), data(world))
        check(response, want)


@pytest.mark.parametrize("case", PUBLIC, ids=[f"{c[0]}-{i}" for i, c in enumerate(PUBLIC)])
def test_public_matrix(world: dict[str, Any], case: Case, settings: Any) -> None:
    settings.WEB_FORM_RATE_PER_MINUTE = settings.WEB_FORM_RATE_PER_HOUR = 10_000  # six roles in a row are no flood
    method, path, data, expected = case
    for role, want in zip(ROLES, expected, strict=True):
        response = getattr(client_for(role, world, api=False), method)(path(world), data(world))
        check(response, want)


@pytest.mark.parametrize("case", API, ids=[f"{c[0]}-{i}" for i, c in enumerate(API)])
def test_api_matrix(world: dict[str, Any], case: Case) -> None:
    method, path, data, expected = case
    for role, want in zip(ROLES, expected, strict=True):
        response = getattr(client_for(role, world, api=True), method)(path(world), data(world), content_type="application/json")
        check(response, want)


@pytest.mark.parametrize("case", PORTAL, ids=[f"{c[0]}-{i}" for i, c in enumerate(PORTAL)])
def test_portal_matrix(world: dict[str, Any], case: Case) -> None:
    method, path, data, expected = case
    for role, want in zip(PORTAL_ROLES, expected, strict=True):
        response = getattr(portal_client_for(role, world), method)(path(world), data(world))
        check(response, want)


def test_a_portal_customer_gets_what_anonymous_gets_from_every_staff_page_and_endpoint(world: dict[str, Any]) -> None:
    """A customer session opens no console page and no API endpoint: the anonymous answer everywhere."""
    customer = portal_client_for("customer", world)
    for method, path, data, expected in CONSOLE:
        check(getattr(customer, method)(path(world), data(world)), expected[0])
    for method, path, data, expected in API:
        check(getattr(customer, method)(path(world), data(world), content_type="application/json"), expected[0])


def test_every_url_the_project_routes_is_in_the_matrix() -> None:
    """A new URL (any name, any namespace) must be added above, with who may use it."""
    covered = {
        "console-queue", "console-ticket", "console-attachment", "console-audit", "console-dashboard", "api-analytics-sla",
        "console-reply", "console-status", "console-assign", "console-inbox", "console-decide",
        "console-team", "api-tickets", "api-ticket", "api-ticket-assign", "api-routing-rules", "api-escalations", "api-escalation-accept",
        "api-my-availability", "api-schema", "api-capacity-profiles", "console-apply-macro", "console-macros", "console-macro-edit",
        "console-split",
        "api-macros", "api-ticket-apply-macro",
        "console-notifications", "console-bell",
        "console-notification-open", "console-notifications-read-all", "console-notification-preferences", "console-mentions",
        "console-ticket-live", "console-presence", "console-claim",
        "api-ticket-conversation", "api-ticket-events", "api-ticket-reply", "api-ticket-status", "api-ticket-priority",
        "api-ticket-tags", "api-ticket-category", "api-ticket-merge", "api-routing-rule",
        "home", "healthz", "login", "logout", "support-new", "support-thanks", "support-suggest", "support-deflected",
        "help-home", "help-search", "help-category", "help-article", "help-vote", "ticket-status", "auto-reply-answer", "csat-survey",
        "portal-home", "portal-sign-in", "portal-sign-in-link", "portal-sign-out", "portal-new", "portal-ticket", "portal-reply",
        "portal-rate", "portal-organization",
        "console-whatif-list", "console-whatif-new", "console-whatif", "console-whatif-csv",
    }  # fmt: skip
    # Routes guarded by the same decorator/permission class as a covered sibling, tested in their own modules.
    same_guard = {
        "console-home", "console-category", "console-priority", "console-escalate", "console-merge", "console-availability",
        "console-team-reassign", "api-escalation-dismiss", "api-escalation-deescalate", "api-escalation-override",
        "api-inbound-email", "api-inbound-webhook", "api-docs", "console-dashboards", "api-team-queue-order",
        "api-analytics-escalations", "api-analytics-satisfaction", "api-analytics-volume", "api-analytics-selfservice",
        "console-macro-new", "api-ticket-split", "console-followers", "api-ticket-followers", "api-ticket-follower",
        "console-notification-read",
    }  # fmt: skip
    resolver = get_resolver()
    names = {name for name in resolver.reverse_dict if isinstance(name, str)}
    assert names <= covered | same_guard, sorted(names - covered - same_guard)
    # Namespaced URLs: Django admin only, every page behind its staff check (the "/admin/" row above).
    assert set(resolver.namespace_dict) == {"admin"}, sorted(resolver.namespace_dict)


def test_a_customer_link_opens_only_its_own_request(world: dict[str, Any]) -> None:
    """The "customer link" role: a signed status link shows one request and opens nothing else."""
    mine = world["ticket"]
    other = TicketFactory.create(subject="Somebody else's problem")
    token = status_token(mine)
    customer = Client()
    page = customer.get(f"/t/{token}/")
    assert page.status_code == 200 and mine.subject in page.text and other.subject not in page.text
    assert customer.get(f"/survey/{token}/").status_code == 400  # a status link is not a survey link
    assert customer.post(f"/auto-reply/{token}/yes/").status_code == 400
    for path in ("/console/queue/mine/", f"/console/ticket/{mine.pk}/", "/console/dashboards/sla/", "/admin/"):
        check(customer.get(path), LOGIN)
    assert customer.get(f"/api/v1/tickets/{mine.pk}/").status_code == 401
