"""The escalation sweep: reads only what is due, escalates once, applies rules, survives bad rows."""

import threading
from datetime import UTC, datetime, timedelta
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection, connections
from django.utils import timezone

from escalation_engine import sla
from escalation_engine.models import Escalation, EscalationRule
from escalation_engine.sweep import sweep
from tests.factories import CustomerFactory, TeamFactory, TicketFactory
from tickets.models import Ticket, TicketEvent

NOW = datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
pytestmark = pytest.mark.travel(NOW)


def due_ticket(**kwargs: Any) -> Ticket:
    fields: dict[str, Any] = {"status": "triaged", "priority": 2, "next_check_at": NOW - timedelta(minutes=1)}
    fields.update(kwargs)
    return TicketFactory.create(**fields)


@pytest.mark.django_db
def test_sla_breach_escalates_immediately_with_signals_and_weights() -> None:
    ticket = due_ticket(created_at=NOW - timedelta(days=5))
    sla.apply_start(ticket, now=NOW - timedelta(days=5))
    ticket.next_check_at = NOW - timedelta(minutes=1)
    ticket.save()
    result = sweep(now=NOW)
    assert result.read == 1 and result.escalated == 1
    escalation = Escalation.objects.get(ticket=ticket)
    assert escalation.recommendation == "immediate" and escalation.signals["sla"] == 1.0
    assert escalation.weights["sla"] == 0.9 and escalation.sla_breached_at_escalation
    ticket.refresh_from_db()
    assert ticket.priority == 1  # immediate without a rule: at least P1
    assert ticket.next_check_at is not None and ticket.next_check_at > NOW
    assert TicketEvent.objects.filter(ticket=ticket, kind="escalated").exists()


@pytest.mark.django_db
def test_running_the_sweep_twice_does_nothing_new() -> None:
    due_ticket(legal_score=1.0, frustration_score=0.95)
    assert sweep(now=NOW).escalated == 1
    Ticket.objects.update(next_check_at=NOW - timedelta(seconds=1))
    assert sweep(now=NOW).escalated == 0
    assert Escalation.objects.count() == 1


@pytest.mark.django_db
def test_only_due_tickets_are_read() -> None:
    due_ticket(legal_score=1.0)
    due_ticket(legal_score=1.0, next_check_at=NOW + timedelta(minutes=5))
    due_ticket(legal_score=1.0, next_check_at=None)
    assert sweep(now=NOW).read == 1


@pytest.mark.django_db
def test_calm_tickets_are_monitored_not_escalated() -> None:
    ticket = due_ticket()
    assert sweep(now=NOW).escalated == 0
    ticket.refresh_from_db()
    assert ticket.next_check_at == NOW + timedelta(minutes=60)


@pytest.mark.django_db
def test_rule_picks_the_tier_and_actions() -> None:
    executives = TeamFactory.create(name="Executive desk", slug="exec")
    rule = EscalationRule.objects.create(
        name="Enterprise legal", order=1, recommendation="immediate", customer_tiers=["enterprise"], tier="executive",
        reassign_team=executives, raise_priority_to=0, note="Executive attention: legal threat from an enterprise customer.",
    )  # fmt: skip
    ticket = due_ticket(customer=CustomerFactory.create(tier="enterprise"), legal_score=1.0, frustration_score=0.9)
    sweep(now=NOW)
    escalation = Escalation.objects.get(ticket=ticket)
    assert escalation.rule == rule and escalation.tier == "executive"
    assert [a["action"] for a in escalation.actions] == ["raise_priority", "reassign_team", "note", "notify"]
    ticket.refresh_from_db()
    assert ticket.priority == 0 and ticket.team == executives and ticket.assignee is None
    assert ticket.interactions.filter(is_internal=True, body__startswith="Executive attention").exists()


@pytest.mark.django_db
def test_a_failing_ticket_is_pushed_back_and_does_not_stop_the_sweep(monkeypatch: pytest.MonkeyPatch) -> None:
    bad, good = due_ticket(legal_score=1.0), due_ticket(legal_score=1.0)
    from escalation_engine import sweep as sweep_module

    original = sweep_module.assess

    def flaky(ticket: Ticket, **kwargs: Any) -> Any:
        if ticket.pk == bad.pk:
            raise RuntimeError("boom")
        return original(ticket, **kwargs)

    monkeypatch.setattr(sweep_module, "assess", flaky)
    result = sweep(now=NOW)
    assert (result.read, result.escalated, result.failed) == (2, 1, 1)
    assert Ticket.objects.get(pk=bad.pk).next_check_at == NOW + timedelta(minutes=5)
    assert not Escalation.objects.filter(ticket=bad).exists()
    assert Escalation.objects.filter(ticket=good).exists()


@pytest.mark.django_db
def test_command_runs_one_pass() -> None:
    due_ticket(legal_score=1.0, next_check_at=timezone.now() - timedelta(minutes=1))
    out = StringIO()
    call_command("sweep_escalations", "--once", stdout=out)
    assert '"escalated": 1' in out.getvalue()


@pytest.mark.integration
@pytest.mark.django_db(transaction=True)
def test_parallel_sweepers_never_double_act() -> None:
    assert connection.vendor == "postgresql", "proves skip_locked on PostgreSQL: run with make test"
    customer = CustomerFactory.create()
    for _ in range(120):
        due_ticket(customer=customer, legal_score=1.0, frustration_score=0.9)
    results: list[Any] = []

    def run() -> None:
        try:
            results.append(sweep(now=NOW, batch_size=10))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=run) for _ in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert sum(r.read for r in results) == 120  # every ticket read by exactly one sweeper
    assert sum(r.escalated for r in results) == 120
    assert Escalation.objects.count() == 120
    assert Escalation.objects.values("ticket").distinct().count() == 120


@pytest.mark.django_db
def test_a_p0_escalates_before_its_clock_runs_out_but_an_incident_child_leaves_it_to_the_parent() -> None:
    calm = {"frustration_score": 0.0, "legal_score": 0.0, "sentiment_score": 0.2}
    p0 = due_ticket(priority=0, **calm)
    p2 = due_ticket(priority=2, **calm)
    parent = due_ticket(priority=0, is_incident=True, **calm)
    child = due_ticket(priority=0, incident=parent, **calm)
    sweep(now=NOW)
    escalated = set(Escalation.objects.values_list("ticket_id", flat=True))
    assert p0.pk in escalated and p2.pk not in escalated and child.pk not in escalated
    escalation = Escalation.objects.get(ticket=p0)
    assert escalation.recommendation == "priority" and escalation.signals["p0"] == 1.0


@pytest.mark.django_db
def test_a_threat_to_leave_escalates_for_a_valuable_customer_only() -> None:
    calm = {"frustration_score": 0.0, "legal_score": 0.0, "sentiment_score": 0.0, "churn_score": 0.7}
    valuable = due_ticket(customer=CustomerFactory.create(tier="gold", lifetime_value=50_000), **calm)
    small = due_ticket(customer=CustomerFactory.create(tier="bronze", lifetime_value=100), **calm)
    sweep(now=NOW)
    escalated = set(Escalation.objects.values_list("ticket_id", flat=True))
    assert valuable.pk in escalated and small.pk not in escalated
    assert Escalation.objects.get(ticket=valuable).signals["churn"] == 0.7
