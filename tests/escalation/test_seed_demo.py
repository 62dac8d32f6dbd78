"""seed_demo builds a usable demo desk and prints working logins."""

import io

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db.models import Sum

from agents.models import Agent, AgentSkill, Team
from analytics.models import DailyStat, SatisfactionSurvey
from foundation import placeholders
from foundation.roles import role_of
from helpcenter.models import Macro
from tickets.models import Customer, CustomerTier, Interaction, Ticket, TicketEvent

pytestmark = pytest.mark.django_db


def run(*args: str) -> str:
    out = io.StringIO()
    call_command("seed_demo", *args, stdout=out)
    return out.getvalue()


def test_seed_demo_creates_a_working_desk() -> None:
    output = run("--tickets", "60", "--customers", "15")
    assert Ticket.objects.count() == 60
    assert set(Customer.objects.values_list("tier", flat=True)) == set(CustomerTier.values)
    assert Team.objects.count() >= 5
    assert Agent.objects.filter(availability="online").count() >= 3
    assert all(AgentSkill.objects.filter(agent=agent).exists() for agent in Agent.objects.all())
    # every ticket has the customer's first message and a "created" audit event
    assert Interaction.objects.filter(author_kind="customer").count() == 60
    assert TicketEvent.objects.filter(kind="created").count() == 60
    # assignees only ever come from the ticket's own team
    for ticket in Ticket.objects.exclude(assignee=None).select_related("assignee", "team"):
        assert ticket.assignee is not None and ticket.team is not None
        assert ticket.assignee.teams.filter(pk=ticket.team.pk).exists()
    # the dashboards have something to show: surveys for resolved tickets, rollups of the last month
    resolved = Ticket.objects.filter(resolved_at__isnull=False)
    assert SatisfactionSurvey.objects.count() == resolved.count() > 0
    assert SatisfactionSurvey.objects.filter(rating__isnull=False).exists()
    assert resolved.filter(resolution_seconds__isnull=False).count() == resolved.count()
    created = DailyStat.objects.filter(team=0, dim="all", period="day").aggregate(n=Sum("created"))["n"]
    assert created == Ticket.objects.count()
    # canned replies to try in the reply box, each body valid for the renderer, one suggested for password tickets
    macros = list(Macro.objects.select_related("for_article"))
    assert len(macros) == 3 and all(placeholders.validate(m.body) == [] for m in macros)
    assert any(m.for_article is not None and m.for_article.slug == "reset-your-password" for m in macros)
    for username, role in (("admin", "admin"), ("supervisor", "supervisor"), ("agent", "agent")):
        assert f"{username}" in output
        user = authenticate(username=username, password="demo-escalation")
        assert user is not None and role_of(user) == role


def test_if_empty_does_not_add_a_second_batch() -> None:
    run("--tickets", "20", "--customers", "5")
    assert "already present" in run("--if-empty")
    assert Ticket.objects.count() == 20
    run("--tickets", "5", "--customers", "2")
    assert Macro.objects.count() == 3  # the catalogue is not added twice


def test_refuses_to_seed_production(settings) -> None:
    settings.PRODUCTION = True
    with pytest.raises(CommandError, match="production"):
        run("--tickets", "5")
    assert not Ticket.objects.exists()
