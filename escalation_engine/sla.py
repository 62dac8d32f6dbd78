"""SLA clocks on tickets, in business time.

Every function here *applies* a change to a ticket instance (the caller holds the row lock
and saves), so a status change and its clock change land in one transaction. Clocks:

* first response — from creation until the first agent reply;
* next response — from each customer message after the first reply until the agent answers;
* resolution — from creation (or reopening) until resolved; it **pauses** while the ticket
  is pending the customer: the business seconds left are stored and the due time is
  recomputed from the moment the customer answers.

``refresh_status`` derives ``sla_status`` (ok / at_risk / breached / paused / met) and
``next_check_at``: the instant the next clock turns at-risk or breaches, so the escalation
sweep reads a ticket exactly when something can have changed.

The rules themselves are in the pure ``clock_core`` (shared with the desk simulation and the
what-if replay): each function here loads the ticket into a ``clock_core.Clocks``, applies the
core's transition, stores the fields back and announces a status change.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from escalation_engine import clock_core, events
from escalation_engine.models import SlaPolicy
from foundation import config_cache
from foundation.business_time import Calendar
from foundation.calendars import build_calendar, cached_calendar, default_calendar
from tickets.models import OPEN_STATUSES, SLA_FIELDS, Ticket, TicketEvent, TicketStatus

__all__ = ["SLA_FIELDS", "build_calendar", "default_calendar"]  # re-exported for the engine's callers


def calendar_for(policy: SlaPolicy) -> Calendar:
    """The policy's calendar (or the default one; always open without any), cached per process."""
    return cached_calendar(policy.calendar_id) or Calendar(always_open=True)


def active_policies() -> list[SlaPolicy]:
    """Every active policy, cached per process until one changes (see ``foundation.config_cache``)."""
    return config_cache.cached("sla", "active_policies", lambda: list(SlaPolicy.objects.filter(is_active=True).order_by("pk")))


def policy_for(ticket: Ticket) -> SlaPolicy | None:
    """The most specific active policy: matching tier and team beat the catch-alls (the oldest wins a tie)."""
    candidates = [
        p
        for p in active_policies()
        if p.priority == ticket.priority
        and p.customer_tier in ("", ticket.customer.tier)
        and (p.team_id is None or p.team_id == ticket.team_id)
    ]
    best = sorted(candidates, key=lambda p: (bool(p.customer_tier) + bool(p.team_id), -p.pk), reverse=True)
    return best[0] if best else None


def core_policy(policy: SlaPolicy | None) -> clock_core.Policy | None:
    """The policy as the pure clock core sees it (targets in seconds, its calendar)."""
    if policy is None:
        return None
    return clock_core.Policy(
        key=policy.pk,
        first_response_seconds=policy.first_response_minutes * 60,
        next_response_seconds=policy.next_response_minutes * 60,
        resolution_seconds=policy.resolution_minutes * 60,
        at_risk_ratio=policy.at_risk_ratio,
        calendar=calendar_for(policy),
    )


# Ticket field ↔ ``clock_core.Clocks`` field, for the fields the core changes.
_STATE_FIELDS = (
    ("first_response_at", "first_response_at"),
    ("first_response_seconds", "first_response_seconds"),
    ("first_response_met", "first_response_met"),
    ("sla_first_response_due_at", "first_response_due_at"),
    ("sla_next_response_due_at", "next_response_due_at"),
    ("sla_resolution_due_at", "resolution_due_at"),
    ("sla_paused_at", "paused_at"),
    ("sla_resolution_remaining_seconds", "resolution_remaining_seconds"),
    ("sla_paused_seconds", "paused_seconds"),
    ("resolution_seconds", "resolution_seconds"),
    ("resolution_met", "resolution_met"),
    ("reopen_count", "reopen_count"),
    ("sla_status", "sla_status"),
    ("next_check_at", "next_check_at"),
)


def clocks_of(ticket: Ticket) -> clock_core.Clocks:
    """The ticket's SLA state as a ``clock_core.Clocks`` under its policy."""
    clocks = clock_core.Clocks(
        created_at=ticket.created_at,
        policy=core_policy(ticket.sla_policy),
        is_open=ticket.status in OPEN_STATUSES,
        resolved_at=ticket.resolved_at,
    )
    for ticket_field, clock_field in _STATE_FIELDS:
        setattr(clocks, clock_field, getattr(ticket, ticket_field))
    return clocks


def _store(ticket: Ticket, clocks: clock_core.Clocks) -> None:
    for ticket_field, clock_field in _STATE_FIELDS:
        setattr(ticket, ticket_field, getattr(clocks, clock_field))


def _run(ticket: Ticket, change: Any, **kwargs: Any) -> Any:
    """Apply one core transition to the ticket's clocks (without announcing: ``refresh_status`` does)."""
    clocks = clocks_of(ticket)
    result = change(clocks, **kwargs)
    _store(ticket, clocks)
    return result


def apply_start(ticket: Ticket, *, now: datetime) -> None:
    """(Re)compute every clock from the ticket's creation with the policy for its current priority."""
    policy = policy_for(ticket)
    ticket.sla_policy = policy
    old = ticket.sla_status
    _run(ticket, clock_core.start, policy=core_policy(policy), now=now)
    if policy is not None:  # no policy: the status becomes "none" quietly
        _announce(ticket, old=old, now=now)


_CLOCKS = (
    ("sla_first_response_due_at", "first_response_minutes"),
    ("sla_next_response_due_at", "next_response_minutes"),
    ("sla_resolution_due_at", "resolution_minutes"),
)


def _due_times(ticket: Ticket) -> dict[str, str | None]:
    return {field: (value.isoformat() if (value := getattr(ticket, field)) else None) for field, _ in _CLOCKS}


def apply_retarget(ticket: Ticket, *, now: datetime) -> dict[str, Any] | None:
    """The priority, tier or team changed: move the running clocks to the policy that now applies.

    Each running clock keeps the business time already spent on it (so pauses, reopenings and
    next-response restarts survive): its new due time is the new target minus what was spent,
    counted from now on the new policy's calendar; a clock already past the new target is due
    now (breached). A paused resolution clock keeps its remaining seconds, moved by the
    difference of the targets (``clock_core.retarget``). Returns the change (policy and due
    times, old → new), or None when the same policy still applies. The caller holds the row
    lock and saves ``SLA_FIELDS``.
    """
    old_policy, new_policy = ticket.sla_policy, policy_for(ticket)
    before, old_status = _due_times(ticket), ticket.sla_status
    if not _run(ticket, clock_core.retarget, policy=core_policy(new_policy), now=now):
        return None
    ticket.sla_policy = new_policy
    if new_policy is not None:
        _announce(ticket, old=old_status, now=now)
    return {"policy": [getattr(old_policy, "pk", None), getattr(new_policy, "pk", None)], "from": before, "to": _due_times(ticket)}


def apply_priority_change(ticket: Ticket, *, priority: int, now: datetime, by: Any = None, source: str) -> bool:
    """Set a new priority and re-target the SLA clocks in the caller's transaction, with one audit event.

    The engine's own way to change a priority (escalation actions, incidents); other layers
    call ``tickets.services.set_priority``, which announces ``priority_changed`` and reaches
    ``follow_priority`` below. The caller holds the row lock and saves ``priority`` and
    ``SLA_FIELDS``. Returns False when the priority is unchanged.
    """
    old = ticket.priority
    if priority == old:
        return False
    ticket.priority = priority
    follow_priority(ticket=ticket, old=old, at=now, by=by, source=source)
    return True


def follow_priority(*, ticket: Ticket, old: int, at: datetime, by: Any, source: str) -> None:
    """Listener of ``priority_changed`` (inside the transaction): the clocks follow the new priority, audited once."""
    change = apply_retarget(ticket, now=at)
    detail: dict[str, Any] = {"from": old, "to": ticket.priority, "source": source}
    if change is not None:
        detail["sla"] = change
    TicketEvent.objects.create(ticket=ticket, actor=by, kind="reprioritized", detail=detail, created_at=at)


def follow_status(*, ticket: Ticket, old: str, at: datetime, resolved: bool, reopened_after: datetime | None) -> None:
    """Listener of ``status_changed`` (inside the transaction): pending pauses, back to work resumes,
    resolving records the resolution time, reopening restarts the resolution clock."""
    if ticket.status == TicketStatus.PENDING_CUSTOMER:
        apply_pause(ticket, at=at)
    elif old == TicketStatus.PENDING_CUSTOMER and ticket.status in OPEN_STATUSES:
        apply_resume(ticket, at=at)
    if resolved:
        apply_resolve(ticket, at=at)
    if reopened_after is not None or (old in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and ticket.status in OPEN_STATUSES):
        apply_reopen(ticket, at=at, resolved_at=reopened_after)
    refresh_status(ticket, now=at)


def follow_customer_message(*, ticket: Ticket, at: datetime) -> None:
    """Listener of ``customer_wrote``."""
    apply_customer_message(ticket, at=at)


def follow_agent_reply(*, ticket: Ticket, at: datetime) -> None:
    """Listener of ``agent_replied``."""
    apply_agent_reply(ticket, at=at)


def follow_merge(*, source: Ticket, target: Ticket, at: datetime) -> None:
    """Listener of ``ticket_merged``: the closed source's clocks settle."""
    refresh_status(source, now=at)


def follow_split(*, source: Ticket, target: Ticket, at: datetime, source_waits: bool, target_waits: bool) -> None:
    """Listener of ``ticket_split``: each ticket's clocks follow the messages it now holds.

    The source keeps its clocks, but its next-response clock stops when the question it timed
    moved. The new ticket's clocks start now (its priority is the default until triage, which
    then re-targets them like any running clock); a moved unanswered question after a moved
    answer starts its next-response clock.
    """
    if not source_waits:
        source.sla_next_response_due_at = None
    refresh_status(source, now=at)
    apply_start(target, now=at)
    if target_waits:
        apply_customer_message(target, at=at)


def business_seconds(ticket: Ticket, start: datetime, end: datetime) -> float:
    """Business seconds between two instants on the ticket's calendar (wall-clock without a policy)."""
    if end <= start:
        return 0.0
    if ticket.sla_policy is None:
        return (end - start).total_seconds()
    return calendar_for(ticket.sla_policy).elapsed(start, end)


def _apply(ticket: Ticket, change: Any, *, at: datetime, **kwargs: Any) -> None:
    old = ticket.sla_status
    _run(ticket, change, at=at, **kwargs)
    _announce(ticket, old=old, now=at)


def apply_agent_reply(ticket: Ticket, *, at: datetime) -> None:
    """An agent answered: the first-response and next-response clocks stop."""
    _apply(ticket, clock_core.agent_reply, at=at)


def apply_customer_message(ticket: Ticket, *, at: datetime) -> None:
    """The customer wrote: resume a paused clock and start the next-response clock."""
    if ticket.sla_paused_at is not None:
        apply_resume(ticket, at=at)
    _apply(ticket, clock_core.start_next_response, at=at)


def apply_pause(ticket: Ticket, *, at: datetime) -> None:
    """Pending the customer: keep the business seconds left; the clocks stand still."""
    _apply(ticket, clock_core.pause, at=at)


def apply_resume(ticket: Ticket, *, at: datetime) -> None:
    _apply(ticket, clock_core.resume, at=at)


def apply_resolve(ticket: Ticket, *, at: datetime) -> None:
    """Resolved: record the resolution time (business, minus pauses) and whether it met its target."""
    _run(ticket, clock_core.resolve, at=at)


def apply_reopen(ticket: Ticket, *, at: datetime, resolved_at: datetime | None = None) -> None:
    """Reopening restarts the resolution clock from now; the time spent resolved counts as paused."""
    _apply(ticket, clock_core.reopen, at=at, resolved_at=resolved_at)


def pressing_target(ticket: Ticket, *, now: datetime) -> str:
    """Which running clock is breached or at risk now (first_response / next_response / resolution), or ""."""
    return clock_core.pressing(clocks_of(ticket), now=now)


def refresh_status(ticket: Ticket, *, now: datetime) -> None:
    """Set ``sla_status`` and ``next_check_at`` from the running clocks; a change is announced (``sla_status_changed``)."""
    old = ticket.sla_status
    _run(ticket, clock_core.refresh, now=now)
    _announce(ticket, old=old, now=now)


def _announce(ticket: Ticket, *, old: str, now: datetime) -> None:
    if ticket.sla_status != old:
        events.sla_status_changed.announce(ticket=ticket, old=old, at=now)


def follow_team(*, ticket: Ticket, at: datetime) -> None:
    """Listener of ``team_changed``: a team may have an SLA policy of its own."""
    apply_retarget(ticket, now=at)
