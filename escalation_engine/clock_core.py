"""The SLA clocks' rules, pure (no Django): what the live engine and the simulators both run.

A ticket's clocks are a ``Clocks`` value (the same fields the ``Ticket`` row stores) and a
``Policy`` (targets in business seconds, the at-risk ratio and a business calendar from
``foundation.business_time``). Each transition below changes a ``Clocks`` in place exactly as
``escalation_engine.sla`` applies it to a ticket row — ``sla`` loads the row into a
``Clocks``, calls the transition and stores it back — so the live engine, the what-if replay
and the desk simulator cannot drift apart:

* **first response** — from creation until the first agent reply;
* **next response** — from each customer message after the first reply until the agent
  answers (it stops when the ticket goes pending);
* **resolution** — from creation (or reopening) until resolved; it **pauses** while pending
  the customer: the business seconds left are kept and the due time is recomputed from the
  moment the customer answers;
* **at risk** once ``at_risk_ratio`` (75 %) of a clock's target is spent; **breached** past
  its due time;
* **retarget** (priority, tier or team changed → another policy): each running clock keeps
  the business time already spent on it, counted against the new target on the new calendar.

``replay`` plays a sequence of ``ClockEvent`` through these transitions and reports every
clock run (due time, at-risk instant, business time spent, met or breached): the simulator's
and the backtest's SLA outcome.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from foundation.business_time import ALWAYS_OPEN, Calendar

FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION = "first_response", "next_response", "resolution"
CLOCK_NAMES = (FIRST_RESPONSE, NEXT_RESPONSE, RESOLUTION)


@dataclass(frozen=True)
class Policy:
    """Targets in business seconds on a calendar; ``key`` identifies the policy (the row's pk live)."""

    key: object
    first_response_seconds: float
    next_response_seconds: float
    resolution_seconds: float
    at_risk_ratio: float = 0.75
    calendar: Calendar = ALWAYS_OPEN

    def target(self, clock: str) -> float:
        return {
            FIRST_RESPONSE: self.first_response_seconds,
            NEXT_RESPONSE: self.next_response_seconds,
            RESOLUTION: self.resolution_seconds,
        }[clock]


@dataclass
class Clocks:
    """A ticket's SLA state (the ``Ticket`` row's SLA fields, plus whether it is open and when it was resolved)."""

    created_at: datetime
    policy: Policy | None = None
    is_open: bool = True
    resolved_at: datetime | None = None
    first_response_at: datetime | None = None
    first_response_seconds: float | None = None
    first_response_met: bool | None = None
    first_response_due_at: datetime | None = None
    next_response_due_at: datetime | None = None
    resolution_due_at: datetime | None = None
    paused_at: datetime | None = None
    resolution_remaining_seconds: float | None = None
    paused_seconds: float = 0.0
    resolution_seconds: float | None = None
    resolution_met: bool | None = None
    reopen_count: int = 0
    sla_status: str = "none"
    next_check_at: datetime | None = None

    def due_times(self) -> dict[str, datetime | None]:
        return {FIRST_RESPONSE: self.first_response_due_at, NEXT_RESPONSE: self.next_response_due_at, RESOLUTION: self.resolution_due_at}


def business_seconds(clocks: Clocks, start: datetime, end: datetime) -> float:
    """Business seconds between two instants on the policy's calendar (wall-clock without a policy)."""
    if end <= start:
        return 0.0
    if clocks.policy is None:
        return (end - start).total_seconds()
    return clocks.policy.calendar.elapsed(start, end)


def start(clocks: Clocks, policy: Policy | None, *, now: datetime) -> None:
    """(Re)compute every clock from creation with ``policy`` (none: no clock runs)."""
    clocks.policy = policy
    if policy is None:
        clocks.first_response_due_at = clocks.next_response_due_at = clocks.resolution_due_at = None
        clocks.sla_status, clocks.next_check_at = "none", None
        return
    calendar = policy.calendar
    clocks.first_response_due_at = None if clocks.first_response_at else calendar.add(clocks.created_at, policy.first_response_seconds)
    clocks.resolution_due_at = calendar.add(clocks.created_at, policy.resolution_seconds)
    if clocks.paused_at is not None:
        clocks.resolution_remaining_seconds = calendar.elapsed(clocks.paused_at, clocks.resolution_due_at)
    refresh(clocks, now=now)


def spent_seconds(calendar: Calendar, *, target_seconds: float, due: datetime, now: datetime) -> float:
    """Business seconds already spent at ``now`` on a running clock due at ``due`` with this target (more than it once breached)."""
    return target_seconds - calendar.elapsed(now, due) if now < due else target_seconds + calendar.elapsed(due, now)


def retarget(clocks: Clocks, policy: Policy | None, *, now: datetime) -> bool:
    """Move the running clocks to ``policy``; False (nothing changed) when the same policy still applies.

    Each running clock's new due time is the new target minus what was spent, counted from now
    on the new calendar (due now when already past it). A paused resolution clock keeps its
    remaining seconds, moved by the difference of the targets. From or to no policy, the clocks
    start again from creation.
    """
    old = clocks.policy
    if old is None and policy is None:
        return False
    if old is not None and policy is not None and old.key == policy.key:
        return False
    if old is None or policy is None:
        start(clocks, policy, now=now)
        return True
    paused = clocks.paused_at is not None
    for name in CLOCK_NAMES:
        due = clocks.due_times()[name]
        if due is None or (paused and name == RESOLUTION):
            continue
        spent = spent_seconds(old.calendar, target_seconds=old.target(name), due=due, now=now)
        remaining = policy.target(name) - spent
        _set_due(clocks, name, policy.calendar.add(now, remaining) if remaining > 0 else now)
    if paused and clocks.resolution_remaining_seconds is not None:
        assert clocks.paused_at is not None
        difference = policy.resolution_seconds - old.resolution_seconds
        clocks.resolution_remaining_seconds = max(0.0, clocks.resolution_remaining_seconds + difference)
        clocks.resolution_due_at = policy.calendar.add(clocks.paused_at, clocks.resolution_remaining_seconds)
    clocks.policy = policy
    refresh(clocks, now=now)
    return True


def _set_due(clocks: Clocks, name: str, due: datetime | None) -> None:
    if name == FIRST_RESPONSE:
        clocks.first_response_due_at = due
    elif name == NEXT_RESPONSE:
        clocks.next_response_due_at = due
    else:
        clocks.resolution_due_at = due


def agent_reply(clocks: Clocks, *, at: datetime) -> None:
    """An agent answered: the first-response (recording its time and outcome) and next-response clocks stop."""
    if clocks.first_response_at is None:
        clocks.first_response_at = at
        clocks.first_response_seconds = business_seconds(clocks, clocks.created_at, at)
        due = clocks.first_response_due_at
        clocks.first_response_met = None if due is None else at <= due
    clocks.first_response_due_at = None
    clocks.next_response_due_at = None
    refresh(clocks, now=at)


def start_next_response(clocks: Clocks, *, at: datetime) -> None:
    """The customer wrote after the first reply: the next-response clock starts (unless one runs)."""
    policy = clocks.policy
    if policy is not None and clocks.first_response_at is not None and clocks.next_response_due_at is None:
        clocks.next_response_due_at = policy.calendar.add(at, policy.next_response_seconds)
    refresh(clocks, now=at)


def customer_message(clocks: Clocks, *, at: datetime) -> None:
    """The customer wrote: a paused clock resumes and the next-response clock starts."""
    if clocks.paused_at is not None:
        resume(clocks, at=at)
    start_next_response(clocks, at=at)


def pause(clocks: Clocks, *, at: datetime) -> None:
    """Pending the customer: keep the resolution clock's business seconds left; the next-response clock stops."""
    if clocks.paused_at is not None:
        return
    clocks.paused_at = at
    if clocks.policy is not None and clocks.resolution_due_at is not None:
        clocks.resolution_remaining_seconds = clocks.policy.calendar.elapsed(at, clocks.resolution_due_at)
    clocks.next_response_due_at = None
    refresh(clocks, now=at)


def resume(clocks: Clocks, *, at: datetime) -> None:
    """Back from pending: the pause's business time is counted and the resolution clock runs again from ``at``."""
    if clocks.paused_at is None:
        return
    clocks.paused_seconds += business_seconds(clocks, clocks.paused_at, at)
    if clocks.policy is not None and clocks.resolution_remaining_seconds is not None:
        clocks.resolution_due_at = clocks.policy.calendar.add(at, clocks.resolution_remaining_seconds)
    clocks.paused_at = None
    clocks.resolution_remaining_seconds = None
    refresh(clocks, now=at)


def resolve(clocks: Clocks, *, at: datetime) -> None:
    """Resolved: the resolution time (business, minus pauses) and whether it met its target.

    ``sla_status`` follows when the caller closes the ticket (``is_open`` False, ``resolved_at``) and refreshes.
    """
    paused = clocks.paused_seconds + (business_seconds(clocks, clocks.paused_at, at) if clocks.paused_at else 0.0)
    clocks.resolution_seconds = max(0.0, business_seconds(clocks, clocks.created_at, at) - paused)
    if clocks.paused_at is not None:
        remaining = clocks.resolution_remaining_seconds
        clocks.resolution_met = None if remaining is None else remaining > 0
    else:
        due = clocks.resolution_due_at
        clocks.resolution_met = None if due is None else at <= due


def reopen(clocks: Clocks, *, at: datetime, resolved_at: datetime | None = None) -> None:
    """Reopened: the resolution clock restarts from ``at``; the time spent resolved counts as paused."""
    clocks.reopen_count += 1
    if resolved_at is not None:
        clocks.paused_seconds += business_seconds(clocks, resolved_at, at)
    clocks.resolution_seconds = clocks.resolution_met = None
    clocks.paused_at = None
    clocks.resolution_remaining_seconds = None
    if clocks.policy is not None:
        clocks.resolution_due_at = clocks.policy.calendar.add(at, clocks.policy.resolution_seconds)
    refresh(clocks, now=at)


def running(clocks: Clocks) -> list[tuple[str, datetime, float]]:
    """Running clocks as (name, due, target seconds)."""
    policy = clocks.policy
    if policy is None:
        return []
    result = []
    if clocks.first_response_due_at and clocks.first_response_at is None:
        result.append((FIRST_RESPONSE, clocks.first_response_due_at, policy.first_response_seconds))
    if clocks.next_response_due_at:
        result.append((NEXT_RESPONSE, clocks.next_response_due_at, policy.next_response_seconds))
    if clocks.resolution_due_at:
        result.append((RESOLUTION, clocks.resolution_due_at, policy.resolution_seconds))
    return result


def at_risk_at(calendar: Calendar, *, due: datetime, target_seconds: float, ratio: float, now: datetime) -> datetime:
    """The instant a clock due at ``due`` turns at risk (``ratio`` of its target spent), seen from ``now`` (``now`` if already)."""
    margin = (1 - ratio) * target_seconds
    remaining = calendar.elapsed(now, due)
    return now if remaining <= margin else calendar.add(now, remaining - margin)


def pressing(clocks: Clocks, *, now: datetime) -> str:
    """Which running clock is breached or at risk now, or "" (none, paused or closed)."""
    policy = clocks.policy
    if policy is None or not clocks.is_open or clocks.paused_at is not None:
        return ""
    for name, due, target in running(clocks):
        if now >= due or policy.calendar.elapsed(now, due) <= (1 - policy.at_risk_ratio) * target:
            return name
    return ""


def refresh(clocks: Clocks, *, now: datetime) -> None:
    """``sla_status`` (none / ok / at_risk / breached / paused / met) and ``next_check_at``.

    ``next_check_at`` is when the next clock turns at risk or breaches.
    """
    policy = clocks.policy
    if policy is None:
        clocks.sla_status, clocks.next_check_at = "none", None
        return
    if not clocks.is_open:
        resolved = clocks.resolved_at or now
        due = clocks.resolution_due_at
        clocks.sla_status = "breached" if due is not None and resolved > due else "met"
        clocks.next_check_at = None
        return
    if clocks.paused_at is not None:
        clocks.sla_status, clocks.next_check_at = "paused", None
        return
    calendar = policy.calendar
    status, upcoming = "ok", []
    for _, due, target in running(clocks):
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
    clocks.sla_status = status
    clocks.next_check_at = min(upcoming) if upcoming else None


# --- replay: a ticket's story through the rules above -----------------------------------------

CREATED, AGENT_REPLIED, CUSTOMER_WROTE, PAUSED, RESUMED, RESOLVED, REOPENED, RETARGETED = (
    "created",
    "agent_replied",
    "customer_wrote",
    "paused",
    "resumed",
    "resolved",
    "reopened",
    "retargeted",
)
EVENT_KINDS = (CREATED, AGENT_REPLIED, CUSTOMER_WROTE, PAUSED, RESUMED, RESOLVED, REOPENED, RETARGETED)


@dataclass(frozen=True)
class ClockEvent:
    """One thing that happened to a ticket. ``retargeted`` carries the policy that now applies
    (a priority or team change resolved to its policy by the caller's ``policy_for``)."""

    kind: str
    at: datetime
    policy: Policy | None = None


@dataclass(frozen=True)
class ClockRun:
    """One run of one clock, from when it started until it stopped (or the replay ended).

    A pause is inside a run (the resolution clock stands still, its due time moves on resume);
    a retarget keeps the run and moves its due time; a reopening starts a new resolution run.
    """

    clock: str
    started_at: datetime
    due_at: datetime  # the due time in force when it stopped (after any pause or retarget)
    stopped_at: datetime | None  # None: still running at the end of the replay
    spent_seconds: float  # business seconds on the clock when it stopped (or at the end), pauses excluded
    target_seconds: float  # the target in force when it stopped
    breached: bool  # ran past its due time (business time spent beyond the target)
    at_risk_at: datetime | None  # when ``at_risk_ratio`` of the target was spent, None if it never was
    paused_seconds: float = 0.0  # business seconds the run stood still (resolution only)


@dataclass
class ClockOutcome:
    clocks: Clocks
    runs: list[ClockRun] = field(default_factory=list)

    def runs_of(self, clock: str) -> list[ClockRun]:
        return [run for run in self.runs if run.clock == clock]

    @property
    def breached(self) -> bool:
        return any(run.breached for run in self.runs)


@dataclass
class _Open:
    started_at: datetime
    paused_seconds_at_start: float
    pending_risk_at: datetime | None = None  # the next at-risk instant if the clock keeps running
    at_risk_at: datetime | None = None


def replay(events: Iterable[ClockEvent], *, policy: Policy | None, until: datetime | None = None) -> ClockOutcome:
    """Play a ticket's events (the first one ``created``, in time order) through the clock rules.

    ``policy`` applies from creation; ``retargeted`` events switch it. ``until`` ends the replay
    (default: the last event); clocks still running then are reported with ``stopped_at`` None.
    """
    ordered = list(events)
    if not ordered or ordered[0].kind != CREATED:
        raise ValueError("a replay starts with a 'created' event")
    clocks = Clocks(created_at=ordered[0].at)
    outcome = ClockOutcome(clocks=clocks)
    runs: dict[str, _Open] = {}
    last = ordered[0].at
    for event in ordered:
        if event.at < last:
            raise ValueError(f"event {event.kind} at {event.at.isoformat()} is before the one before it")
        last = event.at
        _reach_risk(runs, event.at)
        before = _live(clocks)
        _apply(clocks, event, policy)
        after = _live(clocks)
        for name, due in before.items():
            if name not in after:
                outcome.runs.append(_finish(clocks, name, runs.pop(name), due=due, stopped_at=event.at))
        for name in after:
            runs.setdefault(name, _Open(started_at=event.at, paused_seconds_at_start=clocks.paused_seconds))
        _time_risk(clocks, runs, event.at)
    end = until or last
    _reach_risk(runs, end)
    for name, due in _live(clocks).items():
        outcome.runs.append(_finish(clocks, name, runs.pop(name), due=due, stopped_at=None, now=end))
    return outcome


def _apply(clocks: Clocks, event: ClockEvent, policy: Policy | None) -> None:
    if event.kind == CREATED:
        start(clocks, policy, now=event.at)
    elif event.kind == AGENT_REPLIED:
        agent_reply(clocks, at=event.at)
    elif event.kind == CUSTOMER_WROTE:
        customer_message(clocks, at=event.at)
    elif event.kind == PAUSED:
        pause(clocks, at=event.at)
    elif event.kind == RESUMED:
        resume(clocks, at=event.at)
    elif event.kind == RESOLVED:
        resolve(clocks, at=event.at)
        clocks.is_open, clocks.resolved_at = False, event.at
        refresh(clocks, now=event.at)
    elif event.kind == REOPENED:
        resolved_at = clocks.resolved_at
        clocks.is_open, clocks.resolved_at = True, None
        reopen(clocks, at=event.at, resolved_at=resolved_at)
    elif event.kind == RETARGETED:
        retarget(clocks, event.policy, now=event.at)
    else:
        raise ValueError(f"unknown event kind {event.kind!r}")


def _live(clocks: Clocks) -> dict[str, datetime]:
    """The clocks that exist now (a paused resolution clock too), with their due times."""
    if not clocks.is_open:
        return {}
    return {name: due for name, due, _ in running(clocks)}


def _standing_still(clocks: Clocks, name: str) -> bool:
    return name == RESOLUTION and clocks.paused_at is not None


def _reach_risk(runs: dict[str, _Open], at: datetime) -> None:
    for run in runs.values():
        if run.at_risk_at is None and run.pending_risk_at is not None and run.pending_risk_at <= at:
            run.at_risk_at = run.pending_risk_at


def _time_risk(clocks: Clocks, runs: dict[str, _Open], now: datetime) -> None:
    """After an event: when each running clock turns at risk if nothing else happens."""
    policy = clocks.policy
    dues = _live(clocks)
    for name, run in runs.items():
        run.pending_risk_at = None
        if run.at_risk_at is not None or policy is None or _standing_still(clocks, name):
            continue
        run.pending_risk_at = at_risk_at(
            policy.calendar, due=dues[name], target_seconds=policy.target(name), ratio=policy.at_risk_ratio, now=now
        )
        if run.pending_risk_at <= now:
            run.at_risk_at = now


def _finish(clocks: Clocks, name: str, run: _Open, *, due: datetime, stopped_at: datetime | None, now: datetime | None = None) -> ClockRun:
    now = stopped_at if now is None else now
    assert now is not None
    policy = clocks.policy
    calendar = policy.calendar if policy is not None else ALWAYS_OPEN
    target = policy.target(name) if policy is not None else 0.0
    if _standing_still(clocks, name) and clocks.resolution_remaining_seconds is not None:
        spent = target - clocks.resolution_remaining_seconds
        breached = clocks.resolution_remaining_seconds <= 0
    else:
        spent = spent_seconds(calendar, target_seconds=target, due=due, now=now)
        breached = now > due
    if name == RESOLUTION and clocks.resolution_met is not None and stopped_at is not None:
        breached = not clocks.resolution_met
    paused = 0.0
    if name == RESOLUTION:
        ongoing = business_seconds(clocks, clocks.paused_at, now) if clocks.paused_at is not None else 0.0
        paused = clocks.paused_seconds - run.paused_seconds_at_start + ongoing
    return ClockRun(
        clock=name,
        started_at=run.started_at,
        due_at=due,
        stopped_at=stopped_at,
        spent_seconds=max(0.0, spent),
        target_seconds=target,
        breached=breached,
        at_risk_at=run.at_risk_at,
        paused_seconds=paused,
    )
