"""Reading an agent's notifications: the bell (count and latest), the list, mention candidates."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from agents.models import Agent, Team
from notifications.models import AgentNotification, EmailPreference


def unread_count(*, agent: Agent) -> int:
    return AgentNotification.objects.filter(recipient=agent, read_at__isnull=True).count()


def latest(*, agent: Agent, limit: int = 8, unread_only: bool = False) -> list[AgentNotification]:
    """The agent's newest notifications with their ticket, one query."""
    rows = AgentNotification.objects.filter(recipient=agent).select_related("ticket")
    if unread_only:
        rows = rows.filter(read_at__isnull=True)
    return list(rows.order_by("-created_at", "-pk")[:limit])


def email_kinds(*, agent: Agent) -> set[str]:
    return set(EmailPreference.objects.filter(agent=agent).values_list("kind", flat=True))


def mention_candidates(*, query: str, user: Any, limit: int = 8) -> QuerySet[Agent]:
    """Active agents whose username or name starts with ``query`` (the note box's @-autocomplete).

    Someone who sees every team's tickets may mention anyone; an agent is offered only the
    colleagues of their own teams (whom a note on their tickets can reach).
    """
    query = query.strip().lstrip("@")[:50]
    if not query:
        return Agent.objects.none()
    words = Q(user__username__istartswith=query) | Q(user__first_name__istartswith=query) | Q(user__last_name__istartswith=query)
    agents = Agent.objects.select_related("user").filter(words, user__is_active=True)
    if not user.has_perm("tickets.view_all_tickets"):
        agents = agents.filter(teams__in=Team.objects.filter(agents__user_id=user.pk)).distinct()
    return agents.order_by("user__username")[:limit]
