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
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from escalation_engine import events
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


def apply_start(ticket: Ticket, *, now: datetime) -> None:
    """(Re)compute every clock from the ticket's creation with the policy for its current priority."""
    policy = policy_for(ticket)
    ticket.sla_policy = policy
    if policy is None:
        ticket.sla_first_response_due_at = ticket.sla_next_response_due_at = ticket.sla_resolution_due_at = None
        ticket.sla_status, ticket.next_check_at = "none", None
        return
    calendar = calendar_for(policy)
    ticket.sla_first_response_due_at = (
        None if ticket.first_response_at else calendar.add(ticket.created_at, policy.first_response_minutes * 60)
    )
    ticket.sla_resolution_due_at = calendar.add(ticket.created_at, policy.resolution_minutes * 60)
    if ticket.sla_paused_at is not None:
        ticket.sla_resolution_remaining_seconds = calendar.elapsed(ticket.sla_paused_at, ticket.sla_resolution_due_at)
    refresh_status(ticket, now=now)


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
    difference of the targets. Returns the change (policy and due times, old → new), or None
    when the same policy still applies. The caller holds the row lock and saves ``SLA_FIELDS``.
    """
    old_policy, new_policy = ticket.sla_policy, policy_for(ticket)
    if new_policy is not None and old_policy is not None and new_policy.pk == old_policy.pk:
        return None
    if old_policy is None or new_policy is None:
        if old_policy is None and new_policy is None:
            return None
        before = _due_times(ticket)
        apply_start(ticket, now=now)  # no clock ran (or none may run now): start from creation
        return {"policy": [getattr(old_policy, "pk", None), getattr(new_policy, "pk", None)], "from": before, "to": _due_times(ticket)}
    before = _due_times(ticket)
    old_calendar, new_calendar = calendar_for(old_policy), calendar_for(new_policy)
    paused = ticket.sla_paused_at is not None
    for field, minutes in _CLOCKS:
        due = getattr(ticket, field)
        if due is None or (paused and field == "sla_resolution_due_at"):
            continue
        old_target, new_target = getattr(old_policy, minutes) * 60, getattr(new_policy, minutes) * 60
        spent = old_target - old_calendar.elapsed(now, due) if now < due else old_target + old_calendar.elapsed(due, now)
        remaining = new_target - spent
        setattr(ticket, field, new_calendar.add(now, remaining) if remaining > 0 else now)
    if paused and ticket.sla_resolution_remaining_seconds is not None:
        difference = (new_policy.resolution_minutes - old_policy.resolution_minutes) * 60
        ticket.sla_resolution_remaining_seconds = max(0.0, ticket.sla_resolution_remaining_seconds + difference)
        assert ticket.sla_paused_at is not None
        ticket.sla_resolution_due_at = new_calendar.add(ticket.sla_paused_at, ticket.sla_resolution_remaining_seconds)
    ticket.sla_policy = new_policy
    refresh_status(ticket, now=now)
    return {"policy": [old_policy.pk, new_policy.pk], "from": before, "to": _due_times(ticket)}


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


def apply_agent_reply(ticket: Ticket, *, at: datetime) -> None:
    """An agent answered: the first-response and next-response clocks stop."""
    if ticket.first_response_at is None:
        ticket.first_response_at = at
        ticket.first_response_seconds = business_seconds(ticket, ticket.created_at, at)
        due = ticket.sla_first_response_due_at
        ticket.first_response_met = None if due is None else at <= due
    ticket.sla_first_response_due_at = None
    ticket.sla_next_response_due_at = None
    refresh_status(ticket, now=at)


def apply_customer_message(ticket: Ticket, *, at: datetime) -> None:
    """The customer wrote: resume a paused clock and start the next-response clock."""
    if ticket.sla_paused_at is not None:
        apply_resume(ticket, at=at)
    policy = ticket.sla_policy
    if policy is not None and ticket.first_response_at is not None and ticket.sla_next_response_due_at is None:
        ticket.sla_next_response_due_at = calendar_for(policy).add(at, policy.next_response_minutes * 60)
    refresh_status(ticket, now=at)


def apply_pause(ticket: Ticket, *, at: datetime) -> None:
    """Pending the customer: keep the business seconds left; the clocks stand still."""
    if ticket.sla_paused_at is not None:
        return
    ticket.sla_paused_at = at
    if ticket.sla_policy is not None and ticket.sla_resolution_due_at is not None:
        ticket.sla_resolution_remaining_seconds = calendar_for(ticket.sla_policy).elapsed(at, ticket.sla_resolution_due_at)
    ticket.sla_next_response_due_at = None
    refresh_status(ticket, now=at)


def apply_resume(ticket: Ticket, *, at: datetime) -> None:
    if ticket.sla_paused_at is None:
        return
    ticket.sla_paused_seconds += business_seconds(ticket, ticket.sla_paused_at, at)
    if ticket.sla_policy is not None and ticket.sla_resolution_remaining_seconds is not None:
        ticket.sla_resolution_due_at = calendar_for(ticket.sla_policy).add(at, ticket.sla_resolution_remaining_seconds)
    ticket.sla_paused_at = None
    ticket.sla_resolution_remaining_seconds = None
    refresh_status(ticket, now=at)


def apply_resolve(ticket: Ticket, *, at: datetime) -> None:
    """Resolved: record the resolution time (business, minus pauses) and whether it met its target."""
    paused = ticket.sla_paused_seconds + (business_seconds(ticket, ticket.sla_paused_at, at) if ticket.sla_paused_at else 0.0)
    ticket.resolution_seconds = max(0.0, business_seconds(ticket, ticket.created_at, at) - paused)
    if ticket.sla_paused_at is not None:
        remaining = ticket.sla_resolution_remaining_seconds
        ticket.resolution_met = None if remaining is None else remaining > 0
    else:
        due = ticket.sla_resolution_due_at
        ticket.resolution_met = None if due is None else at <= due


def apply_reopen(ticket: Ticket, *, at: datetime, resolved_at: datetime | None = None) -> None:
    """Reopening restarts the resolution clock from now; the time spent resolved counts as paused."""
    ticket.reopen_count += 1
    if resolved_at is not None:
        ticket.sla_paused_seconds += business_seconds(ticket, resolved_at, at)
    ticket.resolution_seconds = ticket.resolution_met = None
    ticket.sla_paused_at = None
    ticket.sla_resolution_remaining_seconds = None
    if ticket.sla_policy is not None:
        ticket.sla_resolution_due_at = calendar_for(ticket.sla_policy).add(at, ticket.sla_policy.resolution_minutes * 60)
    refresh_status(ticket, now=at)


def _clocks(ticket: Ticket) -> list[tuple[str, datetime, int]]:
    """Running clocks as (name, due, target seconds)."""
    policy = ticket.sla_policy
    if policy is None:
        return []
    clocks = []
    if ticket.sla_first_response_due_at and ticket.first_response_at is None:
        clocks.append(("first_response", ticket.sla_first_response_due_at, policy.first_response_minutes * 60))
    if ticket.sla_next_response_due_at:
        clocks.append(("next_response", ticket.sla_next_response_due_at, policy.next_response_minutes * 60))
    if ticket.sla_resolution_due_at:
        clocks.append(("resolution", ticket.sla_resolution_due_at, policy.resolution_minutes * 60))
    return clocks


def pressing_target(ticket: Ticket, *, now: datetime) -> str:
    """Which running clock is breached or at risk now (first_response / next_response / resolution), or ""."""
    policy = ticket.sla_policy
    if policy is None or ticket.status not in OPEN_STATUSES or ticket.sla_paused_at is not None:
        return ""
    calendar = calendar_for(policy)
    for name, due, target in _clocks(ticket):
        if now >= due or calendar.elapsed(now, due) <= (1 - policy.at_risk_ratio) * target:
            return name
    return ""


def refresh_status(ticket: Ticket, *, now: datetime) -> None:
    """Set ``sla_status`` and ``next_check_at`` from the running clocks; a change is announced (``sla_status_changed``)."""
    old = ticket.sla_status
    _refresh_status(ticket, now=now)
    if ticket.sla_status != old:
        events.sla_status_changed.announce(ticket=ticket, old=old, at=now)


def _refresh_status(ticket: Ticket, *, now: datetime) -> None:
    policy = ticket.sla_policy
    if policy is None:
        ticket.sla_status, ticket.next_check_at = "none", None
        return
    if ticket.status not in OPEN_STATUSES:
        resolved = ticket.resolved_at or now
        due = ticket.sla_resolution_due_at
        ticket.sla_status = "breached" if due is not None and resolved > due else "met"
        ticket.next_check_at = None
        return
    if ticket.sla_paused_at is not None:
        ticket.sla_status, ticket.next_check_at = "paused", None
        return
    calendar = calendar_for(policy)
    status, upcoming = "ok", []
    for _, due, target in _clocks(ticket):
        if now >= due:
            status = "breached"
            continue
        margin = (1 - policy.at_risk_ratio) * target
        remaining = calendar.elapsed(now, due)
        if remaining <= margin:
            status = "at_risk" if status != "breached" else status
            upcoming.append(due)
        else:
            upcoming.append(calendar.add(now, remaining - margin))
    ticket.sla_status = status
    ticket.next_check_at = min(upcoming) if upcoming else None


def follow_team(*, ticket: Ticket, at: datetime) -> None:
    """Listener of ``team_changed``: a team may have an SLA policy of its own."""
    apply_retarget(ticket, now=at)
