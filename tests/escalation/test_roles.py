"""The role groups exist with exactly the powers each role needs."""

import pytest
from django.contrib.auth.models import Group, Permission

from foundation.roles import ADMIN, AGENT, SUPERVISOR, role_of

pytestmark = pytest.mark.django_db


def perms(group_name: str) -> set[str]:
    group = Group.objects.get(name=group_name)
    return {f"{p.content_type.app_label}.{p.codename}" for p in group.permissions.select_related("content_type")}


def test_the_three_role_groups_exist() -> None:
    assert set(Group.objects.values_list("name", flat=True)) >= {AGENT, SUPERVISOR, ADMIN}


def test_agents_work_tickets_but_cannot_delete_or_assign() -> None:
    agent = perms(AGENT)
    assert {"tickets.view_ticket", "tickets.change_ticket", "tickets.add_interaction", "tickets.view_customer"} <= agent
    assert "tickets.delete_ticket" not in agent
    assert "tickets.assign_ticket" not in agent
    assert "tickets.view_all_tickets" not in agent
    assert not any(p.startswith("auth.") for p in agent)


def test_supervisors_can_assign_and_see_every_team() -> None:
    supervisor = perms(SUPERVISOR)
    assert {"tickets.assign_ticket", "tickets.view_all_tickets", "agents.change_agent"} <= supervisor
    assert perms(AGENT) <= supervisor
    assert "tickets.delete_ticket" not in supervisor
    assert "auth.change_user" not in supervisor


def test_admins_hold_every_permission_of_the_project_apps() -> None:
    admin = perms(ADMIN)
    for app_label in ("tickets", "agents", "escalation", "auth"):
        every = {f"{app_label}.{p.codename}" for p in Permission.objects.filter(content_type__app_label=app_label)}
        assert every, app_label
        assert every <= admin, app_label


def test_role_of_picks_the_highest_role(make_user) -> None:
    user = make_user(role=AGENT)
    assert role_of(user) == AGENT
    user.groups.add(Group.objects.get(name=SUPERVISOR))
    assert role_of(user) == SUPERVISOR
    assert role_of(make_user()) is None


def test_later_models_reach_the_roles_through_later_migrations() -> None:
    assert "escalation.view_escalation" in perms(AGENT)
    assert {"escalation.change_escalation", "agents.view_routingrule"} <= perms(SUPERVISOR)
    assert {"escalation.add_slapolicy", "agents.add_routingrule", "tickets.change_triagesettings"} <= perms(ADMIN)
