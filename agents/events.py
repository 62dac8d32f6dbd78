"""What routing does to tickets, announced for the layers above (listeners: ``pipeline/listeners.py``)."""

from __future__ import annotations

from foundation.events import declare

team_changed = declare(
    "team_changed",
    "Routing moved the ticket to another team (not yet saved); a team may have an SLA policy of its own. The caller saves SLA_FIELDS.",
    args=("ticket", "at"),
)
ticket_reassigned = declare(
    "ticket_reassigned",
    "A person moved an assigned ticket to another agent (the routing accuracy of the day it arrived changes).",
    args=("ticket",),
)
ticket_assigned = declare(
    "ticket_assigned",
    "Routing, a supervisor or a claim gave the ticket to ``agent`` (saved, in the assigning transaction; ``by`` is None for routing).",
    args=("ticket", "agent", "by", "at"),
)
availability_changed = declare(
    "availability_changed",
    "An agent went online, away or offline (saved, in the changing transaction); ``team_ids``: the agent's teams.",
    args=("agent", "old", "new", "team_ids", "at"),
)
