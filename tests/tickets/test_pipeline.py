"""The triage task as one transaction (triage, routing, burst detection, escalation check) and the
per-process configuration cache it reads from."""

from typing import Any

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext

from escalation_engine import sweep
from escalation_engine.models import EscalationRule, SlaPolicy
from foundation import config_cache
from pipeline import tasks as pipeline_tasks
from tests.factories import AgentFactory, AgentSkillFactory, CategoryFactory, SkillFactory, TeamFactory, UserFactory
from tickets.models import Ticket, TicketEvent, TriageSettings
from tickets.services import receive_contact

pytestmark = pytest.mark.django_db


@pytest.fixture
def desk() -> dict[str, Any]:
    """An account-access team with one skilled agent: what the seed model predicts for log-in trouble."""
    team = TeamFactory.create(name="Access", slug="access")
    skill = SkillFactory.create(slug="access")
    category = CategoryFactory.create(slug="account_access", skill=skill, team=team)
    agent = AgentFactory.create(capacity=50)
    agent.teams.add(team)
    AgentSkillFactory.create(agent=agent, skill=skill, level=5)
    return {"category": category, "agent": agent}


def new_ticket(n: int = 0) -> Ticket:
    result = receive_contact(
        channel="api",
        customer_email=f"ann{n}@example.com",
        subject="Cannot log in to my account",
        body="My password reset e-mail never arrives and I cannot sign in.",
    )
    return result.ticket


def test_one_task_triages_routes_and_checks_a_new_ticket(desk: dict[str, Any]) -> None:
    ticket = new_ticket()
    pipeline_tasks.triage_ticket.run(ticket.pk)
    done = Ticket.objects.get(pk=ticket.pk)
    assert done.triaged_at is not None and done.category == desk["category"]
    assert done.assignee_id == desk["agent"].pk and done.status == "assigned"
    assert done.sla_policy_id is not None and done.next_check_at is not None  # the check scheduled the next one
    assert done.predicted_satisfaction is not None  # written by the escalation check
    kinds = list(TicketEvent.objects.filter(ticket=done).values_list("kind", flat=True))
    assert kinds.count("triaged") == 1 and kinds.count("assigned") == 1
    pipeline_tasks.triage_ticket.run(ticket.pk)  # a redelivery changes nothing
    assert TicketEvent.objects.filter(ticket=done).count() == len(kinds)


def test_the_task_reads_configuration_once_and_uses_a_flat_number_of_queries(desk: dict[str, Any]) -> None:
    for n in (0, 1):  # warm the per-process caches (the first loads create the settings row and the model)
        pipeline_tasks.triage_ticket.run(new_ticket(n).pk)
    counts = []
    for n in (2, 3):
        ticket = new_ticket(n)
        with CaptureQueriesContext(connection) as queries:
            pipeline_tasks.triage_ticket.run(ticket.pk)
        counts.append(len(queries))
        assert Ticket.objects.get(pk=ticket.pk).assignee_id == desk["agent"].pk
        sql = " ".join(q["sql"] for q in queries.captured_queries)
        for table in ("tickets_triagesettings", 'escalation_slapolicy" WHERE', "escalation_escalationrule", "agents_routingrule"):
            assert f'FROM "{table}' not in sql, f"{table} was read again"
    # was 30 queries in four transactions (two savepoints are the test's); +2: the assignee's notification (notifications.notify)
    assert counts[0] == counts[1] <= 22, counts


def test_a_failure_midway_leaves_the_ticket_untouched_and_the_retry_does_everything(
    desk: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    ticket = new_ticket()
    real_check = sweep.recheck_locked

    def broken(*args: Any, **kwargs: Any) -> Any:
        raise RuntimeError("worker died during the check")

    monkeypatch.setattr(sweep, "recheck_locked", broken)
    with pytest.raises(RuntimeError):
        pipeline_tasks.triage_ticket.run(ticket.pk)
    untouched = Ticket.objects.get(pk=ticket.pk)
    assert untouched.triaged_at is None and untouched.assignee_id is None and untouched.status == "new"
    assert not TicketEvent.objects.filter(ticket=ticket, kind__in=["triaged", "assigned"]).exists()
    monkeypatch.setattr(sweep, "recheck_locked", real_check)
    pipeline_tasks.triage_ticket.run(ticket.pk)
    done = Ticket.objects.get(pk=ticket.pk)
    assert done.triaged_at is not None and done.assignee_id == desk["agent"].pk and done.next_check_at is not None


def test_an_admin_change_reaches_the_next_ticket(desk: dict[str, Any]) -> None:
    def vague(n: int) -> Ticket:  # plainly account access, but not in so many words (confidence well under 0.9999)
        return receive_contact(
            channel="api",
            customer_email=f"vague{n}@example.com",
            subject="account",
            body="hello i cant get in to my account anymore, what do i do",
        ).ticket

    first = vague(0)
    pipeline_tasks.triage_ticket.run(first.pk)
    assert Ticket.objects.get(pk=first.pk).needs_triage is False  # confident at the default threshold
    settings_row = TriageSettings.current()
    settings_row.confidence_threshold = 0.9999  # the same words are not confident enough now
    settings_row.save()
    ticket = vague(1)
    pipeline_tasks.triage_ticket.run(ticket.pk)
    held = Ticket.objects.get(pk=ticket.pk)
    assert held.needs_triage is True and held.assignee_id is None


def test_cached_values_are_reused_until_their_section_changes_in_any_process() -> None:
    calls: list[int] = []

    def load() -> int:
        calls.append(1)
        return len(calls)

    assert config_cache.cached("sla", "probe", load) == 1
    assert config_cache.cached("sla", "probe", load) == 1  # cached
    config_cache.begin()  # next task
    assert config_cache.cached("sla", "probe", load) == 1  # still cached: nothing changed
    SlaPolicy.objects.create(name="extra", priority=3, first_response_minutes=60, next_response_minutes=60, resolution_minutes=600)
    assert config_cache.cached("sla", "probe", load) == 2  # a save in this process
    cache.set(config_cache._key("sla"), "changed-by-another-process", timeout=None)
    assert config_cache.cached("sla", "probe", load) == 2  # within this task the tokens read are kept…
    config_cache.begin()
    assert config_cache.cached("sla", "probe", load) == 3  # …and the next task sees the other process's change
    rule = EscalationRule.objects.create(name="probe rule", recommendation="priority", tier="senior_support")
    assert config_cache.cached("sla", "probe", load) == 3  # other sections leave it alone
    rule.categories.add(CategoryFactory.create())  # a many-to-many change counts too
    assert config_cache.cached("escalation", "probe", load) == 4
    assert config_cache.cached("escalation", "probe", load) == 4


def test_values_are_reloaded_after_their_maximum_age_and_after_migrate(monkeypatch: pytest.MonkeyPatch) -> None:
    """Changes no signal reports (raw SQL, data migrations) reach every process anyway."""
    calls: list[int] = []
    config_cache.cached("routing", "probe", lambda: calls.append(1))
    config_cache.cached("routing", "probe", lambda: calls.append(1))
    assert len(calls) == 1
    config_cache.changed_everything()  # what post_migrate does
    config_cache.cached("routing", "probe", lambda: calls.append(1))
    assert len(calls) == 2
    monkeypatch.setattr(config_cache, "MAX_VALUE_AGE_SECONDS", 0.0)
    config_cache.cached("routing", "probe", lambda: calls.append(1))
    assert len(calls) == 3


def test_nothing_is_cached_while_the_shared_cache_is_down(monkeypatch: pytest.MonkeyPatch) -> None:
    def down(*args: Any, **kwargs: Any) -> Any:
        raise ConnectionError("cache is down")

    monkeypatch.setattr(cache, "get_many", down)
    config_cache.begin()
    calls: list[int] = []
    for _ in range(3):
        config_cache.cached("routing", "probe", lambda: calls.append(1))
    assert len(calls) == 3


def test_permission_changes_apply_on_the_next_request() -> None:
    user = UserFactory.create()
    group = Group.objects.create(name="probe-role")
    user.groups.add(group)
    fresh = type(user).objects.get(pk=user.pk)
    assert not fresh.has_perm("tickets.add_ticket")
    group.permissions.add(Permission.objects.get(codename="add_ticket", content_type__app_label="tickets"))
    config_cache.begin()
    assert type(user).objects.get(pk=user.pk).has_perm("tickets.add_ticket")
    user.groups.remove(group)
    config_cache.begin()
    assert not type(user).objects.get(pk=user.pk).has_perm("tickets.add_ticket")
    with CaptureQueriesContext(connection) as queries:
        again = type(user).objects.get(pk=user.pk)
        again.has_perm("tickets.add_ticket")
        again.has_perm("tickets.view_ticket")
    assert len(queries) == 1  # the user row only: the permission sets are cached


def test_triage_detects_the_language_and_a_language_rule_routes_on_it(desk: dict[str, Any]) -> None:
    from agents.models import RoutingRule

    german_desk = TeamFactory.create(name="DACH", slug="dach")
    helper = AgentFactory.create(capacity=10)
    helper.teams.add(german_desk)
    RoutingRule.objects.create(name="German to DACH", order=1, languages=["de"], team=german_desk)
    result = receive_contact(
        channel="email",
        customer_email="jens@example.de",
        subject="Login geht nicht",
        body="Hallo, seit gestern kann ich mich nicht mehr anmelden, das Passwort wird nicht akzeptiert. Gruß, Jens",
    )
    pipeline_tasks.triage_ticket.run(result.ticket.pk)
    ticket = Ticket.objects.get(pk=result.ticket.pk)
    assert ticket.language == "de" and ticket.team == german_desk  # the German team's queue (and its Needs triage)
    assert ticket.assignee in (None, helper)  # assigned only once the category is sure
    english = new_ticket(7)
    pipeline_tasks.triage_ticket.run(english.pk)
    assert Ticket.objects.get(pk=english.pk).language == "en" and Ticket.objects.get(pk=english.pk).team != german_desk
