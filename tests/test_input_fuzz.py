"""Hostile input to every console and API URL, as every kind of caller: never a server error.

The URLs come from walking the resolver (Django admin aside), so a new route is fuzzed, or
this test fails until it is listed in ``ROUTES``. Each route gets, from a supervisor, an
agent, an integration token, an anonymous visitor and an admin: its path with hostile values
in the path parameters; a GET with each query parameter its view reads set to each hostile
value; a POST with each form (or JSON) field set to each hostile value while the other
fields stay valid, so the value gets past the form's other checks (``alternatives`` reach
other branches, e.g. each escalation decision). JSON endpoints also get a body nested 1,000
deep, the queue well-formed cursors with hostile keys, htmx views their fragment requests.
A caller the route refuses gets a few values only: the refusal comes before any parsing.
Every request runs inside a rolled-back savepoint, so each one meets the same world.

The parameter names are listed per route; ``test_every_parameter_the_code_reads_is_fuzzed``
scans the views' source so a newly read parameter cannot be missed. Failures are collected
and reported together.
"""

from __future__ import annotations

import base64
import json
import logging
import math
import re
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from django.core import signing
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.db import transaction
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.authtoken.models import Token

from agents.models import RoutingRule
from analytics.csat import token_for
from analytics.models import SatisfactionSurvey
from escalation_engine.models import Escalation, WhatIfRun
from foundation.api_pagination import CURSOR_SALT
from helpcenter.models import KnowledgeArticle, Macro
from tests.factories import AgentFactory, CategoryFactory, InteractionFactory, SkillFactory, TeamFactory, TicketFactory, UserFactory
from tickets import links
from tickets.models import Attachment
from tickets.webhooks import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

pytestmark = pytest.mark.django_db

ROOT = Path(__file__).resolve().parent.parent
ROLES = ("supervisor", "agent", "integration", "anonymous", "admin")
WEBHOOK_SECRET = "whsec-fuzz-0123456789"

DEEP_JSON = "[" * 1000 + "]" * 1000
HOSTILE = ("²", "٣", "-1", "1e400", "99999999999999999999999", "NaN", "' OR 1=1", "\x00", "x" * 10_000, "[]")
# In a JSON body the same values go in both as strings and as raw JSON (numbers, constants, lists).
HOSTILE_JSON = (*(json.dumps(value) for value in HOSTILE), "1e400", "-1", "99999999999999999999999", "NaN", "Infinity", "[]", DEEP_JSON)
# A caller the route refuses (401, 403, sign-in redirect) meets the refusal before any parsing: a few
# values show that nothing is parsed on the way there, and keep the run under a minute.
REFUSED_HOSTILE = ("²", "\x00", "x" * 10_000)
REFUSED_HOSTILE_JSON = ('"²"', "1e400", "NaN", DEEP_JSON)
HTMX_HOSTILE = ("²", "\x00", "x" * 10_000)  # a fragment parses what the full page parses


def cursor(*values: str) -> str:
    """A queue cursor as the console encodes one (base64 JSON), holding raw JSON values."""
    return base64.urlsafe_b64encode(f"[{', '.join(values)}]".encode()).decode()


def signed_cursor(*values: Any) -> str:
    """An API keyset cursor as ``foundation.api_pagination`` signs one, holding hostile values."""
    return signing.dumps(list(values), salt=CURSOR_SALT, compress=True)


CONSOLE_CURSOR_KEYS = (
    ("1e400", '"2025-01-01T00:00:00+00:00"', "1"),
    ("1", '"2025-01-01T00:00:00+00:00"', "1e400"),
    ('"2025-01-01T00:00:00+00:00"', "99999999999999999999999"),
    ('"²"', '"2025-01-01T00:00:00+00:00"', '"٣"'),
    ("NaN", "[]", "-1"),
    (DEEP_JSON,),
)
# Values that reach deeper than the plain hostile ones: well-formed cursors with hostile keys (the console's
# base64 JSON, and the API's signed keyset cursors).
EXTRA = {
    "cursor": (
        *(cursor(*key) for key in CONSOLE_CURSOR_KEYS),
        signed_cursor(math.inf, 0.5, 1),
        signed_cursor(0, math.nan, 1),
        signed_cursor(2**70, -1.0, 2**70),
        signed_cursor("²", None, [1]),
        signed_cursor(0, 0.5),
        signed_cursor(True, "x" * 10_000, 1),
    )
}
# The one answer ≥ 500 that is not an error: the health check says the broker or worker is down.
DEGRADED_OK = {("healthz", 503)}
# Known 500s still to fix, each (route name, start of the request's label). Strict: once fixed, the
# test asks for the entry to be removed. Empty: every route answers hostile input below 500.
ELSEWHERE: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Route:
    """What a view reads: query parameters (GET) and form or JSON fields (POST), each with a valid value."""

    query: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)
    form: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)
    json: bool = False  # the POST body is JSON
    raw_body: bool = False  # the POST body is raw bytes (mail relay)
    signed: bool = False  # the POST body is a signed webhook
    htmx: bool = False  # the view renders fragments for htmx requests
    alternatives: tuple[dict[str, Any], ...] = ()  # other valid bodies reaching other branches (fuzzed the same way)
    path: dict[str, Callable[[dict[str, Any]], Any]] = field(default_factory=dict)


def const(value: Any) -> Callable[[dict[str, Any]], Any]:
    return lambda world: value


TICKET = {"pk": lambda w: w["ticket"].pk}
ESCALATION = {"pk": lambda w: w["escalation"].pk}


def valid(**values: Any) -> dict[str, Callable[[dict[str, Any]], Any]]:
    return {name: const(value) for name, value in values.items()}


QUEUE_QUERY = valid(priority="1", category="billing", channel="email", tier="gold", q="#1", sort="due", cursor="", fragment="rows")
DASHBOARD_QUERY = valid(start="2025-01-01", end="2025-01-31", team="", by="team")

MACRO_FORM = {
    **valid(name="Password reset", body="Hi {{ customer.first_name }}", is_active="on", set_status="pending_customer"),
    **valid(set_priority="1", add_tags="password, reset"),
    "owner": const(""),
    "team": lambda w: w["team"].pk,
    "set_category": lambda w: w["billing"].pk,
    "set_team": lambda w: w["team"].pk,
    "for_category": lambda w: w["billing"].pk,
    "for_article": lambda w: w["article"].pk,
}

SUPPORT_FORM = {"name": "Ada", "email": "ada@example.test", "subject": "Cannot sign in", "description": "The reset mail never arrives."}

ROUTES: dict[str, Route] = {
    # Console
    "home": Route(),
    "healthz": Route(),
    "login": Route(form={"username": lambda w: w["users"]["agent"].username, "password": const("wrong-password")}),
    "logout": Route(),
    "console-home": Route(),
    "console-audit": Route(
        query={"source": const("tickets"), "actor": const("boss"), "before": const("10"), "ticket": const("1"), "kind": const("assigned")}
    ),
    "console-queue": Route(query=QUEUE_QUERY, path={"slug": const("team")}, htmx=True),
    "console-ticket": Route(path=TICKET),
    "console-ticket-live": Route(query=valid(m="1", e="1"), path=TICKET, htmx=True),
    "console-attachment": Route(path={"pk": lambda w: w["attachment"].pk}),
    "console-reply": Route(
        form={"body": const("Thanks, looking into it."), "internal": const(""), "macro": lambda w: w["macro"].pk, "seen": const("0")},
        path=TICKET,
        # a note, a plain reply, one sent anyway after a collision hold; the first: a reply with a macro
        alternatives=({"internal": "1", "macro": ""}, {"macro": ""}, {"macro": "", "confirm": "1"}),
    ),
    "console-presence": Route(form={"state": const("replying"), "body": const("Hi, the refund is on its way.")}, path=TICKET, htmx=True),
    "console-claim": Route(form={"action": const("claim")}, path=TICKET, alternatives=({"action": "release"},)),
    "console-apply-macro": Route(form={"macro": lambda w: w["macro"].pk}, path=TICKET),
    "console-split": Route(form={"messages": lambda w: w["attachment"].interaction_id, "subject": const("Invoice")}, path=TICKET),
    "console-macros": Route(),
    "console-whatif-list": Route(query={"page": const("1")}),
    "console-whatif-new": Route(
        form={"start": const("2026-11-02"), "end": const("2026-11-16"), "scenario": const('{"name": "one more agent"}'), "seed": const("1")}
    ),
    "console-whatif": Route(path={"pk": lambda w: w["whatif_run"].pk}, htmx=True),
    "console-whatif-csv": Route(path={"pk": lambda w: w["whatif_run"].pk}),
    "console-macro-new": Route(form=MACRO_FORM),
    "console-macro-edit": Route(form=MACRO_FORM, path={"pk": lambda w: w["macro"].pk}),
    "console-status": Route(form={"status": const("in_progress")}, path=TICKET),
    "console-category": Route(form={"category": const("billing")}, path=TICKET),
    "console-priority": Route(form={"priority": const("1")}, path=TICKET),
    "console-escalate": Route(form={"reason": const("customer threatens to leave")}, path=TICKET),
    "console-merge": Route(form={"into": lambda w: f"#{w['other_ticket'].pk}"}, path=TICKET),
    "console-followers": Route(
        form={"action": const("add"), "email": const("colleague@example.com"), "customer": lambda w: w["ticket"].customer_id},
        path=TICKET,
        alternatives=({"action": "remove"},),
    ),
    "console-assign": Route(form={"agent": lambda w: w["spare_agent"].pk}, path=TICKET),
    "console-availability": Route(form={"availability": const("away"), "next": const("/console/queue/mine/")}),
    "console-inbox": Route(query={"fragment": const("rows")}, htmx=True),
    "console-decide": Route(
        form={
            "action": const("override"),
            "reason": const("false alarm"),
            "tier": const("executive"),
            "priority": const("0"),
            "assignee": lambda w: w["spare_agent"].pk,
        },
        path=ESCALATION,
        alternatives=({"action": "dismiss"}, {"action": "deescalate"}, {"action": "accept"}),
    ),
    "console-team": Route(),
    "console-team-reassign": Route(form={"ticket": lambda w: w["ticket"].pk, "agent": lambda w: w["spare_agent"].pk}),
    "console-dashboards": Route(),
    "console-notifications": Route(),
    "console-bell": Route(query={"part": const("list")}, htmx=True),
    "console-notification-open": Route(path={"pk": const(1)}),
    "console-notification-read": Route(path={"pk": const(1)}),
    "console-notifications-read-all": Route(),
    "console-notification-preferences": Route(form={"email": const("mentioned")}),
    "console-mentions": Route(query={"q": const("ana")}, htmx=True),
    "console-dashboard": Route(query={**DASHBOARD_QUERY, **valid(format="")}, path={"name": const("sla")}, htmx=True),
    # Customer pages
    "support-new": Route(
        form={
            "name": const("Ada"),
            "email": const("ada@example.test"),
            "subject": const("Cannot sign in"),
            "description": const("The password reset mail never arrives."),
            "website": const(""),
            "shown": lambda w: w["article"].pk,
        }
    ),
    "support-thanks": Route(path={"token": const("not-a-token")}),
    "support-suggest": Route(query={"subject": const("password reset"), "description": const("mail never arrives")}),
    "support-deflected": Route(form={"article": lambda w: w["article"].pk, "subject": const("Cannot sign in")}),
    "help-home": Route(),
    "help-search": Route(query={"q": const("password")}),
    "help-category": Route(path={"slug": const("billing")}),
    "help-article": Route(query={"voted": const("yes")}, path={"slug": lambda w: w["article"].slug}),
    "help-vote": Route(form={"helpful": const("yes")}, path={"slug": lambda w: w["article"].slug}),
    "ticket-status": Route(query={"sent": const("1")}, form={"body": const("Any news?")}, path={"token": lambda w: w["status_token"]}),
    "auto-reply-answer": Route(path={"token": lambda w: w["auto_reply_token"], "answer": const("no")}),
    "csat-survey": Route(
        query={"rating": const("4")},
        form={"rating": const("4"), "comment": const("Quick, thanks")},
        path={"token": lambda w: w["survey_token"]},
    ),
    # Customer portal (tests/portal/test_portal_fuzz.py sends the same as a signed-in customer)
    "portal-home": Route(query=valid(page="2")),
    "portal-organization": Route(query=valid(page="2")),
    "portal-sign-in": Route(form=valid(email="ada@example.test")),
    "portal-sign-in-link": Route(path={"token": const("not-a-token")}),
    "portal-sign-out": Route(),
    "portal-new": Route(form={**{name: const(value) for name, value in SUPPORT_FORM.items()}, "shown": lambda w: w["article"].pk}),
    "portal-ticket": Route(query=valid(sent="1", created="1", rated="1"), path=TICKET),
    "portal-reply": Route(form=valid(body="Any news?"), path=TICKET),
    "portal-rate": Route(form=valid(rating="4", comment="Quick, thanks"), path=TICKET),
    # API
    "api-schema": Route(),
    "api-docs": Route(),
    "api-tickets": Route(
        query={
            **valid(limit="10", cursor="", status="triaged", priority="1", team="", category="billing", assignee="none"),
            **valid(customer_email="ada@example.test", needs_triage="false", created_after="2026-01-01T00:00:00Z"),
            **valid(created_before="2027-01-01T00:00:00Z"),
        },
        form={
            "customer_email": const("ada@example.test"),
            "customer_name": const("Ada"),
            "organization": const("Analytical Engines"),
            "subject": const("Cannot sign in"),
            "body": const("The reset mail never arrives."),
            "channel": const("api"),
        },
        json=True,
    ),
    "api-ticket": Route(path=TICKET, json=True),
    "api-ticket-conversation": Route(query=valid(limit="10", cursor=""), path=TICKET),
    "api-ticket-events": Route(query=valid(limit="10", cursor=""), path=TICKET),
    "api-ticket-reply": Route(
        form={
            "body": const("We refunded the charge."),
            "internal": const(False),
            "seen_message_id": lambda w: w["attachment"].interaction_id,
            "override_collision": const(False),
        },
        json=True,
        path=TICKET,
        alternatives=({"override_collision": True},),
    ),
    "api-ticket-status": Route(form={"status": const("in_progress")}, json=True, path=TICKET),
    "api-ticket-priority": Route(form={"priority": const(1)}, json=True, path=TICKET),
    "api-ticket-tags": Route(form={"tags": const(["vip", "refund"])}, json=True, path=TICKET),
    "api-ticket-category": Route(form={"category": const("billing")}, json=True, path=TICKET),
    "api-ticket-merge": Route(form={"into": lambda w: w["ticket"].pk}, json=True, path={"pk": lambda w: w["other_ticket"].pk}),
    "api-ticket-followers": Route(form={"email": const("colleague@example.com")}, json=True, path=TICKET),
    "api-ticket-follower": Route(json=True, path={"pk": lambda w: w["ticket"].pk, "customer_id": lambda w: w["ticket"].customer_id}),
    "api-ticket-split": Route(form={"messages": const([1, 2]), "subject": const("Second problem")}, json=True, path=TICKET),
    "api-routing-rule": Route(path={"pk": lambda w: w["rule"].pk}, json=True),
    "api-ticket-assign": Route(form={"agent_id": lambda w: w["spare_agent"].pk, "note": const("cover")}, json=True, path=TICKET),
    "api-my-availability": Route(form={"availability": const("away")}, json=True),
    "api-macros": Route(query=valid(scope="team", team="billing", limit="10", cursor=""), json=True),
    "api-ticket-apply-macro": Route(form={"macro_id": lambda w: w["macro"].pk, "body": const("Hi, any news?")}, json=True, path=TICKET),
    "api-capacity-profiles": Route(
        query=valid(name="chat", pending_frees_units="true", limit="10", cursor=""),
        form={
            "name": const("Chat heavy"),
            "total_units": const(6),
            "channel_weights": const({"chat": 3, "email": 1}),
            "priority_multipliers": const({"0": 2}),
            "pending_frees_units": const(True),
            "max_assignments_per_minute": const(4),
        },
        json=True,
    ),
    "api-team-queue-order": Route(form={"queue_order": const("sla")}, json=True, path={"pk": lambda w: w["team"].pk}),
    "api-routing-rules": Route(
        query=valid(enabled="true", team="billing", category="billing", limit="10", cursor=""),
        form={
            "name": const("Fuzzed rule"),
            "order": const(5),
            "enabled": const(True),
            "continue_matching": const(False),
            "categories": const(["billing"]),
            "priorities": const([0, 1]),
            "customer_tiers": const(["gold"]),
            "channels": const(["email"]),
            "languages": const(["de"]),
            "keyword_pattern": const("refund"),
            "business_hours": const("any"),
            "team": lambda w: w["team"].pk,
            "required_skill": const(None),
            "min_skill_level": const(1),
            "set_priority": const(1),
            "raise_priority_by": const(0),
            "add_tags": const(["vip"]),
            "assign_agent": lambda w: w["spare_agent"].pk,
            "mark_for_escalation": const(False),
            "skills": lambda w: [{"skill": w["skill"].slug, "min_level": 2, "required": False, "priority": 2, "relax_after_seconds": 120}],
        },
        json=True,
    ),
    "api-inbound-email": Route(raw_body=True),
    "api-inbound-webhook": Route(
        form={
            "id": const("evt-1"),
            "customer": const({"email": "shop@example.test", "name": "Shop"}),
            "subject": const("Checkout broken"),
            "body": const("Payments fail."),
            "channel": const("api"),
        },
        json=True,
        signed=True,
        path={"source": const("shop")},
    ),
    "api-escalations": Route(
        query=valid(status="open", tier="executive", recommendation="immediate", team="billing", min_score="0.5", limit="10", cursor=""),
        json=True,
    ),
    **{
        f"api-escalation-{action}": Route(form={"reason": const("seen")}, json=True, path=ESCALATION)
        for action in ("accept", "dismiss", "deescalate")
    },
    "api-escalation-override": Route(
        form={"tier": const("executive"), "priority": const(0), "assignee_id": lambda w: w["spare_agent"].pk}, json=True, path=ESCALATION
    ),
    **{
        f"api-analytics-{name}": Route(query={**DASHBOARD_QUERY, **valid(by=by)}, json=True)
        for name, by in (("sla", "team"), ("escalations", "tier"), ("satisfaction", "team"), ("volume", "team"), ("selfservice", "article"))
    },
}


def url_patterns() -> Iterator[tuple[str, str]]:
    """(route with ``<converter:name>`` placeholders, URL name) of every pattern outside Django admin."""

    def walk(patterns: list[Any], prefix: str) -> Iterator[tuple[str, str]]:
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                if str(pattern.pattern) != "admin/":
                    yield from walk(pattern.url_patterns, prefix + str(pattern.pattern))
            elif isinstance(pattern, URLPattern):
                yield prefix + str(pattern.pattern), str(pattern.name)

    yield from walk(get_resolver().url_patterns, "/")


PLACEHOLDER = re.compile(r"<(?:\w+:)?(\w+)>")


def fill(route: str, values: dict[str, str]) -> str:
    return PLACEHOLDER.sub(lambda m: quote(values[m.group(1)], safe=""), route)


@pytest.fixture
def world(settings: Any, tmp_path: Path) -> dict[str, Any]:
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # sign-in attempts stay fast
    settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path}}}
    # Own counters: the sign-in lockout and the form rate limits must not leak into other tests,
    # and the limits are raised so hostile values reach the code behind them.
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "input-fuzz"}}
    cache.clear()
    settings.WEB_FORM_RATE_PER_MINUTE = settings.WEB_FORM_RATE_PER_HOUR = settings.SUGGEST_RATE_PER_MINUTE = 10**6
    settings.LOGIN_FAILURE_LIMIT = settings.LOGIN_ADDRESS_FAILURE_LIMIT = 10**6
    settings.WEBHOOK_SECRETS = {"shop": WEBHOOK_SECRET}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.signed_cookies"  # no session rows: thousands of requests stay quick

    team = TeamFactory.create()
    billing = CategoryFactory.create(slug="billing", name="Billing")
    agent, spare, boss = AgentFactory.create(), AgentFactory.create(), AgentFactory.create(user=UserFactory.create(role="supervisor"))
    for member in (agent, spare, boss):
        member.teams.add(team)
    ticket = TicketFactory.create(team=team, assignee=agent, status="assigned")
    other_ticket = TicketFactory.create(team=team, customer=ticket.customer, status="triaged")
    resolved = TicketFactory.create(team=team, assignee=agent, status="resolved")
    escalation = Escalation.objects.create(ticket=ticket, tier="senior_support", score=0.7, recommendation="priority")
    article = KnowledgeArticle.objects.create(title="Reset your password", slug="reset-password", body="Use **Forgot password**.")
    attachment = Attachment(interaction=InteractionFactory.create(ticket=ticket), filename="log.txt", content_type="text/plain", size=3)
    attachment.file.save("log.txt", ContentFile(b"log"), save=True)
    survey = SatisfactionSurvey.objects.create(ticket=resolved, customer=resolved.customer)
    return {
        "team": team,
        "rule": RoutingRule.objects.create(name="Fuzzed target", order=7),
        "skill": SkillFactory.create(slug="refunds"),
        "ticket": ticket,
        "other_ticket": other_ticket,
        "escalation": escalation,
        "spare_agent": spare,
        "article": article,
        "attachment": attachment,
        "billing": billing,
        "macro": Macro.objects.create(name="Thanks", body="Thanks, {{ customer.first_name }}!", add_tags=["thanks"]),
        "whatif_run": WhatIfRun.objects.create(
            requested_by=boss.user, period_start_at=datetime(2026, 11, 2, tzinfo=UTC), period_end_at=datetime(2026, 11, 16, tzinfo=UTC)
        ),
        "status_token": links.status_token(ticket),
        "auto_reply_token": links.auto_reply_token(ticket, article.pk),
        "survey_token": token_for(survey),
        "users": {
            "supervisor": boss.user,
            "agent": agent.user,
            "integration": UserFactory.create(role="integration"),
            "admin": UserFactory.create(role="admin"),
        },
    }


def client_for(role: str, world: dict[str, Any], *, api: bool) -> Client:
    if role == "anonymous":
        return Client(raise_request_exception=False)
    user = world["users"][role]
    if api:
        token = Token.objects.get_or_create(user=user)[0].key
        return Client(raise_request_exception=False, HTTP_AUTHORIZATION=f"Token {token}")
    client = Client(raise_request_exception=False)
    client.force_login(user)
    return client


def webhook_headers(body: bytes) -> dict[str, str]:
    stamp = str(int(time.time()))
    return {"HTTP_" + TIMESTAMP_HEADER.upper().replace("-", "_"): stamp,
            "HTTP_" + SIGNATURE_HEADER.upper().replace("-", "_"): sign(WEBHOOK_SECRET, stamp, body)}  # fmt: skip


def body_for(spec: Route, form: dict[str, Any], *, raw: dict[str, str] | None = None) -> dict[str, Any]:
    """Client keyword arguments posting ``form`` as the route expects it; ``raw`` puts raw JSON text into fields."""
    if spec.raw_body:
        return {"data": b"", "content_type": "message/rfc822"}
    if not spec.json:
        return {"data": form}
    markers = {name: f"\ufffffuzz-{name}\ufffe" for name in raw or {}}
    text = json.dumps({**form, **markers})
    for name, value in (raw or {}).items():
        text = text.replace(json.dumps(markers[name]), value)
    return json_body(spec, text)


def json_body(spec: Route, text: str) -> dict[str, Any]:
    data = text.encode()
    return {"data": data, "content_type": "application/json", **(webhook_headers(data) if spec.signed else {})}


def requests_for(
    route: str, spec: Route, world: dict[str, Any], *, hostile: tuple[str, ...] = HOSTILE, hostile_json: tuple[str, ...] = HOSTILE_JSON
) -> Iterator[tuple[str, str, str, dict[str, Any]]]:
    """(label, method, url, client keyword arguments) of every hostile request for one route."""
    valid_path = {name: str(make(world)) for name, make in spec.path.items()}
    url = fill(route, valid_path)
    query = {name: make(world) for name, make in spec.query.items()}
    form = {name: make(world) for name, make in spec.form.items()}
    # Hostile path values come with a valid query and body, so a view that checks its input first still meets the id.
    for name in valid_path:
        for value in HOSTILE:
            hostile_url = fill(route, {**valid_path, name: value})
            yield f"path {name}={value!r:.30}", "get", hostile_url, {"data": query}
            yield f"path {name}={value!r:.30}", "post", hostile_url, body_for(spec, form)
    for name in query:
        for value in (*hostile, *EXTRA.get(name, ())):
            yield f"query {name}={value!r:.30}", "get", url, {"data": {**query, name: value}}
    if spec.htmx:  # htmx asks for fragments (rows, counts, dashboard content): other templates, the same parsing
        htmx = {"HTTP_HX_REQUEST": "true"}
        yield "htmx valid query", "get", url, {"data": query, **htmx}
        for name in query:
            for value in HTMX_HOSTILE:
                yield f"htmx query {name}={value!r:.30}", "get", url, {"data": {**query, name: value}, **htmx}
    if spec.raw_body:
        for value in (*hostile, DEEP_JSON):
            yield f"body {value!r:.30}", "post", url, {"data": value.encode("utf-8", "surrogatepass"), "content_type": "message/rfc822"}
        return
    if spec.json:
        yield "deep JSON body", "post", url, json_body(spec, DEEP_JSON)
    for alternative in ({}, *spec.alternatives):
        baseline = {**form, **alternative}
        for name in baseline:
            if name in alternative:
                continue  # the field that picks the branch is fuzzed with the first baseline
            label = f"{'form' if not spec.json else 'json'} {name}"
            label += "".join(f" ({k}={v})" for k, v in alternative.items())
            if spec.json:
                for raw in hostile_json:
                    yield f"{label}={raw!r:.30}", "post", url, body_for(spec, baseline, raw={name: raw})
            else:
                for value in hostile:
                    yield f"{label}={value!r:.30}", "post", url, {"data": {**baseline, name: value}}


def refusal(response: Any) -> bool:
    if response.status_code in (401, 403):
        return True
    return response.status_code == 302 and response["Location"].startswith(("/accounts/login/", "/admin/login/", "/portal/sign-in/"))


def test_every_url_is_fuzzed() -> None:
    names = {name for _, name in url_patterns()}
    assert names == set(ROUTES), {"not fuzzed": sorted(names - set(ROUTES)), "gone": sorted(set(ROUTES) - names)}


def test_every_parameter_the_code_reads_is_fuzzed() -> None:
    """Each name read from a query string or form in the views, APIs and selectors is in ROUTES."""
    reads = re.compile(r"""(?:GET|POST|query_params|filters|params)\.(?:get|getlist)\(\s*["'](\w+)["']""")
    found = set()
    for folder in ("agents", "analytics", "escalation", "helpcenter", "portal", "tickets"):
        for path in (ROOT / folder).glob("*.py"):
            found |= set(reads.findall(path.read_text()))
    fuzzed = {name for spec in ROUTES.values() for name in (*spec.query, *spec.form)}
    fuzzed |= {"start", "end"}  # parse_filters reads these through its day(name) helper
    assert found - fuzzed == set()


def test_every_form_and_serializer_field_is_fuzzed() -> None:
    from agents.api import AssignInput, AvailabilityInput, CapacityProfileSerializer, CategoryInput, RoutingRuleSerializer, TeamSerializer
    from console.macros import MacroForm
    from escalation_engine.api import OverrideInput, ReasonInput
    from foundation.login_guard import LockoutAuthenticationForm
    from helpcenter.api import ApplyMacroInput
    from tickets.forms import SupportRequestForm
    from tickets.serializers import (
        FollowerInput,
        MergeInput,
        PriorityInput,
        ReplyInput,
        SplitInput,
        StatusInput,
        TagsInput,
        TicketCreateInput,
        WebhookInput,
    )

    inputs: dict[str, Any] = {
        "api-tickets": TicketCreateInput,
        "api-ticket-assign": AssignInput,
        "api-ticket-reply": ReplyInput,
        "api-ticket-status": StatusInput,
        "api-ticket-priority": PriorityInput,
        "api-ticket-tags": TagsInput,
        "api-ticket-category": CategoryInput,
        "api-ticket-merge": MergeInput,
        "api-ticket-split": SplitInput,
        "api-ticket-followers": FollowerInput,
        "api-my-availability": AvailabilityInput,
        "api-routing-rules": RoutingRuleSerializer,
        "api-capacity-profiles": CapacityProfileSerializer,
        "api-team-queue-order": TeamSerializer,
        "api-inbound-webhook": WebhookInput,
        "api-escalation-accept": ReasonInput,
        "api-escalation-dismiss": ReasonInput,
        "api-escalation-deescalate": ReasonInput,
        "api-escalation-override": OverrideInput,
        "api-ticket-apply-macro": ApplyMacroInput,
    }
    for name, serializer in inputs.items():
        writable = {field_name for field_name, field in serializer().fields.items() if not field.read_only}
        assert set(ROUTES[name].form) == writable, name
    assert set(SupportRequestForm.base_fields) <= set(ROUTES["support-new"].form)
    assert set(SupportRequestForm.base_fields) - {"website"} <= set(ROUTES["portal-new"].form)
    assert set(MacroForm.base_fields) == set(ROUTES["console-macro-new"].form) == set(ROUTES["console-macro-edit"].form)
    assert set(LockoutAuthenticationForm.base_fields) <= set(ROUTES["login"].form)


@pytest.fixture
def quiet_request_log() -> Iterator[None]:
    """Thousands of 4xx (and, on failure, 5xx) log lines would bury the one list of failures."""
    loggers = [logging.getLogger(name) for name in ("django.request", "django.security.csrf", "django.security.DisallowedHost")]
    levels = [logger.level for logger in loggers]
    for logger in loggers:
        logger.setLevel(logging.CRITICAL)
    yield
    for logger, level in zip(loggers, levels, strict=True):
        logger.setLevel(level)


@pytest.mark.timeout(900)  # every route × every hostile value in one loop: near the 300 s default on a loaded machine
def test_hostile_input_never_causes_a_server_error(world: dict[str, Any], quiet_request_log: None) -> None:
    patterns = list(url_patterns())
    failures: list[str] = []
    elsewhere: set[tuple[str, str]] = set()
    sent = 0

    def send(client: Client, role: str, name: str, label: str, method: str, url: str, kwargs: dict[str, Any]) -> Any:
        nonlocal sent
        with transaction.atomic():  # rolled back: every request meets the same world
            response = getattr(client, method)(url, **kwargs)
            transaction.set_rollback(True)
        sent += 1
        known = next((entry for entry in ELSEWHERE if entry[0] == name and label.startswith(entry[1])), None)
        if response.status_code >= 500 and known:
            elsewhere.add(known)
        elif response.status_code >= 500 and (name, response.status_code) not in DEGRADED_OK:
            exc_info = getattr(response, "exc_info", None)
            error = f"{exc_info[0].__name__}: {str(exc_info[1])[:120]}" if exc_info else ""
            failures.append(f"{role} {method.upper()} {name} {label} → {response.status_code} {error}")
        return response

    for role in ROLES:
        for route, name in patterns:
            spec = ROUTES[name]
            client = client_for(role, world, api=name.startswith("api-"))
            url = fill(route, {param: str(make(world)) for param, make in spec.path.items()})
            form = {field_name: make(world) for field_name, make in spec.form.items()}
            query = {param: make(world) for param, make in spec.query.items()}
            answers = [
                send(client, role, name, "valid query", "get", url, {"data": query}),
                send(client, role, name, "valid body", "post", url, body_for(spec, form)),
            ]
            refused = all(refusal(response) for response in answers)
            values = {"hostile": REFUSED_HOSTILE, "hostile_json": REFUSED_HOSTILE_JSON} if refused else {}
            for label, method, request_url, kwargs in requests_for(route, spec, world, **values):
                send(client, role, name, label, method, request_url, kwargs)
    print(f"input fuzz: {sent} requests")
    assert failures == [], f"{len(failures)} of {sent} requests answered ≥ 500:\n" + "\n".join(failures)
    assert elsewhere == ELSEWHERE, f"fixed meanwhile, remove from ELSEWHERE: {sorted(ELSEWHERE - elsewhere)}"


# The review's reproductions, one by one, with the answer each now gets.


def test_a_correctly_signed_webhook_nested_1000_deep_answers_400(world: dict[str, Any]) -> None:
    response = Client().post("/api/v1/inbound/webhook/shop", **json_body(ROUTES["api-inbound-webhook"], DEEP_JSON))
    assert response.status_code == 400 and "nested more than" in response.json()["detail"]


@pytest.mark.parametrize("body", [DEEP_JSON, '{"availability": NaN}', '{"availability": -Infinity}', '{"availability": 1e400}'])
def test_the_api_json_parser_refuses_deep_json_and_non_numbers_with_400(world: dict[str, Any], body: str) -> None:
    client = client_for("agent", world, api=True)
    response = client.post("/api/v1/agents/me/availability", body, content_type="application/json")
    assert response.status_code == 400 and response.json()["detail"].startswith("JSON parse error")


@pytest.mark.parametrize("digits", [19, 23])
def test_an_id_longer_than_the_database_holds_is_not_found(world: dict[str, Any], digits: int) -> None:
    huge = "9" * digits
    assert client_for("supervisor", world, api=False).get(f"/console/ticket/{huge}/").status_code == 404
    assert client_for("supervisor", world, api=True).get(f"/api/v1/tickets/{huge}/").status_code == 404
    assert client_for("supervisor", world, api=True).post(f"/api/v1/escalations/{huge}/accept").status_code == 404


@pytest.mark.parametrize("digit", ["²", "٣"])
def test_unicode_digits_are_not_numbers(world: dict[str, Any], digit: str) -> None:
    boss, api = client_for("supervisor", world, api=False), client_for("supervisor", world, api=True)
    page = boss.get("/console/queue/team/", {"priority": digit})
    assert page.status_code == 200 and "priority" not in page.context["page"].filters  # ignored, like any bad filter
    assert api.get("/api/v1/tickets/", {"limit": digit}).json() == {"limit": ["limit must be a whole number from 1 to 200."]}
    override = api.post(f"/api/v1/escalations/{world['escalation'].pk}/override", {"priority": digit}, content_type="application/json")
    assert override.status_code == 400 and "priority" in override.json()
    assign = api.post(f"/api/v1/tickets/{world['ticket'].pk}/assign", {"agent_id": digit}, content_type="application/json")
    assert assign.status_code == 400 and "agent_id" in assign.json()
    dashboard = boss.get("/console/dashboards/sla/", {"team": digit})
    assert dashboard.status_code == 400 and b"team must be the id of an existing team" in dashboard.content
    moved = boss.post("/console/team/reassign", {"ticket": world["ticket"].pk, "agent": digit}, follow=True)
    assert b"Choose a ticket and an agent." in moved.content


def test_a_queue_cursor_holding_1e400_is_ignored(world: dict[str, Any]) -> None:
    response = client_for("agent", world, api=False).get("/console/queue/team/", {"cursor": EXTRA["cursor"][0]})
    assert response.status_code == 200 and response.context["page"].tickets
