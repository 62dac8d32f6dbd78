"""Auto-close on a controlled clock: one reminder after N business days pending, then resolved with a note; closed after M days."""

from datetime import UTC, datetime, time
from typing import Any

import pytest
from django.conf import settings
from django.core import mail

from escalation.celery import app as celery_app
from escalation_engine import auto_close
from escalation_engine import tasks as engine_tasks
from escalation_engine.models import Escalation
from foundation.models import BusinessCalendar, BusinessHours, OutboxMessage
from tests.factories import CustomerFactory, TeamFactory, TicketFactory
from tickets.models import Interaction, Ticket, TicketEvent
from tickets.services import change_status, receive_contact

pytestmark = pytest.mark.django_db

MONDAY = datetime(2026, 11, 30, 10, 0, tzinfo=UTC)  # a Monday; the calendar is open Monday to Friday


def at(day: int, hour: int = 10, minute: int = 0) -> datetime:
    """A time in December 2026 (the 2nd is the Wednesday after MONDAY)."""
    return datetime(2026, 12, day, hour, minute, tzinfo=UTC)


@pytest.fixture
def desk(clock: Any) -> dict[str, Any]:
    clock.set(MONDAY)
    BusinessCalendar.objects.filter(is_default=True).update(is_default=False)
    calendar = BusinessCalendar.objects.create(name="Office", time_zone="UTC", is_default=True)
    for weekday in range(5):
        BusinessHours.objects.create(calendar=calendar, weekday=weekday, opens_at=time(8), closes_at=time(18))
    team = TeamFactory.create(remind_pending_after_business_days=2, resolve_pending_after_business_days=3, close_resolved_after_days=7)
    return {"team": team, "other": TeamFactory.create()}


def pending_ticket(team: Any, **fields: Any) -> Ticket:
    ticket = TicketFactory.create(team=team, status="triaged", **fields)
    return change_status(ticket=ticket, status="pending_customer", by=None)


def run(clock: Any, when: datetime, capture: Any) -> auto_close.Result:
    clock.set(when)
    with capture(execute=True):
        return auto_close.run()


def test_pending_ticket_is_reminded_once_then_resolved_with_a_note_then_closed(
    desk: dict[str, Any], clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    customer = CustomerFactory.create(name="Jonas Becker", email="jonas@example.de")
    ticket = pending_ticket(desk["team"], customer=customer, language="de", subject="Rechnung fehlt")
    untouched = pending_ticket(desk["other"])  # its team did not opt in
    capture = django_capture_on_commit_callbacks

    assert run(clock, at(2, 9, 59), capture).reminded == 0  # Wednesday 09:59: two business days not over yet
    assert run(clock, at(2, 10, 1), capture).reminded == 1
    assert run(clock, at(2, 10, 30), capture).reminded == 0  # once
    reminder = OutboxMessage.objects.get(kind="reminder")
    assert reminder.recipient == "jonas@example.de" and reminder.status == "sent" and len(mail.outbox) == 1
    assert reminder.subject.startswith(f"Re: [#{ticket.pk}] Wir warten auf Ihre Antwort")
    assert "innerhalb von 3 Werktagen" in reminder.body and reminder.headers["Content-Language"] == "de"
    assert reminder.headers["Auto-Submitted"] == "auto-replied" and reminder.headers["Reply-To"]
    event = TicketEvent.objects.get(ticket=ticket, kind="pending_reminder_sent")
    assert event.actor is None and event.detail["business_days"] == 2

    # Three business days after Wednesday's reminder is Monday: the weekend does not count.
    assert run(clock, at(5, 12), capture).resolved == 0  # Saturday
    assert run(clock, at(7, 10, 0), capture).resolved == 0  # Monday, a minute before
    assert run(clock, at(7, 10, 2), capture).resolved == 1
    ticket.refresh_from_db()
    assert ticket.status == "resolved" and ticket.resolved_at == at(7, 10, 2)
    assert ticket.resolution_seconds is not None  # the SLA clock followed the status change (its listener)
    note = Interaction.objects.get(ticket=ticket, author_kind="system")
    assert note.is_internal and "did not answer within 3 business day(s)" in note.body
    kinds = list(TicketEvent.objects.filter(ticket=ticket).values_list("kind", flat=True))
    assert kinds.index("auto_resolved_pending") < len(kinds) - 1 - kinds[::-1].index("status_changed")  # noted, then resolved
    assert TicketEvent.objects.get(ticket=ticket, kind="status_changed", detail__to="resolved").actor is None
    assert OutboxMessage.objects.filter(kind="survey").count() == 1  # resolved like any ticket: the survey follows

    assert run(clock, at(14, 10, 1), capture).closed == 0  # seven days less a minute
    assert run(clock, at(14, 10, 3), capture).closed == 1
    ticket.refresh_from_db()
    assert ticket.status == "closed" and TicketEvent.objects.filter(ticket=ticket, kind="auto_closed").count() == 1
    untouched.refresh_from_db()
    assert untouched.status == "pending_customer" and not TicketEvent.objects.filter(ticket=untouched, kind__startswith="auto").exists()


def test_an_answer_ends_the_wait_and_a_new_wait_gets_a_new_reminder(
    desk: dict[str, Any], clock: Any, django_capture_on_commit_callbacks: Any
) -> None:
    capture = django_capture_on_commit_callbacks
    ticket = pending_ticket(desk["team"], customer=CustomerFactory.create(email="ana@example.com"))
    assert run(clock, at(2, 11), capture).reminded == 1
    clock.set(at(3, 9))
    receive_contact(channel="email", customer_email="ana@example.com", subject=f"Re: [#{ticket.pk}] x", body="Here is the log.",
                    reply_address_tickets=[ticket.pk], sender_verified=True)  # fmt: skip
    ticket.refresh_from_db()
    assert ticket.status != "pending_customer"
    assert run(clock, at(10, 11), capture).resolved == 0  # answered: nothing to resolve
    clock.set(at(10, 12))
    change_status(ticket=ticket, status="pending_customer", by=None)  # the agent asks again
    assert run(clock, at(11, 12), capture).reminded == 0
    assert run(clock, at(14, 12, 1), capture).reminded == 1  # two business days later (Monday): a second reminder, for the second wait
    assert OutboxMessage.objects.filter(kind="reminder", ref_id=ticket.pk).count() == 2


def test_tickets_with_an_open_escalation_are_left_alone(desk: dict[str, Any], clock: Any, django_capture_on_commit_callbacks: Any) -> None:
    capture = django_capture_on_commit_callbacks
    escalated = pending_ticket(desk["team"])
    Escalation.objects.create(ticket=escalated, tier="senior_support", score=0.9, recommendation="immediate")
    resolved = TicketFactory.create(team=desk["team"], status="triaged")
    change_status(ticket=resolved, status="resolved", by=None)
    Escalation.objects.create(ticket=resolved, tier="senior_support", score=0.9, recommendation="immediate")
    for day in (2, 7, 14, 21):
        result = run(clock, at(day, 12), capture)
        assert (result.reminded, result.resolved, result.closed) == (0, 0, 0)
    assert Ticket.objects.get(pk=escalated.pk).status == "pending_customer" and Ticket.objects.get(pk=resolved.pk).status == "resolved"
    Escalation.objects.filter(ticket=resolved).update(status="dismissed")
    assert run(clock, at(21, 13), capture).closed == 1  # decided: the ticket closes


def test_the_beat_schedule_runs_auto_close() -> None:
    entry: dict[str, Any] = settings.CELERY_BEAT_SCHEDULE["auto-close"]
    assert entry["task"] == engine_tasks.auto_close.name == "escalation.auto_close" and entry["task"] in celery_app.tasks
    assert entry["schedule"].total_seconds() <= 15 * 60
