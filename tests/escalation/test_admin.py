"""Every model is in Django admin: usable by admins, closed to agents and supervisors."""

from datetime import timedelta
from typing import Any

import pytest
from django.contrib import admin
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from escalation_engine.models import ForecastCalibration, WhatIfRun
from foundation.models import Heartbeat
from tests.factories import AgentSkillFactory, CategoryFactory, InteractionFactory, TicketFactory
from tickets.models import TicketEvent

pytestmark = pytest.mark.django_db

MODELS = sorted(admin.site._registry, key=lambda m: m._meta.label)
CORE = {"tickets.Customer", "tickets.Ticket", "tickets.Interaction", "tickets.Category", "tickets.TicketEvent",
        "agents.Team", "agents.Agent", "agents.Skill", "agents.AgentSkill"}  # fmt: skip


def url(model: Any, view: str, *args: Any) -> str:
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_{view}", args=args)


@pytest.fixture
def one_of_each(db: None) -> None:
    skill = AgentSkillFactory.create()
    CategoryFactory.create(skill=skill.skill)
    interaction = InteractionFactory.create()
    TicketEvent.objects.create(ticket=interaction.ticket, kind="created")
    Heartbeat.objects.create(component="worker", hostname="w1", last_seen_at=timezone.now())
    ForecastCalibration.objects.create(samples=4000, breaches=300, adopted=True, calibration={"weights": [1, 0, 0, 0, 0, 0]})
    WhatIfRun.objects.create(period_start_at=timezone.now() - timedelta(days=7), period_end_at=timezone.now(), scenario={"name": "x"})


def test_every_core_model_is_registered() -> None:
    assert {m._meta.label for m in MODELS} >= CORE


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_admin_role_can_open_every_admin_page(client: Client, make_user: Any, one_of_each: None, model: Any) -> None:
    # An admin by role (group permissions), not a superuser: proves the group grants enough.
    user = make_user(role="admin")
    client.force_login(user)
    assert client.get(url(model, "changelist")).status_code == 200
    request = RequestFactory().get("/")
    request.user = user
    can_add = admin.site._registry[model].has_add_permission(request)
    assert client.get(url(model, "add")).status_code == (200 if can_add else 403)
    instance = model._default_manager.first()
    if instance is not None:
        assert client.get(url(model, "change", instance.pk)).status_code == 200


@pytest.mark.parametrize("role", ["agent", "supervisor"])
@pytest.mark.parametrize("model", MODELS, ids=lambda m: m._meta.label)
def test_agents_and_supervisors_are_refused_admin(client: Client, make_user: Any, one_of_each: None, model: Any, role: str) -> None:
    client.force_login(make_user(role=role))
    response = client.get(url(model, "changelist"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("admin:login"))


def test_ticket_changelist_query_count_does_not_grow_with_rows(client: Client, make_user: Any) -> None:
    client.force_login(make_user(role="admin"))
    TicketFactory.create_batch(3)
    client.get("/admin/")  # the first request also loads the permission sets (cached per process after it)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url(TicketFactory._meta.model, "changelist")).status_code == 200
    TicketFactory.create_batch(30)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url(TicketFactory._meta.model, "changelist")).status_code == 200
    assert len(many) == len(few)
