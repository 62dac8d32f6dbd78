"""SLA clocks on tickets: policies, business-time due dates, at-risk/breach, pause/resume, reopen."""

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from escalation_engine import sla
from escalation_engine.models import SlaPolicy
from foundation.models import BusinessCalendar, Holiday
from tests.conftest import send_from_outbox
from tests.factories import AgentFactory, CustomerFactory, TicketFactory, UserFactory
from tickets import services
from tickets.models import Ticket

FRIDAY_4PM = datetime(2026, 11, 27, 16, 0, tzinfo=UTC)
MONDAY_9AM = datetime(2026, 11, 30, 9, 0, tzinfo=UTC)
# Tests that do not set the clock run on that Friday too, whatever today is.
pytestmark = [pytest.mark.django_db, pytest.mark.travel(FRIDAY_4PM)]


@pytest.fixture
def clock(clock: Any) -> Any:
    """The shared frozen clock (tests/conftest.py), starting at FRIDAY_4PM."""
    clock.set(FRIDAY_4PM)
    return clock


def started(priority: int = 2, created: datetime = FRIDAY_4PM, **kwargs: Any) -> Ticket:
    ticket = TicketFactory.create(priority=priority, created_at=created, status="triaged", **kwargs)
    sla.apply_start(ticket, now=created)
    ticket.save()
    return ticket


def test_default_policies_exist_per_priority() -> None:
    targets = {p.priority: (p.first_response_minutes, p.resolution_minutes) for p in SlaPolicy.objects.filter(customer_tier="")}
    assert targets == {0: (15, 240), 1: (60, 1440), 2: (240, 4320), 3: (1440, 10080)}
    calendar = SlaPolicy.objects.get(priority=0).calendar
    assert calendar is not None and calendar.is_24x7
    assert BusinessCalendar.objects.get(is_default=True).hours.count() == 5


def test_due_times_are_in_business_hours_but_p0_runs_round_the_clock() -> None:
    p2 = started(priority=2)
    assert p2.sla_first_response_due_at == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)  # 1 h Friday + 3 h Monday
    p0 = started(priority=0)
    assert p0.sla_first_response_due_at == FRIDAY_4PM + timedelta(minutes=15)
    assert p0.sla_resolution_due_at == FRIDAY_4PM + timedelta(hours=4)


def test_holidays_push_due_times() -> None:
    Holiday.objects.create(calendar=BusinessCalendar.objects.get(is_default=True), date=date(2026, 11, 30), name="Bridge day")
    assert started(priority=2).sla_first_response_due_at == datetime(2026, 12, 1, 12, 0, tzinfo=UTC)


def test_at_risk_at_75_percent_then_breached() -> None:
    ticket = started(priority=2)  # first response: 4 business hours, due Monday 12:00
    assert ticket.sla_status == "ok"
    at_risk_moment = datetime(2026, 11, 30, 11, 0, tzinfo=UTC)  # 3 of 4 hours elapsed
    assert ticket.next_check_at == at_risk_moment
    sla.refresh_status(ticket, now=at_risk_moment - timedelta(minutes=1))
    assert ticket.sla_status == "ok"
    sla.refresh_status(ticket, now=at_risk_moment)
    assert ticket.sla_status == "at_risk" and ticket.next_check_at == datetime(2026, 11, 30, 12, 0, tzinfo=UTC)
    sla.refresh_status(ticket, now=datetime(2026, 11, 30, 12, 0, tzinfo=UTC))
    assert ticket.sla_status == "breached"


def test_policy_for_a_tier_beats_the_default() -> None:
    SlaPolicy.objects.create(
        name="Gold P2", priority=2, customer_tier="gold", first_response_minutes=30, next_response_minutes=30, resolution_minutes=600
    )
    gold = started(priority=2, customer=CustomerFactory.create(tier="gold"))
    assert gold.sla_policy is not None and gold.sla_policy.name == "Gold P2"
    assert gold.sla_first_response_due_at == FRIDAY_4PM + timedelta(minutes=30)
    assert started(priority=2).sla_policy.name == "P2 default"  # type: ignore[union-attr]


def test_pending_customer_pauses_and_the_reply_resumes_with_the_time_left(clock: Any) -> None:
    ticket = started(priority=1, created=MONDAY_9AM)  # resolution: 24 business hours = 3 days
    assert ticket.sla_resolution_due_at == datetime(2026, 12, 2, 17, 0, tzinfo=UTC)
    agent = UserFactory.create(role="agent")
    clock.set(MONDAY_9AM + timedelta(hours=2))
    question = services.add_agent_reply(ticket=ticket, body="Could you send a screenshot?", by=agent)
    send_from_outbox(f"reply:{question.pk}")
    services.change_status(ticket=ticket, status="pending_customer", by=agent)
    paused = Ticket.objects.get(pk=ticket.pk)
    assert paused.sla_status == "paused" and paused.next_check_at is None
    assert paused.sla_resolution_remaining_seconds == 22 * 3600
    clock.set(datetime(2026, 12, 2, 10, 0, tzinfo=UTC))  # two days later the customer answers
    question.refresh_from_db()
    services.receive_contact(
        channel="email",
        customer_email=ticket.customer.email,
        subject=f"Re: [#{ticket.pk}] screenshot",
        body="Here it is.",
        in_reply_to=[question.external_message_id],  # answers the mail we sent
    )
    resumed = Ticket.objects.get(pk=ticket.pk)
    assert resumed.status == "triaged" and resumed.sla_paused_at is None  # unassigned: back to the queue
    assert resumed.sla_resolution_due_at == datetime(2026, 12, 4, 16, 0, tzinfo=UTC)  # 22 business hours from Wed 10:00
    assert resumed.sla_next_response_due_at == datetime(2026, 12, 2, 11, 0, tzinfo=UTC)  # P1: answer within 60 min


def test_first_agent_reply_stops_the_first_response_clock(clock: Any) -> None:
    ticket = started(priority=2, created=MONDAY_9AM)
    clock.set(MONDAY_9AM + timedelta(minutes=30))
    services.add_agent_reply(ticket=ticket, body="Looking into it.", by=AgentFactory.create().user)  # who answers takes it
    ticket.refresh_from_db()
    assert ticket.first_response_at == MONDAY_9AM + timedelta(minutes=30)
    assert ticket.sla_first_response_due_at is None and ticket.status == "in_progress"
    services.add_agent_reply(ticket=ticket, body="internal: ask billing", by=UserFactory.create(role="agent"), internal=True)
    ticket.refresh_from_db()
    assert ticket.first_response_at == MONDAY_9AM + timedelta(minutes=30)


def test_resolving_records_met_or_breached_and_reopening_restarts_resolution(clock: Any) -> None:
    ticket = started(priority=0, created=FRIDAY_4PM)
    agent = UserFactory.create(role="agent")
    clock.set(FRIDAY_4PM + timedelta(hours=1))
    services.change_status(ticket=ticket, status="resolved", by=agent)
    assert Ticket.objects.get(pk=ticket.pk).sla_status == "met"
    clock.set(FRIDAY_4PM + timedelta(hours=30))
    services.change_status(ticket=ticket, status="in_progress", by=agent)
    reopened = Ticket.objects.get(pk=ticket.pk)
    assert reopened.resolved_at is None
    assert reopened.sla_resolution_due_at == FRIDAY_4PM + timedelta(hours=34)
    late = started(priority=0, created=FRIDAY_4PM)
    clock.set(FRIDAY_4PM + timedelta(hours=5))
    services.change_status(ticket=late, status="resolved", by=agent)
    assert Ticket.objects.get(pk=late.pk).sla_status == "breached"


def test_reprioritizing_recomputes_the_targets(clock: Any) -> None:
    ticket = started(priority=3, created=MONDAY_9AM)
    clock.set(MONDAY_9AM)
    services.reprioritize_ticket(ticket=ticket, priority=0, by=UserFactory.create(role="agent"))
    ticket.refresh_from_db()
    assert ticket.sla_first_response_due_at == MONDAY_9AM + timedelta(minutes=15)


def test_impossible_transitions_are_refused() -> None:
    ticket = TicketFactory.create(status="resolved")
    with pytest.raises(ValidationError, match="cannot go from resolved to pending_customer"):
        services.change_status(ticket=ticket, status="pending_customer", by=None)
    with pytest.raises(ValidationError, match="Unknown status"):
        services.change_status(ticket=ticket, status="lost", by=None)


def test_import_holidays_from_ical(tmp_path: Any) -> None:
    from io import StringIO

    from django.core.management import CommandError, call_command

    ics = tmp_path / "h.ics"
    ics.write_text("BEGIN:VCALENDAR\nBEGIN:VEVENT\nDTSTART;VALUE=DATE:20261225\nSUMMARY:Christmas\nEND:VEVENT\nEND:VCALENDAR\n")
    name = BusinessCalendar.objects.get(is_default=True).name
    out = StringIO()
    call_command("import_holidays", str(ics), calendar=name, stdout=out)
    call_command("import_holidays", str(ics), calendar=name, stdout=out)
    assert "1 holiday(s) added" in out.getvalue() and "1 already present" in out.getvalue()
    assert Holiday.objects.filter(date=date(2026, 12, 25)).count() == 1
    with pytest.raises(CommandError, match="No calendar"):
        call_command("import_holidays", str(ics), calendar="Mars")
