"""Read queries for tickets, with visibility by role done once here."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from tickets.models import Ticket


def visible_tickets(*, user: Any) -> QuerySet[Ticket]:
    """Tickets this user may see: everything with ``view_all_tickets``, else their teams' and their own."""
    base = Ticket.objects.select_related("customer", "category", "team", "assignee__user")
    if not user.is_authenticated or not user.has_perm("tickets.view_ticket"):
        return base.none()
    if user.has_perm("tickets.view_all_tickets"):
        return base
    agent = getattr(user, "agent", None)
    if agent is None:
        return base.none()
    return base.filter(Q(team__in=agent.teams.all()) | Q(assignee=agent))
