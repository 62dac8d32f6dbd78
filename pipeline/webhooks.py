"""Outgoing webhooks: what the lower layers announce becomes one outbox row per subscribed URL.

Each listener runs inside the announcing transaction (connected in ``pipeline/listeners.py``),
so a delivery exists exactly when the change committed. An occurrence has a stable id
(``ticket.created:<ticket id>``, ``escalation.decided:<escalation id>``, ...), so announcing it
twice queues nothing new (dedupe key ``webhook:<subscription id>:<event id>``). The payload
carries ids and the fields that changed, read from the rows in hand (no extra queries); the
REST API has the rest.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any

from foundation import outbox


def _send(event: str, event_id: str, build: Callable[[], dict[str, Any]], at: datetime | None = None) -> None:
    if outbox.subscribers(event):  # cached per process: nothing to build when nobody listens
        outbox.publish(event=event, event_id=event_id, data=build(), at=at)


def _stamp(at: datetime) -> str:
    return f"{at.timestamp():.6f}"


def ticket_data(ticket: Any) -> dict[str, Any]:
    return {
        "id": ticket.pk,
        "reference": ticket.reference,
        "subject": ticket.subject,
        "status": ticket.status,
        "priority": f"P{ticket.priority}",
        "channel": ticket.channel,
        "customer_id": ticket.customer_id,
        "category_id": ticket.category_id,
        "team_id": ticket.team_id,
        "assignee_id": ticket.assignee_id,
        "sla_status": ticket.sla_status,
        "created_at": ticket.created_at.isoformat() if ticket.created_at else None,
    }


def _user(by: Any) -> str | None:
    return by.get_username() if by is not None and getattr(by, "is_authenticated", False) else None


def on_ticket_created(*, ticket: Any) -> None:
    _send("ticket.created", f"ticket.created:{ticket.pk}", lambda: {"ticket": ticket_data(ticket)}, ticket.created_at)


def on_status_changed(*, ticket: Any, old: str, at: datetime, resolved: bool, reopened_after: datetime | None) -> None:
    if resolved:
        return  # ticket.resolved, from ticket_resolved once it is saved
    event = "ticket.reopened" if reopened_after is not None else "ticket.updated"
    _send(
        event,
        f"{event}:{ticket.pk}:status:{_stamp(at)}",
        lambda: {"ticket": ticket_data(ticket), "changes": {"status": [old, ticket.status]}},
        at,
    )


def on_priority_changed(*, ticket: Any, old: int, at: datetime, by: Any, source: str) -> None:
    _send(
        "ticket.updated",
        f"ticket.updated:{ticket.pk}:priority:{_stamp(at)}",
        lambda: {"ticket": ticket_data(ticket), "changes": {"priority": [f"P{old}", f"P{ticket.priority}"]}, "source": source},
        at,
    )


def on_ticket_changed(*, ticket: Any, changes: dict[str, list[Any]], at: datetime) -> None:
    fields = "+".join(sorted(changes))
    _send(
        "ticket.updated",
        f"ticket.updated:{ticket.pk}:{fields}:{_stamp(at)}",
        lambda: {"ticket": ticket_data(ticket), "changes": changes},
        at,
    )


def on_ticket_resolved(*, ticket: Any, by: Any) -> None:
    _send("ticket.resolved", f"ticket.resolved:{ticket.pk}", lambda: {"ticket": ticket_data(ticket), "by": _user(by)}, ticket.resolved_at)


def on_customer_wrote(*, ticket: Any, at: datetime) -> None:
    _send("customer.replied", f"customer.replied:{ticket.pk}:{_stamp(at)}", lambda: {"ticket": ticket_data(ticket)}, at)


def on_ticket_assigned(*, ticket: Any, agent: Any, by: Any, at: datetime) -> None:
    _send(
        "ticket.assigned",
        f"ticket.assigned:{ticket.pk}:{agent.pk}:{_stamp(at)}",
        lambda: {"ticket": ticket_data(ticket), "agent_id": agent.pk, "by": _user(by)},
        at,
    )


def escalation_data(escalation: Any) -> dict[str, Any]:
    return {
        "id": escalation.pk,
        "ticket_id": escalation.ticket_id,
        "tier": escalation.tier,
        "score": escalation.score,
        "recommendation": escalation.recommendation,
        "status": escalation.status,
    }


def on_escalation_opened(*, escalation: Any) -> None:
    _send(
        "escalation.opened",
        f"escalation.opened:{escalation.pk}",
        lambda: {"escalation": escalation_data(escalation)},
        escalation.created_at,
    )


def on_escalation_decided(*, escalation: Any) -> None:
    _send(
        "escalation.decided",
        f"escalation.decided:{escalation.pk}",
        lambda: {"escalation": escalation_data(escalation), "by": _user(escalation.decided_by), "reason": escalation.decision_reason},
        escalation.decided_at,
    )


def on_sla_status_changed(*, ticket: Any, old: str, at: datetime) -> None:
    if ticket.sla_status not in ("at_risk", "breached") or ticket.pk is None:
        return
    event = f"sla.{ticket.sla_status}"
    _send(event, f"{event}:{ticket.pk}:{_stamp(at)}", lambda: {"ticket": ticket_data(ticket), "previous": old}, at)
