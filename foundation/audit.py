"""The audit trail: configuration changes (admin ``LogEntry``); ticket changes are ``tickets.selectors.ticket_changes``.

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

__all__ = ["ADDITION", "CHANGE", "DELETION", "AuditPage", "config_changes", "keyset_page", "log_change"]


def log_change(user: Any, obj: Model, *, action: int, message: str) -> None:
    """Record a configuration change made outside Django admin (e.g. through the API)."""
    LogEntry.objects.log_actions(user_id=user.pk, queryset=[obj], action_flag=action, change_message=message, single_object=True)


@dataclass
class AuditPage:
    rows: list[Any]
    next_before: int | None


def keyset_page(queryset: QuerySet[Any], *, before: int | None, page_size: int) -> AuditPage:
    if before is not None:
        queryset = queryset.filter(pk__lt=before)
    rows = list(queryset.order_by("-pk")[: page_size + 1])
    more = len(rows) > page_size
    rows = rows[:page_size]
    return AuditPage(rows=rows, next_before=rows[-1].pk if more and rows else None)


def config_changes(*, before: int | None = None, actor: str = "", page_size: int = 50) -> AuditPage:
    entries = LogEntry.objects.select_related("user", "content_type")
    if actor:
        entries = entries.filter(user__username=actor)
    return keyset_page(entries, before=before, page_size=page_size)
