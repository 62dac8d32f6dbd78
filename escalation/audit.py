"""The audit trail: ticket changes (``TicketEvent``) and configuration changes (admin ``LogEntry``).

Every ticket state change writes a ``TicketEvent`` with its actor (None for the system) and
time. Configuration (rules, SLA policies, calendars, settings, users) is changed in Django
admin, which writes a ``LogEntry``; the API that changes configuration writes one too via
``log_change``. Both read newest first, keyset-paginated by id (no OFFSET).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.contrib.admin.models import ADDITION, CHANGE, DELETION, LogEntry
from django.db.models import Model, QuerySet

from tickets.models import TicketEvent

__all__ = ["ADDITION", "CHANGE", "DELETION", "AuditPage", "config_changes", "log_change", "ticket_changes"]


def log_change(user: Any, obj: Model, *, action: int, message: str) -> None:
    """Record a configuration change made outside Django admin (e.g. through the API)."""
    LogEntry.objects.log_actions(user_id=user.pk, queryset=[obj], action_flag=action, change_message=message, single_object=True)


@dataclass
class AuditPage:
    rows: list[Any]
    next_before: int | None


def _page(queryset: QuerySet[Any], *, before: int | None, page_size: int) -> AuditPage:
    if before is not None:
        queryset = queryset.filter(pk__lt=before)
    rows = list(queryset.order_by("-pk")[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    return AuditPage(rows=rows, next_before=rows[-1].pk if more and rows else None)


def ticket_changes(
    *, before: int | None = None, actor: str = "", kind: str = "", ticket_id: int | None = None, page_size: int = 50
) -> AuditPage:
    events = TicketEvent.objects.select_related("actor")
    if actor:
        events = events.filter(actor__username=actor)
    if kind:
        events = events.filter(kind=kind)
    if ticket_id is not None:
        events = events.filter(ticket_id=ticket_id)
    return _page(events, before=before, page_size=page_size)


def config_changes(*, before: int | None = None, actor: str = "", page_size: int = 50) -> AuditPage:
    entries = LogEntry.objects.select_related("user", "content_type")
    if actor:
        entries = entries.filter(user__username=actor)
    return _page(entries, before=before, page_size=page_size)
