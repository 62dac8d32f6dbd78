"""What happens to tickets, announced for the layers above (listeners: ``pipeline/listeners.py``)."""

from __future__ import annotations

from foundation.events import declare

customer_wrote = declare(
    "customer_wrote",
    "A customer message was added to an open (or just reopened) ticket; the caller saves SLA_FIELDS.",
    args=("ticket", "at"),
)
agent_replied = declare(
    "agent_replied",
    "An agent's public reply was added; the caller saves SLA_FIELDS.",
    args=("ticket", "at"),
)
status_changed = declare(
    "status_changed",
    "The ticket's status, resolved_at and closed_at are set (not yet saved). ``resolved``: it is resolved now for the "
    "first time; ``reopened_after``: it was resolved at that moment and is open again.",
    args=("ticket", "old", "at", "resolved", "reopened_after"),
)
ticket_resolved = declare(
    "ticket_resolved",
    "The ticket was resolved (or closed) for the first time; saved, in the resolving transaction.",
    args=("ticket", "by"),
)
ticket_merged = declare(
    "ticket_merged",
    "``source`` was closed into ``target`` (source's fields set, not yet saved).",
    args=("source", "target", "at"),
)
ticket_split = declare(
    "ticket_split",
    "Messages of ``source`` moved to the new ticket ``target`` (both saved before, not after); ``source_waits`` / "
    "``target_waits``: the latest public message there is the customer's. The caller saves both tickets' SLA_FIELDS.",
    args=("source", "target", "at", "source_waits", "target_waits"),
)
priority_changed = declare(
    "priority_changed",
    "The ticket's priority is set (not yet saved) from ``old``; ``source`` says who decided (agent, triage, rule, "
    "escalation, incident). The caller saves priority and SLA_FIELDS.",
    args=("ticket", "old", "at", "by", "source"),
)
ticket_triaged = declare(
    "ticket_triaged",
    "Triage stored its results (category, priority, signals, suggested articles, a drafted auto-reply).",
    args=("ticket",),
)
note_added = declare(
    "note_added",
    "An agent added an internal note (``interaction``, saved, in the adding transaction; ``by`` is the author).",
    args=("ticket", "interaction", "by"),
)
ticket_created = declare(
    "ticket_created",
    "Intake opened a new ticket (saved, with its first customer message), in the intake transaction.",
    args=("ticket",),
)
ticket_changed = declare(
    "ticket_changed",
    "A person changed the ticket's category or tags (saved); ``changes`` maps each field to ``[old, new]``.",
    args=("ticket", "changes", "at"),
)
