"""A desk as a discrete-event queue, pure (no Django): named agents on shifts, the real routing
core, the real SLA-clock core.

``simulate(desk, tickets, handling)`` plays tickets arriving at a desk and returns one
``TicketRecord`` each. It is the engine under both the known-truth history generator
(``bench/desk_sim.py``, with the true handling times) and the what-if replay
(``escalation_engine.replay_core``, with handling times fitted on history), so a what-if runs
exactly the rules the history was made with.

The model
---------
- **Routing rules** (``routing_core.matching_rules`` over ``RuleSpec``) send a ticket to a team;
  its category asks for a skill at a minimum level (``Desk.skills``) and a non-English ticket
  for an agent writing its language (optional, dropped after ``Desk.language_timeout_seconds``
  and at most 3 % of its first-response target: ``routing_core.active_skills``).
- **Agents** are on duty while their shift calendar is open (``foundation.business_time``:
  weekly hours; days off and leave as holidays). They take new work only on duty and finish
  what they hold after their shift ends.
- **On arrival** the ticket goes to the best on-duty agent of its team with room
  (``routing_core.rank``'s first over ``Candidate`` with capacity units, skills, languages,
  stand-in by ``routing_core.stand_in_allowed`` or when no specialist is on duty; found with
  ``eligible`` and ``rank_key`` from the highest ``score_ceiling`` down, so a team of hundreds
  is not scored agent by agent); otherwise it waits in
  the team's queue, in the team's order (``routing_core.queue_key``). An agent who frees units
  or comes on duty takes the first waiting ticket ``routing_core.eligible`` allows.
- **Handling** (``Handling``): the assigned agent works ``first_response_seconds`` and replies
  (the first response); if the customer is asked something (``DeskTicket.pending_seconds``)
  the ticket is pending for that long — its units free when the profile says so — and the
  customer's answer starts the next-response clock; then the agent works
  ``resolution_seconds`` more and resolves it with a reply.
- **SLA**: every ticket's story (created, replied, pending, customer wrote, resolved) is judged
  by the clock core's rules with its priority's ``clock_core.Policy``: worked out on timestamps
  on the policy's ``IndexedCalendar`` (``_outcome_by_stamps``, the same floats and comparisons),
  or played through ``clock_core.replay`` where the table does not reach or the calendar is
  24×7. ``tests/escalation/test_desk_core.py`` checks the two give equal records.

Times are seconds from ``Desk.start`` (an aware datetime); only the clock core sees datetimes.
Teams share no agents and no tickets, so ``simulate(..., processes=N)`` can play groups of them
in forked processes and merge the records, which are the same as in one process.
"""

from __future__ import annotations

import bisect
import contextlib
import gc
import heapq
import itertools
import math
import multiprocessing
import traceback
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from multiprocessing.connection import Connection
from typing import Any

from agents import routing_core
from agents.routing_core import Candidate, CapacityProfile, RuleSpec, SkillNeed, TicketFacts
from escalation_engine import clock_core
from foundation.business_time import Calendar

DAY = 86400.0
NO_SKILL_NEEDED_LEVEL = 5  # a ticket whose category needs no skill: everyone qualifies, as in agents.services.route_ticket
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
FACTS_KEPT = 10_000  # routing outcomes remembered (a replay has a few hundred kinds of ticket; generated lifetime values all differ)
CEILING_SLACK = 2e-6  # two steps of the score's rounding: a ceiling a float's width too low still cannot cut off a tie
TABLE_MARGIN_DAYS = 120  # the calendar table runs this far past the last shift (resolution targets are days, not months)


@dataclass(frozen=True)
class DeskAgent:
    agent_id: int
    name: str
    team: str
    skills: Mapping[str, int]  # skill → level 1–5
    shift: Calendar  # on duty while open
    profile: CapacityProfile
    seniority: int = 1
    performance_score: float = 0.5
    languages: frozenset[str] = frozenset({"en"})


@dataclass(frozen=True)
class DeskTicket:
    ticket_id: int
    arrival_seconds: float
    category: str
    priority: int
    channel: str = "email"
    language: str = "en"
    tier: str = "bronze"
    lifetime_value: float = 0.0
    pending_seconds: float | None = None  # how long the customer takes to answer the agent's question; None: never asked


@dataclass(frozen=True)
class Work:
    """What one agent's handling of one ticket takes, in wall seconds of work."""

    first_response_seconds: float
    resolution_seconds: float  # after the first reply (or after the customer's answer)


Handling = Callable[[DeskTicket, DeskAgent], Work]


@dataclass(frozen=True)
class Desk:
    start: datetime
    agents: Sequence[DeskAgent]
    rules: Sequence[tuple[RuleSpec, str]]  # routing rule → team, in order; the first match wins
    default_team: str
    skills: Mapping[str, tuple[str, int]]  # category → (skill, minimum level)
    policies: Mapping[int, clock_core.Policy]  # priority → SLA policy
    queue_order: str = routing_core.QueueOrder.SLA
    language_timeout_seconds: float = 300.0
    drain_days: int = 7  # after the last arrival, shifts go on this long for the queue to empty


@dataclass(frozen=True)
class TicketRecord:
    """One ticket's history: what happened (seconds from the desk's start) and its SLA outcome."""

    ticket_id: int
    arrival_seconds: float
    category: str
    priority: int
    channel: str
    language: str
    team: str
    required_skill: str
    agent_id: int | None
    assigned_seconds: float | None
    first_response_seconds: float | None  # instant of the first reply
    pending_from_seconds: float | None
    pending_until_seconds: float | None
    resolved_seconds: float | None
    first_response_business_seconds: float | None
    resolution_business_seconds: float | None
    pause_business_seconds: float
    first_response_breached: bool
    next_response_breached: bool
    resolution_breached: bool
    first_response_at_risk: bool  # reached 75 % of its target before the reply

    @property
    def wait_seconds(self) -> float | None:
        """Wall seconds from arrival to the first reply."""
        return None if self.first_response_seconds is None else self.first_response_seconds - self.arrival_seconds

    @property
    def first_work_seconds(self) -> float | None:
        if self.first_response_seconds is None or self.assigned_seconds is None:
            return None
        return self.first_response_seconds - self.assigned_seconds

    @property
    def resolution_work_seconds(self) -> float | None:
        if self.resolved_seconds is None or self.first_response_seconds is None:
            return None
        return self.resolved_seconds - (self.pending_until_seconds or self.first_response_seconds)


# Events at the same instant: shifts end, work completes, customers answer, shifts start, relaxations, arrivals.
_OFF, _DONE, _BACK, _ON, _RELAX, _ARRIVE = range(6)


@dataclass
class _Waiting:
    ticket: DeskTicket
    team: str
    skill: str
    min_level: int
    needs: tuple[SkillNeed, ...]
    facts: TicketFacts
    due_seconds: float  # first-response due, as seconds from the start
    target_seconds: float
    version: int = 0
    due_stamp: float | None = None  # instant(due_seconds).timestamp(), once asked
    kept: list[SkillNeed] | None = None  # the skills still asked for (``kept_needs``) while waited < kept_until
    kept_until: float = -math.inf
    slack_at: float = math.nan  # the instant ``slack`` was last asked for, and its answer
    slack_seconds: float | None = None


@dataclass
class _Agent:
    spec: DeskAgent
    used: float = 0.0
    on_duty: bool = False
    last_assigned: float = 0.0
    unit_cache: dict[tuple[str, int], float] = field(default_factory=dict)
    language_levels: Mapping[str, int] = field(default_factory=dict)
    lightest_units: float = 0.0  # the fewest units any ticket weighs under the profile (``lightest_units``)
    open: bool = False  # on duty with room for the lightest ticket (``_Simulation.reindex``)
    load_loss: float = 0.0  # ``routing_core.load_loss`` at the units in use (``_Simulation.reindex``)
    slots: list[tuple[list[int], int]] = field(default_factory=list)  # (a ceiling list's open positions, this agent's position in it)

    def units(self, ticket: DeskTicket) -> float:
        """``profile.units`` for the ticket (remembered per channel and priority)."""
        return self.units_of((ticket.channel, ticket.priority))

    def units_of(self, weighed: tuple[str, int]) -> float:
        """``profile.units`` for a (channel, priority)."""
        found = self.unit_cache.get(weighed)
        if found is None:
            found = self.unit_cache[weighed] = self.spec.profile.units(channel=weighed[0], priority=weighed[1])
        return found


def lightest_units(profile: CapacityProfile) -> float:
    """The fewest units any ticket can weigh under the profile (``CapacityProfile.units``); -inf if a weight is negative."""
    weights = [1.0, *profile.channel_weights.values()]
    multipliers = [1.0, *profile.priority_multipliers.values()]
    if min(weights) < 0 or min(multipliers) < 0:
        return -math.inf
    lightest = min(weights) * min(multipliers)
    return min(lightest, profile.total_units) if profile.total_units > 0 else lightest


@dataclass
class _Progress:
    agent_id: int
    units: float
    work: Work
    assigned: float
    replied: float | None = None
    pending_until: float | None = None
    resolved: float | None = None
    team: str = ""


# A queued ticket: (queue key, sequence, the ticket, its version when queued). A plain tuple so the
# heap compares in C; the sequence is unique, so the ticket itself is never compared.
_Entry = tuple[tuple[float, ...], int, _Waiting, int]
# A queue class: (skill, minimum level, (channel, priority), optional skills still asked for). Its tickets are
# alike for eligibility but for their waiting (slack, skills dropped since), and weigh the same for any one agent.
_Class = tuple[str, int, tuple[str, int], tuple[str, ...]]


class _Simulation:
    def __init__(self, desk: Desk, handling: Handling) -> None:
        self.desk = desk
        self.handling = handling
        self.agents = {
            a.agent_id: _Agent(
                a, language_levels={f"lang:{language}": 5 for language in a.languages}, lightest_units=lightest_units(a.profile)
            )
            for a in desk.agents
        }
        self.team_agents: dict[str, list[int]] = {}
        for team in [desk.default_team, *(team for _, team in desk.rules), *(agent.team for agent in desk.agents)]:
            self.team_agents.setdefault(team, [])  # a team without agents keeps its tickets waiting
        self.queues: dict[str, dict[tuple[str, int], dict[_Class, list[_Entry]]]] = {}  # team → (channel, priority) → class → heap
        self.waiting: dict[int, _Waiting] = {}
        self.progress: dict[int, _Progress] = {}
        self.teams: dict[int, tuple[str, str]] = {}
        self.events: list[tuple[float, int, int, object]] = []  # events scheduled while running (work done, customer back, relaxation)
        self.booked: list[tuple[float, int, int, object]] = []  # events known up front (``book``)
        self.seq = itertools.count()
        self.policies: dict[int, clock_core.Policy] = {}
        self.calendars: dict[int, Calendar] = {}
        self.tickets_by_id: dict[int, DeskTicket] = {}
        self.rules = [rule for rule, _ in desk.rules]
        self.rule_teams = {rule.id: team for rule, team in desk.rules}
        self.specialists: dict[tuple[str, str, int], int] = {}  # (team, skill, level) → specialists on duty
        self._stamp_of, self._stamp = math.nan, math.nan
        self.start_microseconds = (desk.start - EPOCH) // timedelta(microseconds=1)
        self.facts: dict[tuple[object, ...], tuple[TicketFacts, str]] = {}  # routing input → (facts, team)
        self.ceilings: dict[tuple[str, str, bool], tuple[list[tuple[float, _Agent]], list[int]]] = {}
        self.specialist_keys: dict[str, list[tuple[str, str, int]]] = {}  # team → its keys in ``specialists``

    # -- the event loop ------------------------------------------------------------------------
    def schedule(self, at: float, kind: int, payload: object) -> None:
        heapq.heappush(self.events, (at, kind, next(self.seq), payload))

    def book(self, at: float, kind: int, payload: object) -> None:
        """Schedule an event known before the run (a shift change, an arrival): kept in a list sorted once, not in the heap."""
        self.booked.append((at, kind, next(self.seq), payload))

    def instant(self, seconds: float) -> datetime:
        return self.desk.start + timedelta(seconds=seconds)

    def stamp(self, seconds: float) -> float:
        """``instant(seconds).timestamp()``, remembered for the last instant asked (the loop asks one ``now`` often)."""
        if seconds != self._stamp_of:
            self._stamp_of, self._stamp = seconds, (self.desk.start + timedelta(seconds=seconds)).timestamp()
        return self._stamp

    def run(self, tickets: Sequence[DeskTicket], *, last_arrival: float | None = None) -> None:
        """Play the tickets (in arrival order). ``last_arrival``: the whole desk's last arrival when these
        tickets are a part of it (``simulate``'s parts), which sets how long shifts go on and the calendars' span."""
        last = max((t.arrival_seconds for t in tickets), default=0.0) if last_arrival is None else last_arrival
        until = last + self.desk.drain_days * DAY
        first_day = self.desk.start.astimezone(UTC).date() - timedelta(days=3)
        last_day = self.instant(until).astimezone(UTC).date() + timedelta(days=TABLE_MARGIN_DAYS)
        self.policies = {p: indexed_policy(policy, first=first_day, last=last_day) for p, policy in self.desk.policies.items()}
        self.calendars = {p: policy.calendar for p, policy in self.policies.items()}
        self._schedule_shifts(until=until)
        for ticket in tickets:
            self.book(ticket.arrival_seconds, _ARRIVE, ticket)
        # One order, (time, kind, sequence), over both: the booked list merged with the heap of the rest,
        # which so stays as small as the work in progress (a heap of a million arrivals is slow to pop).
        booked, events = self.booked, self.events
        booked.sort()  # sequences are unique: the payloads are never compared
        position, count = 0, len(booked)
        while True:
            if events and (position == count or events[0] < booked[position]):
                now, kind, _, payload = heapq.heappop(events)
            elif position < count:
                now, kind, _, payload = booked[position]
                position += 1
            else:
                break
            if kind == _ARRIVE:
                assert isinstance(payload, DeskTicket)
                self.arrive(payload, now)
            elif kind == _DONE:
                assert isinstance(payload, int)
                self.work_done(payload, now)
            elif kind == _BACK:
                assert isinstance(payload, int)
                self.customer_back(payload, now)
            elif kind in (_ON, _OFF):
                assert isinstance(payload, int)
                self.shift(payload, now, on=kind == _ON)
            elif kind == _RELAX:
                assert isinstance(payload, int)
                self.relax(payload, now)

    def _schedule_shifts(self, *, until: float) -> None:
        first = self.desk.start.astimezone(UTC).date() - timedelta(days=1)
        days = int(until // DAY) + 3
        for agent in self.desk.agents:
            if agent.shift.always_open:  # round the clock: on duty from the start, never off
                self.book(0.0, _ON, agent.agent_id)
                continue
            for offset in range(days):
                for opens, closes in agent.shift.intervals_on(first + timedelta(days=offset)):
                    begin, end = (opens - self.desk.start).total_seconds(), (closes - self.desk.start).total_seconds()
                    if end <= 0 or begin > until:
                        continue
                    self.book(max(0.0, begin), _ON, agent.agent_id)
                    self.book(end, _OFF, agent.agent_id)

    # -- routing -------------------------------------------------------------------------------
    def route(self, ticket: DeskTicket) -> tuple[TicketFacts, str]:
        """The facts the routing rules see and the team the first matching rule (or the default) sends the ticket to."""
        routed = (ticket.priority, ticket.category, ticket.tier, ticket.lifetime_value, ticket.channel, ticket.language)
        known = self.facts.get(routed)
        if known is None:  # the rules see only these fields here, so tickets alike are routed alike (remembered)
            facts = TicketFacts(
                priority=ticket.priority,
                category=ticket.category,
                tier=ticket.tier,
                lifetime_value=ticket.lifetime_value,
                channel=ticket.channel,
                language=ticket.language,
                subject="",
                body="",
                in_business_hours=True,
            )
            matched = routing_core.matching_rules(self.rules, facts)
            known = (facts, self.rule_teams[matched[0].id] if matched else self.desk.default_team)
            if len(self.facts) < FACTS_KEPT:
                self.facts[routed] = known
        return known

    def arrive(self, ticket: DeskTicket, now: float) -> None:
        facts, team = self.route(ticket)
        skill, min_level = self.desk.skills.get(ticket.category, (ticket.category, 1))
        needs: tuple[SkillNeed, ...] = ()
        if ticket.language != "en":
            needs = (
                SkillNeed(f"lang:{ticket.language}", required=False, priority=2, relax_after_seconds=self.desk.language_timeout_seconds),
            )
        policy = self.desk.policies.get(ticket.priority)
        target = policy.first_response_seconds if policy else 0.0
        due = now + 10 * 365 * DAY
        if policy is not None:
            due = self.due_seconds(self.calendars[ticket.priority], now, target)
        waiting = _Waiting(ticket, team, skill, min_level, needs, facts, due, target)
        self.teams[ticket.ticket_id] = (team, skill)
        if not self.place(waiting, now):
            self.enqueue(waiting, now)
            self.schedule_relaxation(waiting, now)

    def due_seconds(self, calendar: Calendar, now: float, target: float) -> float:
        """``(calendar.add(instant(now), target) - start).total_seconds()``, on timestamps where the table covers it."""
        if isinstance(calendar, IndexedCalendar):
            try:
                due_stamp = calendar.add_stamp(self.stamp(now), target)
            except Uncovered:
                pass
            else:  # the stamp holds the due instant to the microsecond, as the datetime would
                return (round(due_stamp * 1e6) - self.start_microseconds) / 1_000_000
        return (calendar.add(self.instant(now), target) - self.desk.start).total_seconds()

    def kept_needs(self, waiting: _Waiting, now: float) -> list[SkillNeed]:
        """``routing_core.active_skills`` for the ticket now: the same until the next skill is dropped, so asked again only then."""
        if not waiting.needs:
            return []
        waited = now - waiting.ticket.arrival_seconds + 1e-6
        if waiting.kept is not None and waited < waiting.kept_until:
            return waiting.kept
        hold = routing_core.hold_limit_seconds(waiting.target_seconds)
        kept, _ = routing_core.active_skills(waiting.needs, waited_seconds=waited, hold_limit=hold)
        later = routing_core.next_relaxation_seconds(waiting.needs, waited_seconds=waited, hold_limit=hold)
        waiting.kept, waiting.kept_until = kept, math.inf if later is None else later
        return kept

    def slack(self, waiting: _Waiting, now: float) -> float | None:
        """Business seconds left to the first-response due time (negative past it); remembered for the last instant asked."""
        if not waiting.target_seconds:
            return None
        if waiting.slack_at == now:
            return waiting.slack_seconds
        waiting.slack_at, waiting.slack_seconds = now, self._slack(waiting, now)
        return waiting.slack_seconds

    def _slack(self, waiting: _Waiting, now: float) -> float:
        calendar = self.calendars[waiting.ticket.priority]
        if isinstance(calendar, IndexedCalendar):
            if waiting.due_stamp is None:
                waiting.due_stamp = self.instant(waiting.due_seconds).timestamp()
            try:
                if now >= waiting.due_seconds:
                    return -calendar.elapsed_stamps(waiting.due_stamp, self.stamp(now))
                return calendar.elapsed_stamps(self.stamp(now), waiting.due_stamp)
            except Uncovered:
                pass
        if now >= waiting.due_seconds:
            return -calendar.elapsed(self.instant(waiting.due_seconds), self.instant(now))
        return calendar.elapsed(self.instant(now), self.instant(waiting.due_seconds))

    def stand_in(self, waiting: _Waiting, now: float) -> bool:
        if not self.specialist_on_duty(waiting):
            return True
        return routing_core.stand_in_allowed(slack_seconds=self.slack(waiting, now), target_seconds=waiting.target_seconds)

    def specialist_on_duty(self, waiting: _Waiting) -> bool:
        """``routing_core.specialist_on_duty`` over the team's agents on duty (counted once, then kept up as shifts change)."""
        key = (waiting.team, waiting.skill, waiting.min_level)
        found = self.specialists.get(key)
        if found is None:
            found = self.specialists[key] = sum(self.specialist(self.agents[a], key) for a in self.team_agents[waiting.team])
            self.specialist_keys.setdefault(waiting.team, []).append(key)
        return found > 0

    def specialist(self, agent: _Agent, key: tuple[str, str, int]) -> bool:
        """Whether the agent alone is a specialist for (team, skill, level) by ``routing_core.specialist_on_duty``."""
        _, skill, min_level = key
        level = agent.spec.skills.get(skill) if skill else NO_SKILL_NEEDED_LEVEL
        alone = Candidate(
            agent_id=agent.spec.agent_id, skill_level=level, used_units=0.0, capacity_units=0.0, seniority=agent.spec.seniority
        )
        return routing_core.specialist_on_duty([alone], min_level=min_level)

    def candidate(self, agent: _Agent, waiting: _Waiting, units: float) -> Candidate:
        spec = agent.spec
        return Candidate(
            agent_id=spec.agent_id,
            skill_level=spec.skills.get(waiting.skill) if waiting.skill else NO_SKILL_NEEDED_LEVEL,
            used_units=agent.used,
            capacity_units=spec.profile.total_units,
            seniority=spec.seniority,
            performance_score=spec.performance_score,
            idle_since=agent.last_assigned,
            skill_levels=agent.language_levels,
            ticket_units=units,
        )

    def place(self, waiting: _Waiting, now: float) -> bool:
        """Offer the ticket to its team's agents on duty with room: the best ranked takes it.

        The winner is ``routing_core.rank``'s first (``eligible``, then ``rank_key``). Agents are
        gone through from the highest ``score_ceiling`` down, and the search stops where the
        ceiling falls below the best score found, so a big team is not scored agent by agent (nor
        is an agent whose ceiling less their ``routing_core.load_loss`` is below it). Only agents
        on duty with room for the lightest ticket are looked at (the others are not ``eligible``
        for any ticket), so a team mostly off shift or full costs nothing either.
        """
        ticket, facts = waiting.ticket, waiting.facts
        chosen: Candidate | None = None
        chosen_key: tuple[float, float, int] | None = None
        asked = False
        needs: list[SkillNeed] = []
        stand_in = True
        ranked, open_positions = self.by_ceiling(waiting)
        for position in open_positions:
            ceiling, agent = ranked[position]
            if chosen_key is not None:
                if ceiling + CEILING_SLACK < -chosen_key[0]:
                    break
                if ceiling - agent.load_loss + CEILING_SLACK < -chosen_key[0]:
                    continue  # their units in use already put them below the best
            units = agent.units(ticket)
            if agent.used + units > agent.spec.profile.total_units + 1e-9:
                continue
            candidate = self.candidate(agent, waiting, units)
            if not asked:
                needs, stand_in, asked = self.kept_needs(waiting, now), self.stand_in(waiting, now), True
            if routing_core.eligible(candidate, min_level=waiting.min_level, needs=needs, stand_in=stand_in) is not None:
                continue
            key = routing_core.rank_key(candidate, facts)
            if chosen_key is None or key < chosen_key:
                chosen, chosen_key = candidate, key
        if chosen is None:
            return False
        self.assign(waiting, chosen.agent_id, now)
        return True

    def by_ceiling(self, waiting: _Waiting) -> tuple[list[tuple[float, _Agent]], list[int]]:
        """The team's agents (on duty or not) by their ``routing_core.score_ceiling`` for tickets like this one, highest
        first, and the positions in it of those open (on duty with room), in order (kept up by ``reindex``)."""
        key = (waiting.team, waiting.skill, routing_core.important(waiting.facts))
        found = self.ceilings.get(key)
        if found is None:
            members = [agent for agent in self.agents.values() if agent.spec.team == waiting.team]
            ranked = [(routing_core.score_ceiling(self.candidate(agent, waiting, 1.0), waiting.facts), agent) for agent in members]
            ranked.sort(key=lambda pair: -pair[0])
            open_positions = [position for position, (_, agent) in enumerate(ranked) if agent.open]
            for position, (_, agent) in enumerate(ranked):
                agent.slots.append((open_positions, position))
            found = self.ceilings[key] = (ranked, open_positions)
        return found

    def reindex(self, agent: _Agent) -> None:
        """Keep the agent's place in the open positions of ``by_ceiling`` (and their load loss) after their duty or units in use changed."""
        agent.load_loss = routing_core.load_loss(used_units=agent.used, capacity_units=agent.spec.profile.total_units)
        now_open = agent.on_duty and agent.used + agent.lightest_units <= agent.spec.profile.total_units + 1e-9
        if now_open == agent.open:
            return
        agent.open = now_open
        for open_positions, position in agent.slots:
            if now_open:
                bisect.insort(open_positions, position)
            else:
                del open_positions[bisect.bisect_left(open_positions, position)]

    def enqueue(self, waiting: _Waiting, now: float) -> None:
        waiting.version += 1
        self.waiting[waiting.ticket.ticket_id] = waiting
        kept = tuple(sorted(n.skill for n in self.kept_needs(waiting, now)))
        cls: _Class = (waiting.skill, waiting.min_level, (waiting.ticket.channel, waiting.ticket.priority), kept)
        key = routing_core.queue_key(
            self.desk.queue_order,
            priority=waiting.ticket.priority,
            arrived_at=waiting.ticket.arrival_seconds,
            slack_seconds=waiting.due_seconds,  # the due instant orders waiting tickets as their slack does
        )
        heap = self.queues.setdefault(waiting.team, {}).setdefault(cls[2], {}).setdefault(cls, [])
        heapq.heappush(heap, (key, next(self.seq), waiting, waiting.version))

    def schedule_relaxation(self, waiting: _Waiting, now: float) -> None:
        hold = routing_core.hold_limit_seconds(waiting.target_seconds)
        waited = now - waiting.ticket.arrival_seconds + 1e-6
        later = routing_core.next_relaxation_seconds(waiting.needs, waited_seconds=waited, hold_limit=hold)
        if later is not None:
            self.schedule(waiting.ticket.arrival_seconds + later, _RELAX, waiting.ticket.ticket_id)

    def relax(self, ticket_id: int, now: float) -> None:
        waiting = self.waiting.get(ticket_id)
        if waiting is None:
            return  # taken meanwhile
        if self.place(waiting, now):
            return
        self.enqueue(waiting, now)  # the class without the dropped skill; the old entry goes stale
        self.schedule_relaxation(waiting, now)

    def fill(self, agent_id: int, now: float) -> None:
        """An agent on duty with room takes waiting tickets of their team, best first, while they fit."""
        agent = self.agents[agent_id]
        if not agent.on_duty:
            return
        while (waiting := self.take_for(agent, now)) is not None:
            self.assign(waiting, agent_id, now)

    def take_for(self, agent: _Agent, now: float) -> _Waiting | None:
        """The first waiting ticket of the agent's team (by queue key) that ``routing_core.eligible`` lets them take.

        The team's queue classes are kept by their tickets' channel and priority, which give one
        weight for the agent, so the classes whose tickets do not fit the agent's free units are
        passed over together before any head is looked at.
        """
        queues = self.queues.get(agent.spec.team)
        if not queues:
            return None
        best: tuple[tuple[float, ...], int, list[_Entry]] | None = None
        total, used, waiting_now = agent.spec.profile.total_units + 1e-9, agent.used, self.waiting
        emptied: list[tuple[dict[_Class, list[_Entry]], _Class]] = []
        for weighed, classes in queues.items():
            units = agent.units_of(weighed)
            if used + units > total:
                continue
            for cls, heap in classes.items():
                while heap and (heap[0][3] != heap[0][2].version or heap[0][2].ticket.ticket_id not in waiting_now):
                    heapq.heappop(heap)  # stale: taken, or queued again in another class
                if not heap:
                    emptied.append((classes, cls))
                    continue
                key, seq, waiting, _ = heap[0]
                if best is not None and (key, seq) >= best[:2]:
                    continue
                why_not = routing_core.eligible(
                    self.candidate(agent, waiting, units),
                    min_level=waiting.min_level,
                    needs=self.kept_needs(waiting, now),
                    stand_in=self.stand_in(waiting, now),
                )
                if why_not is None:
                    best = (key, seq, heap)
        for classes, cls in emptied:  # the best head wins whatever order the classes are looked at in
            del classes[cls]
        if best is None:
            return None
        return heapq.heappop(best[2])[2]

    # -- work ----------------------------------------------------------------------------------
    def assign(self, waiting: _Waiting, agent_id: int, now: float) -> None:
        self.waiting.pop(waiting.ticket.ticket_id, None)
        agent = self.agents[agent_id]
        units = agent.units(waiting.ticket)
        agent.used += units
        self.reindex(agent)
        agent.last_assigned = now
        work = self.handling(waiting.ticket, agent.spec)
        self.progress[waiting.ticket.ticket_id] = _Progress(agent_id, units, work, now, team=waiting.team)
        self.schedule(now + work.first_response_seconds, _DONE, waiting.ticket.ticket_id)
        self.tickets_by_id[waiting.ticket.ticket_id] = waiting.ticket

    def work_done(self, ticket_id: int, now: float) -> None:
        progress = self.progress[ticket_id]
        ticket = self.tickets_by_id[ticket_id]
        agent = self.agents[progress.agent_id]
        if progress.replied is None:
            progress.replied = now
            if ticket.pending_seconds is not None:
                if agent.spec.profile.pending_frees_units:
                    agent.used -= progress.units
                    self.reindex(agent)
                    self.fill(progress.agent_id, now)
                self.schedule(now + ticket.pending_seconds, _BACK, ticket_id)
                return
            self.schedule(now + progress.work.resolution_seconds, _DONE, ticket_id)
            return
        progress.resolved = now
        agent.used -= progress.units
        self.reindex(agent)
        self.fill(progress.agent_id, now)

    def customer_back(self, ticket_id: int, now: float) -> None:
        progress = self.progress[ticket_id]
        progress.pending_until = now
        agent = self.agents[progress.agent_id]
        if agent.spec.profile.pending_frees_units:
            agent.used += progress.units  # back to the same agent, over capacity if need be
            self.reindex(agent)
        self.schedule(now + progress.work.resolution_seconds, _DONE, ticket_id)

    def shift(self, agent_id: int, now: float, *, on: bool) -> None:
        agent = self.agents[agent_id]
        if agent.on_duty == on:
            return
        agent.on_duty = on
        self.reindex(agent)
        members = self.team_agents[agent.spec.team]
        for key in self.specialist_keys.get(agent.spec.team, ()):
            if self.specialist(agent, key):
                self.specialists[key] += 1 if on else -1
        if on:
            members.append(agent_id)
            self.fill(agent_id, now)
        else:
            members.remove(agent_id)


class IndexedCalendar(Calendar):
    """The same calendar with its opening intervals over a span laid out once as a table, so
    ``add`` and ``elapsed`` are two binary searches instead of a walk day by day (the results
    equal ``Calendar``'s to the microsecond; outside the span it falls back to the walk)."""

    _opens: list[float]
    _closes: list[float]
    _before: list[float]  # business seconds before each interval
    _through: list[float]  # business seconds up to each interval's end

    @classmethod
    def over(cls, calendar: Calendar, *, first: date, last: date) -> IndexedCalendar:
        indexed = cls(time_zone=calendar.time_zone, weekly=calendar.weekly, holidays=calendar.holidays, always_open=calendar.always_open)
        opens: list[float] = []
        closes: list[float] = []
        if not calendar.always_open:
            day = first
            while day <= last:
                for begin, end in calendar.intervals_on(day):
                    b, e = begin.timestamp(), end.timestamp()
                    if closes and b <= closes[-1]:  # touching or overlapping (past midnight): one interval
                        closes[-1] = max(closes[-1], e)
                    else:
                        opens.append(b)
                        closes.append(e)
                day += timedelta(days=1)
        before, through, total = [], [], 0.0
        for b, e in zip(opens, closes, strict=True):
            before.append(total)
            total += e - b
            through.append(total)
        for name, value in (("_opens", opens), ("_closes", closes), ("_before", before), ("_through", through)):
            object.__setattr__(indexed, name, value)
        return indexed

    def _covers(self, stamp: float) -> bool:
        return bool(self._opens) and self._opens[0] <= stamp <= self._closes[-1]

    def _position(self, stamp: float) -> float:
        i = bisect.bisect_right(self._opens, stamp) - 1
        if i < 0:
            return 0.0
        return self._before[i] + min(stamp, self._closes[i]) - self._opens[i]

    def elapsed(self, start: datetime, end: datetime) -> float:
        if self.always_open:
            return super().elapsed(start, end)
        a, b = start.timestamp(), end.timestamp()
        if b <= a:
            return 0.0
        if not (self._covers(a) and self._covers(b)):
            return super().elapsed(start, end)
        return self._position(b) - self._position(a)

    def add(self, start: datetime, seconds: float) -> datetime:
        if self.always_open or seconds <= 0:
            return super().add(start, seconds)
        a = start.timestamp()
        if not self._covers(a):
            return super().add(start, seconds)
        target = self._position(a) + seconds
        j = bisect.bisect_left(self._through, target)
        if j >= len(self._opens):
            return super().add(start, seconds)
        stamp = self._opens[j] + (target - self._before[j])
        if stamp < a:  # start inside interval j: count from start (equal up to rounding)
            stamp = a + seconds
        return datetime.fromtimestamp(round(stamp, 6), UTC)

    # The same two operations on POSIX timestamps (floats), for the replay's hot loop: no datetimes
    # are made. ``add_stamp`` returns what ``add(...).timestamp()`` gives (its datetime holds the
    # rounded stamp to the microsecond); both raise ``Uncovered`` where ``add``/``elapsed`` would
    # fall back to ``Calendar``'s walk (outside the table, or round the clock), so the caller
    # takes the datetime path there.

    def elapsed_stamps(self, a: float, b: float) -> float:
        """``elapsed`` between two timestamps."""
        if b <= a:
            return 0.0
        opens = self._opens
        if self.always_open or not opens or a < opens[0] or b > self._closes[-1]:
            raise Uncovered
        return self._position(b) - self._position(a)

    def add_stamp(self, a: float, seconds: float) -> float:
        """``add(...).timestamp()`` from a timestamp."""
        if seconds <= 0:
            return a
        opens = self._opens
        if self.always_open or not opens or a < opens[0] or a > self._closes[-1]:
            raise Uncovered
        target = self._position(a) + seconds
        j = bisect.bisect_left(self._through, target)
        if j >= len(opens):
            raise Uncovered
        stamp = opens[j] + (target - self._before[j])
        if stamp < a:
            stamp = a + seconds
        return round(stamp, 6)


class Uncovered(Exception):
    """A timestamp an ``IndexedCalendar``'s table does not cover: use the datetime methods instead."""


def indexed_policy(policy: clock_core.Policy, *, first: date, last: date) -> clock_core.Policy:
    """The same policy on an ``IndexedCalendar`` over [first, last] (equal results, much faster in a long replay)."""
    return clock_core.Policy(
        key=policy.key,
        first_response_seconds=policy.first_response_seconds,
        next_response_seconds=policy.next_response_seconds,
        resolution_seconds=policy.resolution_seconds,
        at_risk_ratio=policy.at_risk_ratio,
        calendar=IndexedCalendar.over(policy.calendar, first=first, last=last),
    )


def simulate(desk: Desk, tickets: Iterable[DeskTicket], handling: Handling, *, processes: int = 1) -> list[TicketRecord]:
    """Play the tickets (in arrival order) at the desk and return each one's record, in arrival order.

    ``processes`` > 1 plays groups of teams in that many processes (forked, so ``handling`` may
    be any callable). Teams share no agents and no tickets — a ticket's team is decided by the
    rules on arrival, and an agent only ever works their own team's tickets — and each part keeps
    the whole desk's span and its events' relative order, so the records are the same as in one
    process (``tests/escalation/test_whatif_replay.py`` checks it). A desk of one team stays in one.
    """
    ordered = sorted(tickets, key=lambda t: (t.arrival_seconds, t.ticket_id))
    last = max((t.arrival_seconds for t in ordered), default=0.0)
    parts = _team_parts(desk, ordered, handling, processes) if processes > 1 else []
    if len(parts) < 2:
        simulation = _Simulation(desk, handling)
        with _collector_paused():
            simulation.run(ordered, last_arrival=last)
        return _records(simulation, ordered, end=max(last, _last_resolved(simulation)))
    return _simulate_parts(parts, handling, ordered, last=last)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """The cyclic garbage collector off for the run: what it makes is freed by reference counting (the next
    collection after it still finds any cycle), and the millions of objects alive meanwhile (the records, the
    history around them) would be gone through again and again (about a tenth of a replay at ``--scale 40``)."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _last_resolved(simulation: _Simulation) -> float:
    return max([0.0] + [p.resolved for p in simulation.progress.values() if p.resolved is not None])


def _records(simulation: _Simulation, ordered: Sequence[DeskTicket], *, end: float) -> list[TicketRecord]:
    end_stamp = simulation.instant(end).timestamp()
    return [_record(simulation, ticket, simulation.policies, end=end, end_stamp=end_stamp) for ticket in ordered]


def _team_parts(desk: Desk, ordered: Sequence[DeskTicket], handling: Handling, processes: int) -> list[tuple[Desk, list[DeskTicket]]]:
    """The desk cut into at most ``processes`` groups of whole teams, about equal in tickets (each part: its agents, its tickets)."""
    router = _Simulation(desk, handling)
    by_team: dict[str, list[DeskTicket]] = {}
    for ticket in ordered:
        by_team.setdefault(router.route(ticket)[1], []).append(ticket)
    for agent in desk.agents:
        by_team.setdefault(agent.team, [])
    groups: list[list[str]] = [[] for _ in range(min(processes, len(by_team)))]
    loads = [0] * len(groups)
    for team in sorted(by_team, key=lambda t: (-len(by_team[t]), t)):  # the biggest first, each to the lightest group
        lightest = loads.index(min(loads))
        groups[lightest].append(team)
        loads[lightest] += len(by_team[team])
    parts = []
    for group in groups:
        teams = set(group)
        tickets = sorted((t for team in group for t in by_team[team]), key=lambda t: (t.arrival_seconds, t.ticket_id))
        parts.append((replace(desk, agents=[a for a in desk.agents if a.team in teams]), tickets))
    return [part for part in parts if part[1]]


def _play_part(connection: Connection, desk: Desk, tickets: Sequence[DeskTicket], handling: Handling, last: float) -> None:
    """A child process's part: play it, send the latest resolution, wait for the desk's end, send the records."""
    try:
        simulation = _Simulation(desk, handling)
        with _collector_paused():
            simulation.run(tickets, last_arrival=last)
            connection.send(("resolved", _last_resolved(simulation)))
            end = connection.recv()
            connection.send(("records", _records(simulation, tickets, end=end)))
    except BaseException as exc:  # noqa: BLE001 - the parent re-raises it
        connection.send(("error", f"{type(exc).__name__}: {exc}\n{traceback.format_exc()}"))
    finally:
        connection.close()


def _simulate_parts(
    parts: Sequence[tuple[Desk, list[DeskTicket]]], handling: Handling, ordered: Sequence[DeskTicket], *, last: float
) -> list[TicketRecord]:
    """Play the first part here and each other one in a forked child; the records merged back in arrival order."""
    context = multiprocessing.get_context("fork")
    children = []
    for part_desk, part_tickets in parts[1:]:
        ours, theirs = context.Pipe()
        child = context.Process(target=_play_part, args=(theirs, part_desk, part_tickets, handling, last), daemon=True)
        child.start()
        theirs.close()
        children.append((child, ours))

    def answer(connection: Connection, expected: str) -> Any:
        kind, value = connection.recv()
        if kind != expected:
            raise RuntimeError(f"a part of the desk simulation failed: {value}")
        return value

    try:
        first_desk, first_tickets = parts[0]
        simulation = _Simulation(first_desk, handling)
        with _collector_paused():
            simulation.run(first_tickets, last_arrival=last)
            resolved = [_last_resolved(simulation)] + [answer(ours, "resolved") for _, ours in children]
            end = max(last, *resolved)
            for _, ours in children:
                ours.send(end)
            by_id = {r.ticket_id: r for r in _records(simulation, first_tickets, end=end)}
            for _, ours in children:
                by_id.update((r.ticket_id, r) for r in answer(ours, "records"))
    finally:
        for child, ours in children:
            ours.close()
            child.join(timeout=5)
            if child.is_alive():
                child.kill()
    return [by_id[t.ticket_id] for t in ordered]


@dataclass(frozen=True, slots=True)
class _Outcome:
    """The SLA figures a ``TicketRecord`` keeps from a ticket's clock replay."""

    first_response_business_seconds: float | None
    resolution_business_seconds: float | None
    pause_business_seconds: float
    first_response_breached: bool
    next_response_breached: bool
    resolution_breached: bool
    first_response_at_risk: bool


def _outcome_by_replay(
    simulation: _Simulation, ticket: DeskTicket, progress: _Progress | None, policy: clock_core.Policy | None, *, end: float
) -> _Outcome:
    """The ticket's story (created, replied, pending, customer wrote, resolved) played through ``clock_core.replay``."""
    instant = simulation.instant
    events = [clock_core.ClockEvent(clock_core.CREATED, instant(ticket.arrival_seconds))]
    if progress is not None and progress.replied is not None:
        events.append(clock_core.ClockEvent(clock_core.AGENT_REPLIED, instant(progress.replied)))
        if progress.pending_until is not None:
            events.append(clock_core.ClockEvent(clock_core.PAUSED, instant(progress.replied)))
            events.append(clock_core.ClockEvent(clock_core.CUSTOMER_WROTE, instant(progress.pending_until)))
        if progress.resolved is not None:
            events.append(clock_core.ClockEvent(clock_core.AGENT_REPLIED, instant(progress.resolved)))
            events.append(clock_core.ClockEvent(clock_core.RESOLVED, instant(progress.resolved)))
    outcome = clock_core.replay(events, policy=policy, until=instant(end))
    first = outcome.runs_of(clock_core.FIRST_RESPONSE)
    clocks = outcome.clocks
    return _Outcome(
        first_response_business_seconds=clocks.first_response_seconds,
        resolution_business_seconds=clocks.resolution_seconds,
        pause_business_seconds=clocks.paused_seconds,
        first_response_breached=any(run.breached for run in first),
        next_response_breached=any(run.breached for run in outcome.runs_of(clock_core.NEXT_RESPONSE)),
        resolution_breached=any(run.breached for run in outcome.runs_of(clock_core.RESOLUTION)),
        first_response_at_risk=any(run.at_risk_at is not None for run in first),
    )


def _outcome_by_stamps(
    simulation: _Simulation, ticket: DeskTicket, progress: _Progress | None, policy: clock_core.Policy | None, *, end_stamp: float
) -> _Outcome:
    """What ``_outcome_by_replay`` gives, worked out on timestamps on the policy's ``IndexedCalendar``.

    The story here has one shape (created; first reply; optionally pending from the reply until
    the customer wrote; the resolving reply), so the clock rules reduce to a few calendar steps,
    taken in the order ``clock_core.replay`` takes them (the same floats, the same comparisons):

    * created at c: first response due fd = add(c, first target), resolution due rd = add(c,
      resolution target); the first-response clock turns at risk at ``clock_core.at_risk_at``
      seen from c, if that comes no later than the reply (or the end);
    * the first reply at r stops it (breached when r > fd; its business time elapsed(c, r));
    * pending from r to p: the resolution clock keeps elapsed(r, rd), pauses elapsed(r, p) and
      runs again due add(p, kept); the customer's answer starts the next-response clock, due
      add(p, next target), which the resolving reply stops;
    * resolved at z: elapsed(c, z) less the pause, breached when z > its due time.

    Raises ``Uncovered`` where that does not hold (no policy, a round-the-clock calendar, a time
    outside the calendar's table): the caller replays through the clock core instead.
    ``tests/escalation/test_desk_core.py`` checks the two agree on every ticket of whole histories.
    """
    if policy is None:
        raise Uncovered
    calendar = policy.calendar
    if not isinstance(calendar, IndexedCalendar):
        raise Uncovered
    add, elapsed = calendar.add_stamp, calendar.elapsed_stamps
    stamp = simulation.stamp
    c = stamp(ticket.arrival_seconds)
    first_target = policy.first_response_seconds
    first_due = add(c, first_target)
    resolution_due = add(c, policy.resolution_seconds)
    margin = (1 - policy.at_risk_ratio) * first_target
    remaining = elapsed(c, first_due)
    risk_at = c if remaining <= margin else add(c, remaining - margin)
    if progress is None or progress.replied is None:
        return _Outcome(
            first_response_business_seconds=None,
            resolution_business_seconds=None,
            pause_business_seconds=0.0,
            first_response_breached=end_stamp > first_due,
            next_response_breached=False,
            resolution_breached=end_stamp > resolution_due,
            first_response_at_risk=risk_at <= end_stamp,
        )
    r = stamp(progress.replied)
    first_business = elapsed(c, r)
    paused = 0.0
    next_breached = False
    if progress.pending_until is not None:
        p = stamp(progress.pending_until)
        kept = elapsed(r, resolution_due)
        paused = 0.0 + elapsed(r, p)
        resolution_due = add(p, kept)
        next_due = add(p, policy.next_response_seconds)
        next_breached = (stamp(progress.resolved) if progress.resolved is not None else end_stamp) > next_due
    resolution_business = None
    if progress.resolved is not None:
        z = stamp(progress.resolved)
        resolution_business = max(0.0, elapsed(c, z) - paused)
        resolution_breached = z > resolution_due
    else:
        resolution_breached = end_stamp > resolution_due
    return _Outcome(
        first_response_business_seconds=first_business,
        resolution_business_seconds=resolution_business,
        pause_business_seconds=paused,
        first_response_breached=r > first_due,
        next_response_breached=next_breached,
        resolution_breached=resolution_breached,
        first_response_at_risk=risk_at <= r,
    )


def _record(
    simulation: _Simulation, ticket: DeskTicket, policies: Mapping[int, clock_core.Policy], *, end: float, end_stamp: float
) -> TicketRecord:
    team, skill = simulation.teams.get(ticket.ticket_id, ("", ""))
    progress = simulation.progress.get(ticket.ticket_id)
    policy = policies.get(ticket.priority)
    try:
        outcome = _outcome_by_stamps(simulation, ticket, progress, policy, end_stamp=end_stamp)
    except Uncovered:
        outcome = _outcome_by_replay(simulation, ticket, progress, policy, end=end)
    return TicketRecord(
        ticket_id=ticket.ticket_id,
        arrival_seconds=ticket.arrival_seconds,
        category=ticket.category,
        priority=ticket.priority,
        channel=ticket.channel,
        language=ticket.language,
        team=team,
        required_skill=skill,
        agent_id=progress.agent_id if progress else None,
        assigned_seconds=progress.assigned if progress else None,
        first_response_seconds=progress.replied if progress else None,
        pending_from_seconds=progress.replied if progress and progress.pending_until is not None else None,
        pending_until_seconds=progress.pending_until if progress else None,
        resolved_seconds=progress.resolved if progress else None,
        first_response_business_seconds=outcome.first_response_business_seconds,
        resolution_business_seconds=outcome.resolution_business_seconds,
        pause_business_seconds=outcome.pause_business_seconds,
        first_response_breached=outcome.first_response_breached,
        next_response_breached=outcome.next_response_breached,
        resolution_breached=outcome.resolution_breached,
        first_response_at_risk=outcome.first_response_at_risk,
    )
