"""Agents' notifications: the listeners that create them, reading them, and e-mail preferences.

Nothing that changes a ticket calls this module: each ``on_*`` function listens (inside the
announcing transaction) to an event a lower layer announces (``pipeline/listeners.py``), so
a notification exists exactly when the change committed. Each row is unique per recipient
and dedupe key (the event that caused it), so a repeated announcement notifies nobody twice;
an agent who asked for a kind by e-mail gets one outbox message per notification
(``agent_notification:<id>``).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, Q
from django.db.models.functions import Lower
from django.urls import reverse
from django.utils import timezone

from agents.models import Agent
from escalation_engine import sla
from escalation_engine.models import Escalation
from foundation import outbox
from notifications.models import AgentNotification, EmailPreference, Kind
from tickets.models import OPEN_STATUSES, Interaction, Ticket
from tickets.selectors import visible_tickets

OUTBOX_REF = "notifications.agentnotification"
# ``@ana`` or ``@ana.lopez``; a name is matched as ``@Ana Lopez`` (first and last name), case-insensitive.
_MENTION = re.compile(r"(?<![\w@])@(\w[\w.+-]*)")


def notify(*, agent: Agent, kind: str, ticket: Ticket, text: str, dedupe_key: str, actor: Any = None) -> AgentNotification | None:
    """Create one notification (None if this event already notified this agent) and e-mail it if the agent asked.

    Two queries: whether it exists and whether the agent wants this kind by e-mail (one read),
    then the insert. Every announcing transaction holds the ticket's row lock (or decides the
    escalation by compare-and-set), so two announcements of one event cannot both insert; the
    unique constraint is the backstop.
    """
    dedupe_key = dedupe_key[:200]
    seen, by_email = (
        Agent.objects.filter(pk=agent.pk)
        .annotate(
            seen=Exists(AgentNotification.objects.filter(recipient=agent, dedupe_key=dedupe_key)),
            by_email=Exists(EmailPreference.objects.filter(agent=agent, kind=kind)),
        )
        .values_list("seen", "by_email")
        .get()
    )
    if seen:
        return None
    row = AgentNotification.objects.create(
        recipient=agent, dedupe_key=dedupe_key, kind=kind, ticket=ticket, text=text[:300], actor=actor, created_at=timezone.now()
    )
    email = agent.user.email
    if by_email and email and agent.user.is_active:
        link = settings.PUBLIC_BASE_URL + reverse("console-ticket", args=[ticket.pk])
        outbox.queue(
            kind="notification",  # the outbox's kind for notifications; ref_kind says it is an agent's, not an escalation's
            dedupe_key=f"agent_notification:{row.pk}",
            recipient=email,
            subject=f"[{ticket.reference}] {row.text}"[:200],
            body=f"{row.text}\n\n{ticket.subject}\n{link}\n\nChoose which notifications you get by e-mail in the console.",
            ref_kind=OUTBOX_REF,
            ref_id=row.pk,
        )
    return row


def _actor_is(agent: Agent, by: Any) -> bool:
    return by is not None and getattr(by, "pk", None) == agent.user_id


# --- listeners (connected in pipeline/listeners.py) -------------------------------------------


def on_ticket_assigned(*, ticket: Ticket, agent: Agent, by: Any, at: datetime) -> None:
    """``ticket_assigned``: the new assignee is told, unless they took it themselves."""
    if _actor_is(agent, by):
        return
    who = f" by {by.get_username()}" if by is not None else " by routing"
    notify(
        agent=agent,
        kind=Kind.ASSIGNED,
        ticket=ticket,
        actor=by,
        text=f"{ticket.reference} was assigned to you{who}: {ticket.subject}",
        dedupe_key=f"assigned:{ticket.pk}:{at.isoformat()}",
    )


def on_customer_wrote(*, ticket: Ticket, at: datetime) -> None:
    """``customer_wrote``: the assignee is told the customer answered."""
    if ticket.assignee_id is None:
        return
    agent = Agent.objects.select_related("user").get(pk=ticket.assignee_id)
    notify(
        agent=agent,
        kind=Kind.CUSTOMER_REPLIED,
        ticket=ticket,
        text=f"{ticket.customer.email} replied on {ticket.reference}: {ticket.subject}",
        dedupe_key=f"customer_wrote:{ticket.pk}:{at.isoformat()}",
    )


def mentioned_agents(body: str, *, exclude_user_id: int | None = None) -> list[Agent]:
    """Agents named in ``body`` as ``@username`` or ``@First Last`` (active users; not the author)."""
    tokens = {token.rstrip(".+-").lower() for token in _MENTION.findall(body)}
    tokens.discard("")
    if not tokens:
        return []
    lowered = body.lower()
    candidates = (
        Agent.objects.select_related("user")
        .annotate(username_l=Lower("user__username"), first_l=Lower("user__first_name"))
        .filter(Q(username_l__in=tokens) | Q(first_l__in=tokens), user__is_active=True)
        .order_by("pk")
    )
    found: list[Agent] = []
    for agent in candidates:
        if agent.user_id == exclude_user_id:
            continue
        full = f"@{agent.user.first_name} {agent.user.last_name}".lower()
        by_name = bool(agent.user.last_name) and re.search(re.escape(full) + r"(?!\w)", lowered) is not None
        if agent.user.username.lower() in tokens or by_name:
            found.append(agent)
    return found


def on_note_added(*, ticket: Ticket, interaction: Interaction, by: Any) -> None:
    """``note_added``: every agent mentioned in the note who may open the ticket is told; the author never."""
    author = by.get_username() if by is not None else "someone"
    for agent in mentioned_agents(interaction.body, exclude_user_id=getattr(by, "pk", None)):
        if not visible_tickets(user=agent.user).filter(pk=ticket.pk).exists():
            continue  # a mention cannot open another team's ticket to someone
        notify(
            agent=agent,
            kind=Kind.MENTIONED,
            ticket=ticket,
            actor=by,
            text=f"{author} mentioned you on {ticket.reference}: {interaction.body[:120]}",
            dedupe_key=f"mention:{interaction.pk}",
        )


def on_sla_status_changed(*, ticket: Ticket, old: str, at: datetime) -> None:
    """``sla_status_changed`` to at risk or breached on an open ticket: the assignee is told once per clock and due time."""
    status = ticket.sla_status
    if ticket.assignee_id is None or status not in ("at_risk", "breached") or ticket.status not in OPEN_STATUSES:
        return
    target = sla.pressing_target(ticket, now=at) or "resolution"
    # One per clock's run, stable when a raised priority re-targets its due time: the first response runs
    # once, a next response once per agent reply, the resolution once per (re)opening.
    run = {"first_response": 0, "next_response": ticket.agent_reply_count}.get(target, ticket.reopen_count)
    agent = Agent.objects.select_related("user").get(pk=ticket.assignee_id)
    breached = status == "breached"
    notify(
        agent=agent,
        kind=Kind.SLA_BREACHED if breached else Kind.SLA_AT_RISK,
        ticket=ticket,
        text=f"{ticket.reference}: {target.replace('_', ' ')} SLA {'breached' if breached else 'at risk'}: {ticket.subject}",
        dedupe_key=f"sla_{status}:{ticket.pk}:{target}:{run}",
    )


def on_escalation_decided(*, escalation: Escalation) -> None:
    """``escalation_decided``: the ticket's assignee is told the supervisor's decision (unless they decided it)."""
    ticket = escalation.ticket
    if ticket.assignee_id is None:
        return
    agent = Agent.objects.select_related("user").get(pk=ticket.assignee_id)
    if _actor_is(agent, escalation.decided_by):
        return
    who = escalation.decided_by.get_username() if escalation.decided_by else "a supervisor"
    notify(
        agent=agent,
        kind=Kind.ESCALATION_DECIDED,
        ticket=ticket,
        actor=escalation.decided_by,
        text=f"Escalation on {ticket.reference} {escalation.get_status_display().lower()} by {who}: {ticket.subject}",
        dedupe_key=f"escalation_decided:{escalation.pk}",
    )


# --- reading and preferences (the console) -----------------------------------------------------


def mark_read(*, agent: Agent, notification_id: int) -> int:
    """Mark one of the agent's notifications read; returns how many rows changed (0: not theirs, or already read)."""
    return AgentNotification.objects.filter(recipient=agent, pk=notification_id, read_at__isnull=True).update(read_at=timezone.now())


def mark_all_read(*, agent: Agent) -> int:
    """Mark every unread notification of the agent read; returns how many."""
    return AgentNotification.objects.filter(recipient=agent, read_at__isnull=True).update(read_at=timezone.now())


def set_email_kinds(*, agent: Agent, kinds: Iterable[str]) -> set[str]:
    """Replace the kinds the agent also gets by e-mail; unknown kinds raise ``ValueError`` naming them."""
    wanted = set(kinds)
    unknown = wanted - set(Kind.values)
    if unknown:
        raise ValueError(f"kind: unknown {sorted(unknown)}")
    with transaction.atomic():
        EmailPreference.objects.filter(agent=agent).exclude(kind__in=wanted).delete()
        EmailPreference.objects.bulk_create([EmailPreference(agent=agent, kind=k) for k in sorted(wanted)], ignore_conflicts=True)
    return wanted
