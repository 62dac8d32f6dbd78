"""Routing and assignment: rules, then the best qualified available agent, atomically.

``route_ticket`` evaluates the admin-edited rules (``agents.routing_core``), applies their
actions, and offers the ticket to candidates best first. Each offer locks the agent's row
(``select_for_update``) and re-counts the units their open tickets hold inside the lock, so
concurrent routings never push an agent over capacity and an agent who just went offline is
skipped. Manual assignment by supervisors goes through the same ``assign_ticket``.

Capacity is in units (``CapacityProfile``; no profile = ``Agent.capacity`` open tickets).
Only tickets whose clock runs hold units when the profile says pending frees them; a ticket
that comes back from the customer stays with its owner even over capacity, and the owner
gets nothing new until they are under again. A rule's optional skills are dropped after
their timeouts, counted from when the ticket joined the queue (``routing["waiting_since"]``),
again from the requeue when a ticket comes back unassigned (``waiting_since_for``).

A waiting ticket within an hour of its SLA target that fits nobody holds the agents closest to
fitting it (``AgentReservation``, ``routing_core.should_reserve`` / ``pick_reservation``, the
rule the simulated router follows): they are offered nothing else until one of them has room.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from agents import events, routing_core
from agents.models import Agent, AgentReservation, AgentShift, AgentSkill, Availability, RoutingRule, Team
from foundation import config_cache
from foundation.calendars import cached_calendar, default_calendar
from foundation.queue import enqueue_on_commit
from tickets.models import OPEN_STATUSES, SLA_FIELDS, Priority, Ticket, TicketEvent, TicketStatus, lock_ticket
from tickets.services import set_priority

logger = logging.getLogger(__name__)

ROUTABLE_STATUSES = (TicketStatus.NEW, TicketStatus.TRIAGED)
UNSTARTED_STATUSES = (TicketStatus.ASSIGNED,)
PENDING_STATUSES = (TicketStatus.PENDING_CUSTOMER,)  # the SLA clock stands still: no units held under a profile that says so


class AssignmentError(ValidationError):
    """The agent cannot take this ticket right now; the message says why."""


def in_business_hours(at: datetime) -> bool:
    """Open in the default business calendar (admin); without one, ``BUSINESS_HOURS_*`` on weekdays in ``TIME_ZONE``."""
    calendar = default_calendar()
    if calendar is not None:
        return calendar.is_open(at)
    local = at.astimezone(ZoneInfo(settings.TIME_ZONE))
    start, end = settings.BUSINESS_HOURS
    return local.weekday() < 5 and start <= local.hour < end


def on_shift(agent: Agent, at: datetime, shifts: list[AgentShift]) -> bool:
    """Agents without shifts are on shift whenever they are online."""
    if not shifts:
        return True
    try:
        local = at.astimezone(ZoneInfo(agent.time_zone))
    except (KeyError, ValueError):
        local = at
    now = local.time()
    return any(s.weekday == local.weekday() and s.starts_at <= now < s.ends_at for s in shifts)


def open_ticket_count(agent: Agent) -> int:
    return Ticket.objects.filter(assignee=agent, status__in=OPEN_STATUSES).count()


def open_ticket_counts(agent_ids: Iterable[int]) -> dict[int, int]:
    """Open tickets per agent, counted on the (assignee, status, …) index.

    Not a ``Count`` annotation on the agents: that joins every ticket the agents ever had,
    and at a million tickets it took a second per routing decision.
    """
    rows = (
        Ticket.objects.filter(assignee_id__in=list(agent_ids), status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return dict(rows)


def units_in_use(agents: Mapping[int, Agent]) -> dict[int, float]:
    """Units each agent's open tickets hold under their capacity profile, in one grouped query."""
    rows = (
        Ticket.objects.filter(assignee_id__in=list(agents), status__in=OPEN_STATUSES)
        .order_by()
        .values("assignee_id", "channel", "priority", "status")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "channel", "priority", "status", "n")
    )
    used = dict.fromkeys(agents, 0.0)
    specs = {pk: agent.capacity_spec() for pk, agent in agents.items()}
    for agent_id, channel, priority, status, n in rows:
        spec = specs[agent_id]
        if status in PENDING_STATUSES and spec.pending_frees_units:
            continue
        used[agent_id] += n * spec.units(channel=channel, priority=priority)
    return used


HAND_OUT_WINDOW = timedelta(minutes=1)


def assignments_last_minute(agent_ids: Iterable[int], at: datetime) -> dict[int, int]:
    """Tickets each agent was handed in the minute before ``at`` (and still holds), for the fair hand-out limit."""
    rows = (
        Ticket.objects.filter(assignee_id__in=list(agent_ids), assigned_at__gt=at - HAND_OUT_WINDOW)
        .order_by()
        .values("assignee_id")
        .annotate(n=Count("id"))
        .values_list("assignee_id", "n")
    )
    return dict(rows)


def ticket_units(ticket: Ticket, agent: Agent) -> float:
    """What this ticket weighs for this agent (1 without a profile)."""
    return agent.capacity_spec().units(channel=ticket.channel, priority=ticket.priority)


def _facts(ticket: Ticket, at: datetime) -> routing_core.TicketFacts:
    return routing_core.TicketFacts(
        priority=ticket.priority,
        category=ticket.category.slug if ticket.category else None,
        tier=ticket.customer.tier,
        lifetime_value=float(ticket.customer.lifetime_value),
        channel=ticket.channel,
        language=ticket.language,
        subject=ticket.subject,
        body=ticket.body,
        in_business_hours=in_business_hours(at),
    )


def rule_spec(rule: RoutingRule, category_slugs: list[str]) -> routing_core.RuleSpec:
    return routing_core.RuleSpec(
        id=rule.pk,
        name=rule.name,
        categories=frozenset(category_slugs),
        priorities=frozenset(int(p) for p in rule.priorities),
        tiers=frozenset(rule.customer_tiers),
        channels=frozenset(rule.channels),
        languages=frozenset(rule.languages),
        pattern=rule.keyword_pattern,
        business_hours=rule.business_hours,
        continue_matching=rule.continue_matching,
    )


def enabled_rules() -> list[tuple[RoutingRule, routing_core.RuleSpec]]:
    """Enabled rules in order with their specs, cached per process until a rule changes."""

    def load() -> list[tuple[RoutingRule, routing_core.RuleSpec]]:
        rules = list(
            RoutingRule.objects.filter(enabled=True)
            .prefetch_related("categories", "skills__skill")
            .select_related("team", "required_skill")
        )
        return [(rule, rule_spec(rule, [c.slug for c in rule.categories.all()])) for rule in rules]

    return config_cache.cached("routing", "enabled_rules", load)


def _candidates(
    *, ticket: Ticket, team_id: int | None, skill_id: int | None, extra_skills: Iterable[str], at: datetime, exclude: set[int]
) -> tuple[list[routing_core.Candidate], dict[int, Agent], dict[int, str]]:
    """Online agents of the team (or anyone, without a team) with their units in use and skill levels, in five queries."""
    agents_qs = (
        Agent.objects.select_related("user", "capacity_profile", "reservation")
        .filter(availability=Availability.ONLINE)
        .exclude(pk__in=exclude)
    )
    if team_id is not None:
        agents_qs = agents_qs.filter(teams=team_id)
    agents = {agent.pk: agent for agent in agents_qs.prefetch_related("shifts")}
    used = units_in_use(agents)
    limited = [pk for pk, agent in agents.items() if agent.capacity_spec().max_assignments_per_minute]
    recent = assignments_last_minute(limited, at) if limited else {}
    levels = dict(AgentSkill.objects.filter(agent_id__in=agents, skill_id=skill_id).values_list("agent_id", "level")) if skill_id else {}
    extra: dict[int, dict[str, int]] = {}
    extra_slugs = sorted(set(extra_skills))
    if extra_slugs:
        rows = AgentSkill.objects.filter(agent_id__in=agents, skill__slug__in=extra_slugs).values_list("agent_id", "skill__slug", "level")
        for agent_id, slug, level in rows:
            extra.setdefault(agent_id, {})[slug] = level
    candidates, off_shift = [], {}
    for agent in agents.values():
        if not on_shift(agent, at, list(agent.shifts.all())):
            off_shift[agent.pk] = "off shift"
            continue
        candidates.append(
            routing_core.Candidate(
                agent_id=agent.pk,
                skill_level=levels.get(agent.pk) if skill_id else 5,
                used_units=used.get(agent.pk, 0.0),
                capacity_units=agent.capacity_spec().total_units,
                seniority=agent.seniority,
                performance_score=agent.performance_score,
                idle_since=agent.last_assigned_at.timestamp() if agent.last_assigned_at else 0.0,
                skill_levels=extra.get(agent.pk, {}),
                ticket_units=ticket_units(ticket, agent),
                assignments_last_minute=recent.get(agent.pk, 0),
                max_assignments_per_minute=agent.capacity_spec().max_assignments_per_minute,
            )
        )
    return candidates, agents, off_shift


class _Unavailable(Exception):
    pass


def _lock_and_assign(
    ticket: Ticket, agent_id: int, *, by: Any, reason: dict[str, Any], event_kind: str, hand_out_limit: bool = True
) -> Agent | None:
    """Take the ticket for the agent if they are still online, under capacity and (routing only) under their hand-out rate
    and not held for another waiting ticket (``AgentReservation``).

    Runs in a savepoint: when the agent cannot take it, rolling back releases the agent's
    row lock at once, so routings that try agents in different orders never deadlock.
    """
    try:
        with transaction.atomic():
            agent = (
                Agent.objects.select_for_update(of=("self",))
                .select_related("user", "capacity_profile", "reservation")
                .filter(pk=agent_id)
                .first()
            )
            if agent is None or agent.availability != Availability.ONLINE:
                raise _Unavailable
            # Counted inside the agent's row lock: a parallel assignment to them waits for this one to commit.
            used = units_in_use({agent.pk: agent})[agent.pk]
            spec = agent.capacity_spec()
            if used + ticket_units(ticket, agent) > spec.total_units + 1e-9:
                raise _Unavailable
            limit = spec.max_assignments_per_minute
            if hand_out_limit and limit and assignments_last_minute([agent.pk], timezone.now()).get(agent.pk, 0) >= limit:
                raise _Unavailable
            hold = reservation_of(agent)  # read with the lock: a hold placed meanwhile is seen
            if hand_out_limit and hold is not None and hold.ticket_id != ticket.pk and holds_for_others([agent.pk], ticket_id=ticket.pk):
                raise _Unavailable  # held for an urgent ticket that fits nobody else
            _assign(ticket, agent, by=by, reason=reason, event_kind=event_kind)
            return agent
    except _Unavailable:
        return None


def _assign(ticket: Ticket, agent: Agent, *, by: Any, reason: dict[str, Any], event_kind: str) -> None:
    now = timezone.now()
    held_agents = (ticket.routing or {}).get("reserved_agent_ids")  # holds are recorded in the queued routing reason
    previous = ticket.assignee_id
    ticket.assignee = agent
    ticket.assigned_at = now
    if ticket.status in ROUTABLE_STATUSES:
        ticket.status = TicketStatus.ASSIGNED
    ticket.routing = reason
    ticket.save(
        update_fields=[
            *("assignee", "assigned_at", "status", "routing", "team", "priority", "tags", "escalation_requested", "updated_at"),
            *SLA_FIELDS,
        ]
    )
    Agent.objects.filter(pk=agent.pk).update(last_assigned_at=now)
    if held_agents:
        AgentReservation.objects.filter(ticket_id=ticket.pk).delete()  # served: every agent held for it is free again
    TicketEvent.objects.create(
        ticket=ticket, actor=by, kind=event_kind, detail={"agent_id": agent.pk, "agent": str(agent), "from_agent_id": previous, **reason}
    )
    events.ticket_assigned.announce(ticket=ticket, agent=agent, by=by, at=now)


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def reservation_of(agent: Agent) -> AgentReservation | None:
    """The agent's hold, read with ``select_related("reservation")`` (no query)."""
    try:
        return agent.reservation
    except AgentReservation.DoesNotExist:
        return None


def holds_for_others(agent_ids: Iterable[int], *, ticket_id: int) -> dict[int, int]:
    """Agent id → the other waiting ticket each is held for (``AgentReservation``); holds of tickets no longer waiting go."""
    rows = list(
        AgentReservation.objects.filter(agent_id__in=list(agent_ids))
        .exclude(ticket_id=ticket_id)
        .values_list("agent_id", "ticket_id", "ticket__assignee_id", "ticket__status")
    )
    stale = [agent_id for agent_id, _, assignee, status in rows if assignee is not None or status not in ROUTABLE_STATUSES]
    if stale:
        AgentReservation.objects.filter(agent_id__in=stale).delete()
    return {agent_id: held for agent_id, held, assignee, status in rows if agent_id not in stale}


def _reserve(ticket: Ticket, candidates: list[routing_core.Candidate], *, min_level: int, needs: list[routing_core.SkillNeed]) -> list[int]:
    """Hold agents for a queued urgent ticket that fits nobody, as the simulated router does; the ids held."""
    held = list(AgentReservation.objects.filter(ticket_id=ticket.pk).values_list("agent_id", flat=True))
    if held:
        return held  # kept until one of them takes it (or goes off duty)
    chosen = routing_core.pick_reservation(candidates, min_level=min_level, needs=needs)
    AgentReservation.objects.bulk_create(
        [AgentReservation(agent_id=c.agent_id, ticket_id=ticket.pk) for c in chosen], ignore_conflicts=True
    )  # an agent held meanwhile by another ticket stays theirs
    return list(AgentReservation.objects.filter(ticket_id=ticket.pk).values_list("agent_id", flat=True))


def waiting_since_for(ticket: Ticket) -> datetime | None:
    """When the ticket's current wait in the queue began, or None when it has not waited yet (this offer starts it).

    The wait is the last queued routing's ``waiting_since``, unless the ticket was assigned since (routing
    recorded the hand-out, or someone took it: ``assigned_at`` is later) and came back to the queue (its agent
    went offline or was removed, an escalation or a team change took it away): a requeued ticket starts a
    new wait, so its optional skills are asked for again and relax on their timeouts from the requeue. Its
    SLA clocks are the ticket's own and go on as before: the slack that orders the queue is unchanged.
    """
    routing = ticket.routing if isinstance(ticket.routing, dict) else {}
    since = _parse_time(routing.get("waiting_since"))
    if since is None or not str(routing.get("why", "")).startswith("queued"):
        return None
    if ticket.assigned_at is not None and ticket.assigned_at > since:
        return None
    return since


def route_ticket(*, ticket: Ticket) -> Ticket:
    """Apply routing rules, then assign the best qualified available agent, or queue with the reason.

    Tickets awaiting a human triage decision, already assigned or closed are left alone.
    """
    with transaction.atomic():
        locked = lock_ticket(ticket.pk)
        if locked is None:
            return ticket
        return route_locked(locked)


def route_locked(ticket: Ticket, *, keep_team: bool = False) -> Ticket:
    """``route_ticket`` for a ticket the caller has locked (in its transaction) with its customer and category.

    ``keep_team``: the ticket was just moved to its team on purpose (an escalation's
    reassignment); route within that team instead of the category's or the rules'.
    """
    if ticket.assignee_id or ticket.status not in ROUTABLE_STATUSES:
        return ticket
    at = timezone.now()
    facts = _facts(ticket, at)
    rules = enabled_rules()
    matched = routing_core.matching_rules([spec for _, spec in rules], facts)
    matched_ids = {spec.id for spec in matched}
    applied = [rule for rule, spec in rules if spec.id in matched_ids]

    team = ticket.category.team if ticket.category else None
    skill = ticket.category.skill if ticket.category else None
    min_level, pinned_agent = 1, None
    needs: dict[str, routing_core.SkillNeed] = {}
    # Priority, tags and escalation marks are applied once; later re-offers only re-pick an agent.
    first_time = "rules" not in ticket.routing
    for rule in applied:
        team = rule.team or team
        skill = rule.required_skill or skill
        min_level = max(min_level, rule.min_skill_level)
        pinned_agent = rule.assign_agent_id or pinned_agent
        for rule_skill in rule.skills.all():
            needs.setdefault(rule_skill.skill.slug, rule_skill.spec())  # an earlier rule's wording of a skill wins
        if not first_time:
            continue
        if rule.set_priority is not None:
            set_priority(ticket, priority=rule.set_priority, now=at, source=f"routing rule {rule.name}")
        elif rule.raise_priority_by:
            raised = max(Priority.P0, ticket.priority - rule.raise_priority_by)
            set_priority(ticket, priority=raised, now=at, source=f"routing rule {rule.name}")
        ticket.tags = sorted(set(ticket.tags) | set(rule.add_tags))
        ticket.escalation_requested = ticket.escalation_requested or rule.mark_for_escalation
    if ticket.needs_triage and not keep_team:
        # Low confidence: a person confirms the category first. The rules' priority, tags,
        # escalation marks and team apply now (that team does the human triage); only the
        # assignment waits.
        rule_team = next((rule.team for rule in reversed(applied) if rule.team is not None), None)
        if rule_team is not None and ticket.team_id != rule_team.pk:
            ticket.team = rule_team
            events.team_changed.announce(ticket=ticket, at=at)
        if first_time:
            ticket.routing = {
                "at": at.isoformat(),
                "rules": [rule.name for rule in applied],
                "why": "waiting for a person to confirm the category",
            }
            ticket.save(update_fields=["priority", "team", "tags", "escalation_requested", "routing", "updated_at", *SLA_FIELDS])
        return ticket
    if keep_team:
        team = ticket.team
    if ticket.team_id != (team.pk if team else None):
        ticket.team = team
        events.team_changed.announce(ticket=ticket, at=at)  # a team may have a policy of its own
    facts = _facts(ticket, at)  # priority may have changed

    # Optional skills relax with the time the ticket has waited since it last joined the queue (``waiting_since``).
    waiting_since = waiting_since_for(ticket) or at
    # The first-response target bounds how long optional skills hold the ticket and when a senior may stand in.
    slack = sla_slack_seconds(ticket, at)
    policy = ticket.sla_policy
    target = policy.first_response_minutes * 60.0 if policy is not None and ticket.first_response_at is None else None
    kept, dropped = routing_core.active_skills(
        list(needs.values()), waited_seconds=(at - waiting_since).total_seconds(), hold_limit=routing_core.hold_limit_seconds(target)
    )
    reason: dict[str, Any] = {
        "at": at.isoformat(),
        "rules": [rule.name for rule in applied],
        "team": team.name if team else None,
        "skill": skill.slug if skill else None,
        "min_level": min_level,
        "waiting_since": waiting_since.isoformat(),
        "skills": [{"skill": n.skill, "min_level": n.min_level, "required": n.required, "priority": n.priority} for n in kept],
        "dropped_skills": [
            {"skill": d.skill, "after_seconds": d.after_seconds, "at": (waiting_since + timedelta(seconds=d.after_seconds)).isoformat()}
            for d in dropped
        ],
    }
    tried: set[int] = set()
    if pinned_agent is not None:
        reason["pinned_agent_id"] = pinned_agent
        if _lock_and_assign(ticket, pinned_agent, by=None, reason={**reason, "why": "assigned by rule"}, event_kind="assigned"):
            return ticket
        tried.add(pinned_agent)

    candidates, agents, skipped = _candidates(
        ticket=ticket,
        team_id=team.pk if team else None,
        skill_id=skill.pk if skill else None,
        extra_skills=[n.skill for n in kept],
        at=at,
        exclude=tried,
    )
    stand_in = routing_core.stand_in_allowed(slack_seconds=slack, target_seconds=target) or not routing_core.specialist_on_duty(
        candidates, min_level=min_level
    )
    # An agent held for another waiting ticket takes nothing else until that one fits (the simulated router's rule).
    holding = [pk for pk, agent in agents.items() if (hold := reservation_of(agent)) is not None and hold.ticket_id != ticket.pk]
    held = holds_for_others(holding, ticket_id=ticket.pk) if holding else {}  # a query only when someone is held
    skipped.update({agent_id: f"held for waiting ticket {other} (urgent, fits nobody yet)" for agent_id, other in held.items()})
    free = [c for c in candidates if c.agent_id not in held]
    ranked, ineligible = routing_core.rank(free, facts, min_level=min_level, needs=kept, stand_in=stand_in)
    skipped.update(ineligible)
    reason["candidates"] = [{"agent_id": s.candidate.agent_id, "score": s.score, "parts": s.parts} for s in ranked[:10]]
    reason["skipped"] = {str(agent_id): why for agent_id, why in list(skipped.items())[:20]}
    for scored in ranked:
        why = f"best available: score {scored.score:.2f} ({scored.explain()})"
        if dropped:
            why += "; optional skills dropped: " + ", ".join(f"{d.skill} after {d.after_seconds:g} s" for d in dropped)
        if _lock_and_assign(ticket, scored.candidate.agent_id, by=None, reason={**reason, "why": why}, event_kind="assigned"):
            return ticket
        reason.setdefault("lost_race", []).append(scored.candidate.agent_id)

    reason["why"] = (
        "queued: no online agent with the skill and free capacity" if not ranked else "queued: every candidate filled up meanwhile"
    )
    if not ranked and routing_core.should_reserve(slack_seconds=slack):
        reserved = _reserve(ticket, free, min_level=min_level, needs=kept)
        if reserved:
            reason["reserved_agent_ids"] = sorted(reserved)
            reason["why"] += f"; holding agent(s) {', '.join(map(str, sorted(reserved)))} for it (SLA target within the hour)"
    # The waiting sweep re-offers queued tickets every minute: record a change, not every attempt.
    unchanged = (
        ticket.routing.get("why") == reason["why"]
        and ticket.routing.get("team") == reason["team"]
        and ticket.routing.get("waiting_since") is not None
        and ticket.routing.get("dropped_skills") == reason["dropped_skills"]
        and ticket.routing.get("reserved_agent_ids") == reason.get("reserved_agent_ids")
        and ticket.team_id == (team.pk if team else None)
    )
    if not unchanged or first_time:
        ticket.routing = reason
        ticket.save(update_fields=["team", "priority", "tags", "escalation_requested", "routing", "updated_at", *SLA_FIELDS])
    if not unchanged:
        TicketEvent.objects.create(ticket=ticket, kind="queued", detail=reason)
    return ticket


def change_team(*, ticket: Ticket, team: Team, by: Any) -> Ticket:
    """A person moves a ticket to another team: its SLA policy may change (``team_changed``), audited.

    An assignee who is not in the new team lets go of it: the ticket goes back to the new
    team's queue and is offered to its best available agent, as an escalation's reassignment does.
    """
    with transaction.atomic():
        locked = lock_ticket(ticket.pk)
        if locked is None:
            raise ValidationError({"team": "The ticket no longer exists."})
        if locked.team_id == team.pk:
            return locked
        if locked.status not in OPEN_STATUSES:
            raise ValidationError({"team": f"Ticket {locked.reference} is {locked.get_status_display().lower()}; reopen it first."})
        old = locked.team.name if locked.team else None
        at = timezone.now()
        locked.team = team
        events.team_changed.announce(ticket=locked, at=at)
        released = locked.assignee_id is not None and not team.agents.filter(pk=locked.assignee_id).exists()
        if released:
            locked.assignee = None
            locked.assigned_at = None
            locked.routing = {key: value for key, value in locked.routing.items() if key != "waiting_since"}  # a new wait
            if locked.status in (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS):
                locked.status = TicketStatus.TRIAGED
        locked.save(update_fields=["team", "assignee", "assigned_at", "status", "routing", "updated_at", *SLA_FIELDS])
        TicketEvent.objects.create(
            ticket=locked, actor=by, kind="team_changed", detail={"from": old, "to": team.name, "assignee_released": released}
        )
        route_locked(locked, keep_team=True)
    return locked


def assign_ticket(*, ticket: Ticket, agent: Agent, by: Any, note: str = "") -> Ticket:
    """A supervisor assigns or reassigns: same capacity and availability checks as routing, audited."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        if ticket.status not in OPEN_STATUSES:
            raise AssignmentError(f"Ticket {ticket.reference} is {ticket.get_status_display().lower()}; reopen it first.")
        if ticket.assignee_id == agent.pk:
            return ticket
        reason = {"at": timezone.now().isoformat(), "why": f"assigned by {by}" + (f": {note}" if note else ""), "manual": True}
        kind = "reassigned" if ticket.assignee_id else "assigned"
        if kind == "reassigned":
            events.ticket_reassigned.announce(ticket=ticket)  # routing accuracy of the day it arrived changes
        # A supervisor's choice is deliberate: the hand-out rate limits routing, not people.
        if _lock_and_assign(ticket, agent.pk, by=by, reason=reason, event_kind=kind, hand_out_limit=False) is None:
            agent.refresh_from_db()
            if agent.availability != Availability.ONLINE:
                raise AssignmentError(f"{agent} is {agent.get_availability_display().lower()}; only online agents can take tickets.")
            agent = Agent.objects.select_related("capacity_profile").get(pk=agent.pk)
            used, total = units_in_use({agent.pk: agent})[agent.pk], agent.capacity_spec().total_units
            raise AssignmentError(
                f"{agent} is at capacity ({used:g} of {total:g} units in use; this ticket needs {ticket_units(ticket, agent):g})."
            )
    return ticket


def set_availability(*, agent: Agent, availability: str, by: Any) -> Agent:
    """Change an agent's availability; going offline returns unstarted tickets to the queue (``RETURN_TICKETS_ON_OFFLINE``)."""
    if availability not in Availability.values:
        raise ValidationError({"availability": f"Must be one of {', '.join(Availability.values)}."})
    returned: list[int] = []
    with transaction.atomic():
        agent = Agent.objects.select_for_update().get(pk=agent.pk)
        old = agent.availability
        if old == availability:
            return agent
        agent.availability = availability
        agent.availability_changed_at = timezone.now()
        agent.save(update_fields=["availability", "availability_changed_at"])
        if availability != Availability.ONLINE:
            AgentReservation.objects.filter(agent=agent).delete()  # the ticket holds someone on duty at its next offer
        if availability == Availability.OFFLINE and settings.RETURN_TICKETS_ON_OFFLINE:
            unstarted = Ticket.objects.select_for_update().filter(assignee=agent, status__in=UNSTARTED_STATUSES)
            for ticket in unstarted:
                ticket.assignee = None
                ticket.status = TicketStatus.TRIAGED
                ticket.save(update_fields=["assignee", "status", "updated_at"])
                TicketEvent.objects.create(
                    ticket=ticket, actor=by, kind="unassigned", detail={"agent_id": agent.pk, "why": "agent went offline"}
                )
                returned.append(ticket.pk)
        teams = list(agent.teams.values_list("pk", flat=True))
        enqueue_on_commit("agents.route_waiting", teams)
        events.availability_changed.announce(agent=agent, old=old, new=availability, team_ids=teams, at=agent.availability_changed_at)
    logger.info("agent %s %s → %s, %s ticket(s) returned", agent.pk, old, availability, len(returned))
    return agent


WAITING_SCAN = 2000  # waiting tickets read per re-offer; more than that is an outage, handled a batch at a time


def sla_slack_seconds(ticket: Ticket, at: datetime) -> float | None:
    """Business seconds left before the ticket's first running SLA target (negative once breached), in its policy's calendar."""
    due = ticket.sla_next_due_at
    if due is None:
        return None
    calendar = cached_calendar(ticket.sla_policy.calendar_id if ticket.sla_policy else None)
    if calendar is None:
        return (due - at).total_seconds()
    return calendar.elapsed(at, due) if due >= at else -calendar.elapsed(due, at)


def waiting_tickets(*, team_ids: list[int] | None = None, limit: int = 200, at: datetime | None = None) -> list[int]:
    """Unassigned, triaged tickets that could be routed now, in each team's queue order (``Team.queue_order``).

    FIFO, priority then arrival (the default, and the order for tickets without a team), or
    least SLA slack in business time with priority breaking ties. When every team involved
    uses one order the tickets are merged by it; otherwise the teams' queues interleave, each
    team's first ticket, then each team's second, so no team's order starves another's.
    """
    at = at or timezone.now()
    qs = Ticket.objects.filter(assignee__isnull=True, status__in=ROUTABLE_STATUSES, needs_triage=False, triaged_at__isnull=False)
    if team_ids:
        qs = qs.filter(Q(team_id__in=team_ids) | Q(team__isnull=True))
    rows = list(
        qs.select_related("team", "sla_policy")
        .only(
            "id", "priority", "created_at", "team__queue_order", "sla_policy__calendar",
            "first_response_at", "sla_first_response_due_at", "sla_next_response_due_at", "sla_resolution_due_at", "sla_paused_at",
        )
        .order_by("priority", "created_at")[:WAITING_SCAN]
    )  # fmt: skip

    def mode(ticket: Ticket) -> str:
        return ticket.team.queue_order if ticket.team else routing_core.QueueOrder.PRIORITY

    def key(ticket: Ticket) -> tuple[float, ...]:
        slack = sla_slack_seconds(ticket, at) if mode(ticket) == routing_core.QueueOrder.SLA else None
        return routing_core.queue_key(mode(ticket), priority=ticket.priority, arrived_at=ticket.created_at.timestamp(), slack_seconds=slack)

    if len({mode(t) for t in rows}) <= 1:
        rows.sort(key=key)
    else:
        by_team: dict[int | None, list[Ticket]] = {}
        for ticket in rows:
            by_team.setdefault(ticket.team_id, []).append(ticket)
        place: dict[int, int] = {}
        for tickets in by_team.values():
            tickets.sort(key=key)
            place.update((t.pk, position) for position, t in enumerate(tickets))
        rows.sort(key=lambda t: (place[t.pk], t.priority, t.created_at))
    return [t.pk for t in rows[:limit]]


def return_tickets_before_delete(*, sender: Any, instance: Agent, **kwargs: Any) -> None:
    """``pre_delete`` of an agent (or of their user): the tickets they were working go back to the queue, audited.

    Without this, the foreign key's SET NULL would leave them assigned to nobody, which the
    ``ticket_working_has_assignee`` constraint refuses.
    """
    working = list(
        Ticket.objects.select_for_update()
        .filter(assignee=instance, status__in=(TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS))
        .values_list("pk", "status", "team_id")
    )
    if not working:
        return
    Ticket.objects.filter(pk__in=[pk for pk, _, _ in working]).update(assignee=None, status=TicketStatus.TRIAGED, updated_at=timezone.now())
    TicketEvent.objects.bulk_create(
        TicketEvent(ticket_id=pk, kind="unassigned", detail={"agent_id": instance.pk, "from": status, "why": "agent removed"})
        for pk, status, _ in working
    )
    enqueue_on_commit("agents.route_waiting", sorted({team for _, _, team in working if team is not None}))
