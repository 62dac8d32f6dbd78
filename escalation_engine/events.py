"""What the escalation engine decides, announced for the layers above (listeners: ``pipeline/listeners.py``)."""

from __future__ import annotations

from foundation.events import declare

escalation_decided = declare(
    "escalation_decided",
    "A supervisor accepted, dismissed or de-escalated an escalation (in the deciding transaction).",
    args=("escalation",),
)
sla_turned = declare(
    "sla_turned",
    "A check found the ticket's SLA newly ``at_risk`` or ``breached`` (``old``: the state before); the caller saves it.",
    args=("ticket", "status", "old", "at"),
)
