"""Read queries for tickets, with visibility by role done once here."""

from __future__ import annotations

from typing import Any

from django.db.models import Q, QuerySet

from foundation import presence
from foundation.audit import AuditPage, keyset_page
from tickets.models import AuthorKind, Interaction, Ticket, TicketEvent


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


def customer_history(*, customer: Any, user: Any, exclude_id: int, limit: int = 6) -> tuple[list[Ticket], int]:
    """The customer's other tickets this user may open (newest first), and how many more exist that they may not.

    Subjects of tickets in other teams are not shown: only their number, so the agent knows
    the customer has been in touch elsewhere.
    """
    visible = visible_tickets(user=user).select_related(None).filter(customer=customer).exclude(pk=exclude_id)
    mine = list(visible.only("id", "subject", "status", "created_at").order_by("-created_at")[:limit])
    hidden = Ticket.objects.filter(customer=customer).exclude(pk=exclude_id).count() - visible.count()
    return mine, hidden


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
    return keyset_page(events, before=before, page_size=page_size)


def customer_language(customer_id: int) -> str:
    """The language of a customer's latest ticket with a detected one ("" when none): mail about the customer,
    not one ticket (a portal sign-in link), is written in it (``foundation.customer_mail.render_mail``)."""
    return (
        Ticket.objects.filter(customer_id=customer_id)
        .exclude(language="")
        .order_by("-created_at")
        .values_list("language", flat=True)
        .first()
        or ""
    )


def reply_collision(*, ticket: Ticket, user: Any, seen_id: int | None) -> dict[str, Any] | None:
    """What should hold a public reply once: another agent's public reply newer than message ``seen_id``
    (the last one the sender was shown; None: not checked), or another agent replying right now (presence).

    ``{"name", "sent", "preview", "at"}``, or None when the way is clear. The console's reply form and the
    API's reply endpoint both ask this, so both warn the same way.
    """
    if seen_id is not None:
        newer = (
            Interaction.objects.filter(ticket=ticket, pk__gt=seen_id, is_internal=False, author_kind=AuthorKind.AGENT)
            .exclude(author_id=user.pk)
            .select_related("author")
            .order_by("-pk")
            .first()
        )
        if newer is not None:
            author = presence.display_name(newer.author) if newer.author else "Another agent"
            return {"name": author, "sent": True, "preview": newer.body[: presence.DRAFT_PREVIEW_CHARS], "at": newer.created_at}
    replying = [p for p in presence.others_on(ticket_id=ticket.pk, user=user) if p.state == presence.REPLYING]
    if replying:
        other = replying[0]
        return {"name": other.name, "sent": False, "preview": other.draft, "at": other.at}
    return None
