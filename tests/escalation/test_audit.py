"""Audit: every ticket and escalation change leaves an event with actor and time; config changes a
log entry; only admins read the audit log, newest first, keyset-paginated, escaped."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib.admin.models import LogEntry
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from rest_framework.test import APIClient

from agents.services import assign_ticket
from escalation_engine import services as escalation_services
from escalation_engine.models import Escalation, EscalationSettings, SlaPolicy
from escalation_engine.sweep import sweep
from foundation.models import BusinessCalendar
from tests.factories import AgentFactory, CategoryFactory, TeamFactory, TicketFactory
from tickets import services
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db


def test_every_state_change_records_who_and_when(make_user: Any) -> None:
    supervisor = make_user(role="supervisor")
    team = TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(team)
    ticket = TicketFactory.create(team=team, status="triaged", priority=2)
    other = TicketFactory.create(team=team, status="triaged", customer=ticket.customer)
    started = timezone.now()

    assign_ticket(ticket=ticket, agent=agent, by=supervisor)
    services.change_status(ticket=ticket, status="in_progress", by=agent.user)
    services.reprioritize_ticket(ticket=ticket, priority=1, by=agent.user)
    services.recategorize_ticket(ticket=ticket, category=CategoryFactory.create(), by=agent.user)
    services.merge_tickets(source=other, target=ticket, by=agent.user)
    escalation = Escalation.objects.create(ticket=ticket, tier="senior_support", score=0.7, recommendation="priority")
    escalation_services.dismiss_escalation(escalation_id=escalation.pk, by=supervisor, reason="false alarm")

    expected = {
        "assigned": supervisor, "status_changed": agent.user, "reprioritized": agent.user, "recategorized": agent.user,
        "merged_from": agent.user, "escalation_dismissed": supervisor,
    }  # fmt: skip
    events = {e.kind: e for e in TicketEvent.objects.filter(ticket=ticket)}
    for kind, actor in expected.items():
        assert kind in events, (kind, sorted(events))
        assert events[kind].actor == actor and events[kind].created_at >= started
    assert TicketEvent.objects.get(ticket=other, kind="merged_into").actor == agent.user


def test_sla_clocks_turning_at_risk_and_breached_are_recorded_once() -> None:
    calendar = BusinessCalendar.objects.create(name="24x7 audit", is_24x7=True, time_zone="UTC")
    policy = SlaPolicy.objects.create(
        name="P2 audit", priority=2, first_response_minutes=100, next_response_minutes=100, resolution_minutes=1000, calendar=calendar
    )
    now = timezone.now()
    ticket = TicketFactory.create(
        status="triaged", priority=2, sla_policy=policy, sla_status="ok", sla_first_response_due_at=now + timedelta(minutes=10),
        sla_resolution_due_at=now + timedelta(minutes=900), next_check_at=now,
    )  # fmt: skip
    sweep(now=now)  # 10 of 100 minutes left: at risk
    TicketEvent.objects.filter(ticket=ticket).exclude(kind__startswith="sla_").delete()
    ticket.refresh_from_db()
    ticket.next_check_at = now + timedelta(minutes=11)
    ticket.save(update_fields=["next_check_at"])
    sweep(now=now + timedelta(minutes=11))
    sweep(now=now + timedelta(minutes=11))  # nothing due: no second event
    kinds = list(TicketEvent.objects.filter(ticket=ticket, kind__startswith="sla_").order_by("id").values_list("kind", "detail"))
    assert kinds == [("sla_at_risk", {"from": "ok"}), ("sla_breached", {"from": "at_risk"})]


def test_configuration_changes_from_admin_and_api_are_logged(make_user: Any) -> None:
    admin_user = make_user(role="admin")
    client = Client()
    client.force_login(admin_user)
    settings_row = EscalationSettings.current()
    response = client.post(
        f"/admin/escalation/escalationsettings/{settings_row.pk}/change/",
        {
            **{"immediate_threshold": "0.9", "priority_threshold": "0.5", "recheck_minutes": "20", "weights": "{}"},
            **{"dismissal_cooldown_minutes": "60", "at_risk_escalates": "on"},
            **{"forecast_escalates": "on", "forecast_lead_minutes": "60", "forecast_probability": "0.8"},
        },
    )
    assert response.status_code == 302, response.content[:2000]
    api = APIClient()
    api.force_authenticate(admin_user)
    assert api.post("/api/v1/routing-rules/", {"name": "VIP first", "order": 1}, format="json").status_code == 201

    entries = list(LogEntry.objects.order_by("id").values_list("user__username", "object_repr", "action_flag"))
    assert entries == [(admin_user.username, "Escalation settings", 2), (admin_user.username, "1. VIP first", 1)]


@pytest.fixture
def admin_client(make_user: Any) -> tuple[Client, Any]:
    user = make_user(role="admin")  # by group, not superuser
    client = Client()
    client.force_login(user)
    return client, user


def test_only_admins_read_the_audit_log(make_user: Any, admin_client: tuple[Client, Any]) -> None:
    for role in ("agent", "supervisor"):
        client = Client()
        client.force_login(make_user(role=role))
        assert client.get("/console/audit/").status_code == 403
    assert Client().get("/console/audit/").status_code == 302
    client, _ = admin_client
    page = client.get("/console/audit/")
    assert page.status_code == 200 and b'href="/console/audit/"' in page.content  # in the nav for admins


def test_audit_pages_filter_paginate_escape_and_keep_queries_flat(make_user: Any, admin_client: tuple[Client, Any]) -> None:
    client, _ = admin_client
    agent = make_user(role="agent")
    ticket = TicketFactory.create()
    for index in range(60):
        TicketEvent.objects.create(ticket=ticket, actor=agent if index % 2 else None, kind="status_changed", detail={"n": index})
    TicketEvent.objects.create(ticket=ticket, actor=agent, kind="noted", detail={"why": "<script>alert(1)</script>"})

    first = client.get("/console/audit/")
    body = first.content.decode()
    assert body.count("<tr><td><time") == 50 and "&lt;script&gt;alert(1)&lt;/script&gt;" in body and "<script>alert" not in body
    newest_first = TicketEvent.objects.order_by("-id").values_list("pk", flat=True)
    assert f"before={list(newest_first)[49]}" in body
    older = client.get(f"/console/audit/?before={list(newest_first)[49]}").content.decode()
    assert older.count("<tr><td><time") == 11 and "Older entries" not in older

    mine = client.get(f"/console/audit/?actor={agent.username}&kind=status_changed&ticket={ticket.pk}").content.decode()
    assert mine.count("<tr><td><time") == 30 and "system" not in mine.split("<tbody>")[1]

    with CaptureQueriesContext(connection) as few:
        client.get("/console/audit/?before=5")
    with CaptureQueriesContext(connection) as many:
        client.get("/console/audit/")
    assert len(few) == len(many)
    assert client.get("/console/audit/?before=abc").status_code == 400
    assert client.get("/console/audit/?source=everything").status_code == 400
    assert client.get("/console/audit/?ticket=-3").status_code == 400


def test_configuration_tab_lists_admin_changes(admin_client: tuple[Client, Any]) -> None:
    client, user = admin_client
    calendar = BusinessCalendar.objects.create(name="Berlin <office>", time_zone="Europe/Berlin")
    from foundation import audit

    audit.log_change(user, calendar, action=audit.CHANGE, message="Hours changed.")
    page = client.get("/console/audit/?source=config").content.decode()
    assert "Berlin &lt;office&gt;" in page and "Hours changed." in page and user.username in page
