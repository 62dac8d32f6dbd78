"""What the escalation engine decides, announced for the layers above (listeners: ``pipeline/listeners.py``)."""

from __future__ import annotations

from foundation.events import declare

escalation_decided = declare(
    "escalation_decided",
    "A supervisor accepted, dismissed or de-escalated an escalation (in the deciding transaction).",
    args=("escalation",),
)
escalation_opened = declare(
    "escalation_opened",
    "The sweep or an agent's request opened an escalation (saved), in the escalating transaction.",
    args=("escalation",),
)
sla_status_changed = declare(
    "sla_status_changed",
    "The ticket's ``sla_status`` changed from ``old`` (set, not yet saved: ok, at_risk, breached, paused, met, none).",
    args=("ticket", "old", "at"),
)
