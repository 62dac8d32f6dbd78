"""Reading an agent's notifications: the bell (count and latest), the list, mention candidates."""

from __future__ import annotations

from django.db.models import Q, QuerySet

from agents.models import Agent
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


def mention_candidates(*, query: str, limit: int = 8) -> QuerySet[Agent]:
    """Active agents whose username or name starts with ``query`` (the note box's @-autocomplete)."""
    query = query.strip().lstrip("@")[:50]
    if not query:
        return Agent.objects.none()
    words = Q(user__username__istartswith=query) | Q(user__first_name__istartswith=query) | Q(user__last_name__istartswith=query)
    return Agent.objects.select_related("user").filter(words, user__is_active=True).order_by("user__username")[:limit]
