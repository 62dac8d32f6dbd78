"""Macros: who may use which, their placeholders' values, the workspace's suggestion, and applying one.

A macro's body is rendered by ``foundation.placeholders`` (an allow-list, never Django's
template engine). Applying a macro posts its reply through ``tickets.services.add_agent_reply``
(the outbox sends it) and each action through the service a person's manual change uses, so
SLA re-targeting, audit, training labels and events follow; all of it is one transaction.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import F, Q, QuerySet

from agents.services import change_team
from foundation import placeholders
from helpcenter.models import KnowledgeArticle, Macro
from tickets import services as ticket_services
from tickets.models import Interaction, Ticket, TicketEvent

SUPERVISOR_PERMISSION = "tickets.assign_ticket"


def is_macro_supervisor(user: Any) -> bool:
    """Supervisors use every macro and edit them in the console."""
    return bool(user.is_authenticated and user.has_perm(SUPERVISOR_PERMISSION))


def usable_macros(*, user: Any) -> QuerySet[Macro]:
    """Active macros ``user`` may apply: global ones, their own, their teams'; every one for a supervisor."""
    base = Macro.objects.filter(is_active=True).select_related("owner__user", "team", "set_category", "set_team")
    if not user.is_authenticated or not user.has_perm("tickets.view_ticket"):
        return base.none()
    if is_macro_supervisor(user):
        return base
    agent = getattr(user, "agent", None)  # no agent profile: RelatedObjectDoesNotExist, an AttributeError
    if agent is None:
        return base.filter(owner__isnull=True, team__isnull=True)
    return base.filter(Q(owner__isnull=True, team__isnull=True) | Q(owner=agent) | Q(team__in=agent.teams.all()))


def usable_macro(*, user: Any, macro_id: int | None) -> Macro | None:
    """The macro with this id if ``user`` may use it."""
    return usable_macros(user=user).filter(pk=macro_id).first() if macro_id else None


def _one_line(value: str) -> str:
    """A placeholder's value in a plain-text reply: one line of printable text.

    The reply is stored and mailed as plain text and HTML-escaped wherever it is shown, so
    HTML entities here would reach the customer literally; what a value must not do is add
    lines (a customer named "Ann\\n\\nPS: ...") or invisible control characters.
    """
    kept = "".join(ch if unicodedata.category(ch)[0] != "C" else " " for ch in value)
    return " ".join(kept.split())


def top_article(ticket: Ticket) -> KnowledgeArticle | None:
    """The ticket's best suggested article that is still published."""
    for suggestion in ticket.suggested_articles or []:
        article_id = suggestion.get("id") if isinstance(suggestion, dict) else None
        if isinstance(article_id, int):
            return KnowledgeArticle.objects.filter(pk=article_id, is_published=True).first()
    return None


def placeholder_values(*, ticket: Ticket, user: Any) -> dict[str, str]:
    """The allowed placeholders' values for this ticket and the agent answering it."""
    customer = ticket.customer
    article = top_article(ticket)
    name = customer.name.strip()
    return {
        "customer.first_name": name.split()[0] if name else "there",
        "customer.name": name or customer.email,
        "ticket.reference": ticket.reference,
        "ticket.subject": ticket.subject,
        "agent.name": user.get_full_name() or user.get_username(),
        "article.title": article.title if article else "",
        "article.url": f"{settings.PUBLIC_BASE_URL}{article.get_absolute_url()}" if article else "",
    }


def render_macro(*, macro: Macro, ticket: Ticket, user: Any) -> str:
    """The macro's reply for this ticket, placeholders filled (``ValidationError`` on ``body`` if it no longer validates)."""
    try:
        return placeholders.render(macro.body, values=placeholder_values(ticket=ticket, user=user), escape=_one_line)
    except placeholders.PlaceholderError as exc:
        raise ValidationError({"body": exc.problems}) from exc


def rendered_macros(*, ticket: Ticket, user: Any, limit: int = 200) -> list[tuple[Macro, str]]:
    """Each macro ``user`` may use with its reply for ``ticket`` (the picker): placeholder values read once."""
    values = placeholder_values(ticket=ticket, user=user)
    found = []
    for macro in usable_macros(user=user)[:limit]:
        try:
            found.append((macro, placeholders.render(macro.body, values=values, escape=_one_line)))
        except placeholders.PlaceholderError:
            continue  # saved before a placeholder was retired: not offered until a supervisor fixes it
    return found


def suggest_macro(*, ticket: Ticket, macros: list[Macro]) -> Macro | None:
    """The likely macro for this ticket: its top article and its triage category matched, most used first."""
    article_id = next((s.get("id") for s in ticket.suggested_articles or [] if isinstance(s, dict) and isinstance(s.get("id"), int)), None)

    def score(macro: Macro) -> int:
        article = 2 if article_id is not None and macro.for_article_id == article_id else 0
        category = 1 if ticket.category_id is not None and macro.for_category_id == ticket.category_id else 0
        return article + category

    scored = [(score(m), m.usage_count, m) for m in macros]
    scored = [entry for entry in scored if entry[0] > 0]
    if not scored:
        return None
    return max(scored, key=lambda entry: (entry[0], entry[1], -entry[2].pk))[2]


@dataclass
class Applied:
    ticket: Ticket
    reply: Interaction | None
    actions: list[str]


def apply_macro(*, macro: Macro, ticket: Ticket, by: Any, body: str | None = None) -> Applied:
    """Apply ``macro`` to ``ticket`` as ``by``: its reply (or ``body``, the agent's edit of it), then its actions.

    The reply goes through the console's reply service (outbox), then category, priority
    (SLA re-targeted via ``priority_changed``), tags, team and status, each through its
    service, audited as ``by``'s change; one ``macro_applied`` event lists them. All or
    nothing: a refused action (say, a status the ticket cannot move to) undoes the reply too.
    Raises ``PermissionDenied`` when ``by`` may not use the macro.
    """
    if not usable_macros(user=by).filter(pk=macro.pk).exists():
        raise PermissionDenied("You may not use this macro.")
    rendered = render_macro(macro=macro, ticket=ticket, user=by)
    text = rendered if body is None else body
    actions: list[str] = []
    with transaction.atomic():
        reply = None
        if text.strip():
            reply = ticket_services.add_agent_reply(ticket=ticket, body=text, by=by)
            actions.append("reply")
        if macro.set_category is not None:
            ticket_services.recategorize_ticket(ticket=ticket, category=macro.set_category, by=by)
            actions.append(f"category={macro.set_category.slug}")
        if macro.set_priority is not None:
            ticket_services.reprioritize_ticket(ticket=ticket, priority=macro.set_priority, by=by)
            actions.append(f"priority=P{macro.set_priority}")
        if macro.add_tags:
            ticket_services.add_tags(ticket=ticket, tags=macro.add_tags, by=by)
            actions.append("tags+=" + ",".join(macro.add_tags))
        if macro.set_team is not None:
            change_team(ticket=ticket, team=macro.set_team, by=by)
            actions.append(f"team={macro.set_team.slug}")
        if macro.set_status:
            ticket_services.change_status(ticket=ticket, status=macro.set_status, by=by)
            actions.append(f"status={macro.set_status}")
        Macro.objects.filter(pk=macro.pk).update(usage_count=F("usage_count") + 1)
        TicketEvent.objects.create(
            ticket_id=ticket.pk,
            actor=by,
            kind="macro_applied",
            detail={
                "macro_id": macro.pk,
                "macro": macro.name,
                "actions": actions,
                "edited": text != rendered,
                **({"interaction_id": reply.pk} if reply else {}),
            },
        )
    changed = Ticket.objects.select_related("customer", "category", "team", "assignee__user").get(pk=ticket.pk)
    return Applied(ticket=changed, reply=reply, actions=actions)
