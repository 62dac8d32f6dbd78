"""Auto-close: a ticket pending the customer gets one reminder, then is resolved; a resolved ticket is closed later.

Each team opts in (*Admin → Teams → Auto-close*); business days are counted in the default
business calendar (every day without one). The beat task ``escalation.auto_close`` runs
``run()`` every 15 minutes:

1. **Remind**: a team's tickets pending the customer for ``remind_pending_after_business_days``
   (counted from the latest change to pending, read from the audit trail) get one reminder
   mail in the customer's language (outbox, dedupe key ``reminder:<ticket>:<that change>``:
   once per wait) and the audit event ``pending_reminder_sent``.
2. **Resolve**: ``resolve_pending_after_business_days`` after the reminder, still pending, the
   ticket gets an internal note and is resolved through ``tickets.services.change_status``
   (the SLA clock, rollups and the survey follow the ``status_changed`` / ``ticket_resolved``
   events), audited as ``auto_resolved_pending``.
3. **Close**: resolved tickets ``close_resolved_after_days`` after their resolution are closed
   the same way, audited as ``auto_closed``.

Tickets with an open escalation are left alone: a supervisor is deciding. Each ticket is
handled in its own transaction under its row lock (``SKIP LOCKED``), with its state read again
there, so overlapping runs never act twice and one bad ticket cannot stop the rest. A customer
answer moves a pending ticket back to work, so the wait ends by itself.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef, QuerySet, Subquery
from django.utils import timezone

from agents.models import Team
from escalation_engine.models import Escalation
from foundation import outbox
from foundation.business_time import Calendar
from foundation.calendars import default_calendar
from foundation.customer_mail import render_mail
from tickets import links
from tickets.models import Ticket, TicketEvent, TicketStatus
from tickets.reply_address import reply_address
from tickets.services import add_system_note, change_status, clean_header_text

logger = logging.getLogger(__name__)

REMINDED = "pending_reminder_sent"
RESOLVED = "auto_resolved_pending"
CLOSED = "auto_closed"
REMINDER_REF = "tickets.ticket"  # the outbox's pointer: the ticket the reminder is about
BATCH = 500


@dataclass
class Result:
    reminded: int = 0
    resolved: int = 0
    closed: int = 0


def _calendar() -> Calendar:
    return default_calendar() or Calendar(always_open=True)


def _without_open_escalation(tickets: QuerySet[Ticket]) -> QuerySet[Ticket]:
    return tickets.exclude(Exists(Escalation.objects.filter(ticket=OuterRef("pk"), status=Escalation.Status.OPEN)))


def _latest_pending_change() -> QuerySet[TicketEvent]:
    return TicketEvent.objects.filter(ticket=OuterRef("pk"), kind="status_changed", detail__to=TicketStatus.PENDING_CUSTOMER).order_by(
        "-created_at", "-id"
    )


def pending_tickets(teams: list[Team]) -> QuerySet[Ticket]:
    """The teams' tickets pending the customer, without an open escalation, with the id and time of the change to pending."""
    latest = _latest_pending_change()
    return (
        _without_open_escalation(Ticket.objects.filter(team__in=teams, status=TicketStatus.PENDING_CUSTOMER))
        .annotate(pending_event_id=Subquery(latest.values("pk")[:1]), pending_since=Subquery(latest.values("created_at")[:1]))
        .order_by("pk")
    )


def _reminders(ticket_ids: list[int]) -> dict[int, tuple[int, datetime]]:
    """Each ticket's latest reminder: (the change to pending it was for, when it was sent)."""
    found: dict[int, tuple[int, datetime]] = {}
    rows = TicketEvent.objects.filter(ticket_id__in=ticket_ids, kind=REMINDED).order_by("created_at", "id")
    for ticket_id, detail, created_at in rows.values_list("ticket_id", "detail", "created_at"):
        found[ticket_id] = (int(detail.get("pending_event") or 0), created_at)
    return found


def reminder_message(*, ticket: Ticket, pending_event_id: int, resolve_after_days: int) -> dict[str, Any]:
    """The reminder e-mail as ``outbox.queue`` arguments, in the ticket's language; a reply threads back."""
    customer = ticket.customer
    mail = render_mail(
        "pending_reminder",
        language=ticket.language,
        context={
            "ticket_id": ticket.pk,
            "subject": ticket.subject,
            "name": customer.name or customer.email,
            "resolve_after_days": resolve_after_days,
            "status_url": links.status_url(ticket),
        },
    )
    message_id = make_msgid(idstring=f"ticket{ticket.pk}", domain=settings.DEFAULT_FROM_EMAIL.split("@")[-1])
    return {
        "kind": outbox.Kind.REMINDER,
        "dedupe_key": f"reminder:{ticket.pk}:{pending_event_id}",
        "recipient": customer.email,
        "subject": clean_header_text(mail.subject, limit=998),
        "body": mail.body,
        "headers": {"Message-ID": message_id, "Reply-To": reply_address(ticket.pk), **mail.headers},
        "ref_kind": REMINDER_REF,
        "ref_id": ticket.pk,
    }


def _remind(ticket_id: int, *, team: Team, pending_event_id: int, now: datetime) -> bool:
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(skip_locked=True).select_related("customer").filter(pk=ticket_id).first()
        if ticket is None or ticket.status != TicketStatus.PENDING_CUSTOMER:
            return False
        if TicketEvent.objects.filter(ticket=ticket, kind=REMINDED, detail__pending_event=pending_event_id).exists():
            return False  # a parallel run reminded it first
        outbox.queue(
            **reminder_message(
                ticket=ticket, pending_event_id=pending_event_id, resolve_after_days=team.resolve_pending_after_business_days
            )
        )
        TicketEvent.objects.create(
            ticket=ticket,
            kind=REMINDED,
            created_at=now,
            detail={"pending_event": pending_event_id, "business_days": team.remind_pending_after_business_days},
        )
    return True


def _resolve(ticket_id: int, *, team: Team, pending_event_id: int) -> bool:
    days = team.resolve_pending_after_business_days
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(skip_locked=True).filter(pk=ticket_id).first()
        if ticket is None or ticket.status != TicketStatus.PENDING_CUSTOMER:
            return False
        if Escalation.objects.filter(ticket=ticket, status=Escalation.Status.OPEN).exists():
            return False
        add_system_note(
            ticket=ticket,
            body=f"Resolved automatically: the customer did not answer within {days} business day(s) of the reminder.",
            kind=RESOLVED,
            detail={"pending_event": pending_event_id, "business_days": days},
        )
        change_status(ticket=ticket, status=TicketStatus.RESOLVED, by=None)
    return True


def _close(ticket_id: int, *, days: int, cutoff: datetime) -> bool:
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update(skip_locked=True).filter(pk=ticket_id).first()
        if ticket is None or ticket.status != TicketStatus.RESOLVED or ticket.resolved_at is None or ticket.resolved_at > cutoff:
            return False
        if Escalation.objects.filter(ticket=ticket, status=Escalation.Status.OPEN).exists():
            return False
        change_status(ticket=ticket, status=TicketStatus.CLOSED, by=None)
        TicketEvent.objects.create(ticket=ticket, kind=CLOSED, detail={"days_after_resolution": days})
    return True


def _safely(action: Any, ticket_id: int, **kwargs: Any) -> bool:
    try:
        return bool(action(ticket_id, **kwargs))
    except Exception:  # one bad ticket must not stop the sweep; the next run tries again
        logger.exception("auto-close: %s failed for ticket %s", action.__name__, ticket_id)
        return False


def run(*, now: datetime | None = None) -> Result:
    """One pass of auto-close over every team that opted in (see the module docstring); returns what it did."""
    now = now or timezone.now()
    calendar = _calendar()
    result = Result()
    reminding = list(Team.objects.filter(remind_pending_after_business_days__isnull=False))
    for team in reminding:
        pending: Any = pending_tickets([team])  # annotated: the plugin does not see pending_event_id / pending_since
        rows = list(pending.values_list("pk", "pending_event_id", "pending_since", "sla_paused_at", "updated_at")[:BATCH])
        reminders = _reminders([row[0] for row in rows])
        for ticket_id, pending_event_id, pending_since, paused_at, updated_at in rows:
            since = pending_since or paused_at or updated_at
            event_id = pending_event_id or 0
            reminded = reminders.get(ticket_id)
            if reminded is None or reminded[0] != event_id:
                assert team.remind_pending_after_business_days is not None
                if now >= calendar.add_business_days(since, team.remind_pending_after_business_days):
                    result.reminded += _safely(_remind, ticket_id, team=team, pending_event_id=event_id, now=now)
            elif now >= calendar.add_business_days(reminded[1], team.resolve_pending_after_business_days):
                result.resolved += _safely(_resolve, ticket_id, team=team, pending_event_id=event_id)
    for team in Team.objects.filter(close_resolved_after_days__isnull=False):
        assert team.close_resolved_after_days is not None
        cutoff = now - timedelta(days=team.close_resolved_after_days)
        due = _without_open_escalation(Ticket.objects.filter(team=team, status=TicketStatus.RESOLVED, resolved_at__lte=cutoff))
        for ticket_id in due.order_by("resolved_at").values_list("pk", flat=True)[:BATCH]:
            result.closed += _safely(_close, ticket_id, days=team.close_resolved_after_days, cutoff=cutoff)
    if result.reminded or result.resolved or result.closed:
        logger.info("auto-close: %s reminded, %s resolved, %s closed", result.reminded, result.resolved, result.closed)
    return result
