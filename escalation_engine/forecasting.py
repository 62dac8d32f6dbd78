"""Breach forecasts of open tickets, stored for the queues, the workspace and the escalation check.

``refresh_forecasts`` (the beat task ``escalation.forecast_breaches``, every minute) reads
every open ticket whose first or next response clock runs, team by team, builds what the
pure core (``escalation_engine.forecast``) needs — tickets ahead in the team's queue order
(or in its assignee's own list), agents online and on shift, the arrival rate of tickets
that will sort ahead, handling times fitted on the team's recent replies — and replaces the
ticket's ``BreachForecast`` row. A forecast that *fires* (due within the lead time, missed
with at least the set probability; ``EscalationSettings``) moves the ticket's next check to
now, so the sweep scores it within a minute with the ``forecast`` signal.

A team whose agents keep shifts (``AgentShift``) also hands the core who is on duty from now
until the tickets fall due (``duty_schedule``: each coming shift, the one under way only for
agents online now), so a shift that ends before the target or a handover is in the probability;
a team without shifts keeps the plain queue (the agents online now, throughout).

Calibration: every ``forecast_learning.SAMPLE_EVERY`` the task also keeps each first-response
forecast's features and learns, later, whether the target was met; the daily fit's adopted layer
(``forecast_learning.current``) turns the queue's probability into the desk's own. Next-response
targets keep the queue's probability (their outcomes are not sampled).

Handling time: the gap between an agent's consecutive public replies on the team's
tickets (a busy agent's gap is the time a reply takes), within two hours, over the last
three days, per category; cached ten minutes per team.
"""

from __future__ import annotations

import time
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

from django.core.cache import cache
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from agents import routing_core
from agents.models import Agent, AgentShift, Availability, Team
from agents.services import on_shift
from escalation_engine import forecast as core
from escalation_engine import forecast_learning, sla
from escalation_engine.models import BreachForecast, EscalationSettings
from foundation import config_cache, queue
from tickets.models import OPEN_STATUSES, AuthorKind, Interaction, Ticket

HISTORY = timedelta(days=3)
MAX_GAP = timedelta(hours=2)
HISTORY_ROWS = 20_000
ARRIVAL_WINDOW = timedelta(hours=2)
NOBODY_ONLINE_SECONDS = 30 * 60  # inside business hours with nobody online: someone is expected back in about this long
HANDLING_CACHE_SECONDS = 600
SHIFT_HORIZON = timedelta(days=7)  # shifts are read this far ahead (a P3 target after a weekend)


@dataclass
class ForecastRun:
    tickets: int = 0
    teams: int = 0
    firing: int = 0
    newly_firing: int = 0
    removed: int = 0
    seconds: float = 0.0
    stopped_early: bool = False
    sampled: int = 0


def settings_now() -> EscalationSettings:
    return config_cache.cached("escalation", "settings", EscalationSettings.current)


def response_due(ticket: Ticket) -> tuple[str, datetime] | None:
    """The running response target (first response before next response), or None."""
    if ticket.sla_paused_at is not None or ticket.status not in OPEN_STATUSES:
        return None
    if ticket.first_response_at is None and ticket.sla_first_response_due_at is not None:
        return "first_response", ticket.sla_first_response_due_at
    if ticket.sla_next_response_due_at is not None:
        return "next_response", ticket.sla_next_response_due_at
    return None


def handling_table(team_id: int | None, *, now: datetime) -> core.HandlingTable:
    key = f"forecast:handling:{team_id}"
    found = cache.get(key)
    if isinstance(found, core.HandlingTable):
        return found
    rows = (
        Interaction.objects.filter(author_kind=AuthorKind.AGENT, is_internal=False, created_at__gte=now - HISTORY, author__isnull=False)
        .filter(Q(ticket__team__isnull=True) if team_id is None else Q(ticket__team_id=team_id))
        .order_by("-created_at")
        .values_list("author_id", "ticket__category__slug", "created_at")[:HISTORY_ROWS]
    )
    by_author: dict[int, list[tuple[datetime, str]]] = defaultdict(list)
    for author_id, category, at in rows:
        by_author[author_id].append((at, category or ""))
    observations: list[tuple[str, float]] = []
    for replies in by_author.values():
        replies.sort()
        for (earlier, _), (later, category) in pairwise(replies):
            gap = later - earlier
            if timedelta(0) < gap <= MAX_GAP:
                observations.append((category, gap.total_seconds()))
    table = core.fit_handling(observations)
    cache.set(key, table, HANDLING_CACHE_SECONDS)
    return table


def _remaining(ticket: Ticket, due: datetime, now: datetime) -> float:
    calendar = sla.calendar_for(ticket.sla_policy) if ticket.sla_policy else None
    if calendar is None:
        return (due - now).total_seconds()
    return calendar.elapsed(now, due) if due > now else -calendar.elapsed(due, now)


def _open_tickets(team_ids: list[int] | None) -> list[Ticket]:
    running = Q(first_response_at__isnull=True, sla_first_response_due_at__isnull=False) | Q(sla_next_response_due_at__isnull=False)
    qs = Ticket.objects.filter(running, status__in=OPEN_STATUSES, sla_paused_at__isnull=True, team__isnull=False)
    if team_ids is not None:
        qs = qs.filter(team_id__in=team_ids)
    return list(
        qs.select_related("sla_policy", "category").only(
            "id", "team_id", "assignee_id", "priority", "status", "created_at", "first_response_at", "sla_policy__calendar",
            "sla_first_response_due_at", "sla_next_response_due_at", "sla_paused_at", "category__slug",
        )
    )  # fmt: skip


def _shift_windows(agent: Agent, shifts: list[AgentShift], now: datetime, horizon: float) -> list[tuple[float, float]]:
    """The agent's shifts over the next ``horizon`` seconds, as (start, end) seconds from now."""
    try:
        zone = ZoneInfo(agent.time_zone)
    except (KeyError, ValueError):
        zone = ZoneInfo("UTC")
    today = now.astimezone(zone).date()
    windows = []
    for offset in range(-1, int(horizon // 86400) + 2):
        day = today + timedelta(days=offset)
        for shift in shifts:
            if shift.weekday != day.weekday():
                continue
            begin = (datetime.combine(day, shift.starts_at, tzinfo=zone) - now).total_seconds()
            end = (datetime.combine(day, shift.ends_at, tzinfo=zone) - now).total_seconds()
            if end > 0 and begin < horizon:
                windows.append((max(begin, 0.0), end))
    return windows


def duty_schedule(members: list[tuple[Agent, list[AgentShift], bool]], now: datetime, horizon: float) -> tuple[tuple[float, float], ...]:
    """``core.Situation.capacity`` of a team whose agents keep shifts: agents on duty over the next ``horizon`` seconds.

    An agent counts during each coming shift, the one under way only if they are online now; an agent
    without shifts counts throughout if online now (on shift whenever online)."""
    changes: dict[float, int] = defaultdict(int)
    for agent, shifts, is_online in members:
        if not shifts:
            if is_online:
                changes[0.0] += 1
            continue
        for begin, end in _shift_windows(agent, shifts, now, horizon):
            if begin <= 0 and not is_online:
                continue  # on shift but not online: not counted until their next shift
            changes[begin] += 1
            changes[end] -= 1
    pieces, level = [(0.0, 0.0)], 0
    for at in sorted(changes):
        level += changes[at]
        if at <= 0:
            pieces[0] = (0.0, float(level))
        else:
            pieces.append((at, float(level)))
    return tuple(pieces)


def _agents_online(
    team_ids: list[int], now: datetime
) -> tuple[dict[int, list[int]], dict[int, int], set[int], dict[int, list[tuple[Agent, list[AgentShift], bool]]]]:
    """Per team: online agents on shift; per team: every agent; the set of online agent ids; per team: every agent,
    their shifts and whether they are online now."""
    online: dict[int, list[int]] = defaultdict(list)
    everyone: dict[int, int] = defaultdict(int)
    online_ids: set[int] = set()
    members: dict[int, list[tuple[Agent, list[AgentShift], bool]]] = defaultdict(list)
    agents = Agent.objects.filter(teams__in=team_ids).prefetch_related("shifts").only("id", "availability", "time_zone")
    memberships = Agent.teams.through.objects.filter(team_id__in=team_ids).values_list("agent_id", "team_id")
    teams_of: dict[int, list[int]] = defaultdict(list)
    for agent_id, team_id in memberships:
        teams_of[agent_id].append(team_id)
    for agent in agents.distinct():
        shifts = list(agent.shifts.all())
        is_online = agent.availability == Availability.ONLINE
        is_on = is_online and on_shift(agent, now, shifts)
        if is_on:
            online_ids.add(agent.pk)
        for team_id in teams_of[agent.pk]:
            everyone[team_id] += 1
            members[team_id].append((agent, shifts, is_online))
            if is_on:
                online[team_id].append(agent.pk)
    return online, everyone, online_ids, members


def _arrivals_by_priority(team_ids: list[int], now: datetime) -> dict[int, dict[int, int]]:
    rows = (
        Ticket.objects.filter(team_id__in=team_ids, created_at__gte=now - ARRIVAL_WINDOW)
        .values_list("team_id", "priority")
        .annotate(count=Count("id"))
    )
    found: dict[int, dict[int, int]] = defaultdict(dict)
    for team_id, priority, count in rows:
        found[team_id][priority] = count
    return found


def situations(*, now: datetime, team_ids: list[int] | None = None) -> dict[int, tuple[Ticket, str, datetime, core.Situation]]:
    """What the core needs for each open ticket with a running response target, by ticket id."""
    tickets = _open_tickets(team_ids)
    teams = sorted({t.team_id for t in tickets if t.team_id is not None})
    orders = dict(Team.objects.filter(pk__in=teams).values_list("pk", "queue_order"))
    online, everyone, online_ids, members = _agents_online(teams, now)
    arrivals = _arrivals_by_priority(teams, now)
    found: dict[int, tuple[Ticket, str, datetime, core.Situation]] = {}
    by_team: dict[int, list[tuple[tuple[float, ...], Ticket, str, datetime, float]]] = defaultdict(list)
    for ticket in tickets:
        running = response_due(ticket)
        if running is None or ticket.team_id is None:
            continue
        target, due = running
        remaining = _remaining(ticket, due, now)
        order = orders.get(ticket.team_id, routing_core.QueueOrder.PRIORITY)
        key = routing_core.queue_key(order, priority=ticket.priority, arrived_at=ticket.created_at.timestamp(), slack_seconds=remaining)
        by_team[ticket.team_id].append((key, ticket, target, due, remaining))
    for team_id, rows in by_team.items():
        rows.sort(key=lambda row: row[0])
        order = orders.get(team_id, routing_core.QueueOrder.PRIORITY)
        servers = len(online.get(team_id, []))
        open_now = any(row[1].sla_policy is None or sla.calendar_for(row[1].sla_policy).is_open(now) for row in rows[:1])
        offline_for = 0.0
        if servers == 0:
            if open_now:
                offline_for = NOBODY_ONLINE_SECONDS
            else:  # outside business hours the clock stands still too: the team is back when it starts again
                servers = everyone.get(team_id, 0)
        # A team whose agents keep shifts: who comes on and goes off before each ticket falls due is known.
        capacity: tuple[tuple[float, float], ...] = ()
        if any(shifts for _, shifts, _ in members.get(team_id, [])):
            horizon = min(max((due - now).total_seconds() for _, _, _, due, _ in rows), SHIFT_HORIZON.total_seconds())
            capacity = duty_schedule(members[team_id], now, max(horizon, 1.0))
        per_agent: dict[int, int] = defaultdict(int)
        window = ARRIVAL_WINDOW.total_seconds()
        team_arrivals = arrivals.get(team_id, {})
        for position, (_, ticket, target, due, remaining) in enumerate(rows):
            ahead_rate = 0.0
            if order != routing_core.QueueOrder.FIFO:
                ahead_rate = sum(count for priority, count in team_arrivals.items() if priority < ticket.priority) / window
            if ticket.assignee_id is not None:
                agent_on = ticket.assignee_id in online_ids or not open_now
                situation = core.Situation(
                    remaining=remaining,
                    ahead=per_agent[ticket.assignee_id],
                    servers=1 if agent_on else 0,
                    category=ticket.category.slug if ticket.category else "",
                    offline_for=0.0 if agent_on else NOBODY_ONLINE_SECONDS,
                    assigned=True,
                )
                per_agent[ticket.assignee_id] += 1
            else:
                situation = core.Situation(
                    remaining=remaining,
                    ahead=position,
                    servers=servers,
                    category=ticket.category.slug if ticket.category else "",
                    arrivals_ahead_per_second=ahead_rate,
                    offline_for=offline_for,
                    capacity=capacity,
                    until_due=(due - now).total_seconds() if capacity else None,
                )
            found[ticket.pk] = (ticket, target, due, situation)
    return found


def refresh_forecasts(*, now: datetime | None = None, budget_seconds: float = 20.0, team_ids: list[int] | None = None) -> ForecastRun:
    """Replace every open ticket's forecast (the beat task), or only those of ``team_ids`` (after an event); returns what it did.

    Only the whole-desk run keeps calibration samples (their cadence is the desk's, not the events')."""
    started = time.perf_counter()
    now = now or timezone.now()
    config = settings_now()
    lead = config.forecast_lead_minutes * 60
    run = ForecastRun()
    found = situations(now=now, team_ids=team_ids)
    calibration = forecast_learning.current()
    tables: dict[int | None, core.HandlingTable] = {}
    rows: list[BreachForecast] = []
    samples: list[tuple[int, datetime, core.Forecast]] = []
    for ticket_id, (ticket, target, due, situation) in found.items():
        if time.perf_counter() - started > budget_seconds:
            run.stopped_early = True
            break
        if ticket.team_id not in tables:
            tables[ticket.team_id] = handling_table(ticket.team_id, now=now)
        result = core.forecast(situation, tables[ticket.team_id], calibration=calibration if target == "first_response" else None)
        if target == "first_response":
            samples.append((ticket_id, due, result))
        fires = result.will_breach_within(lead, config.forecast_probability)
        rows.append(
            BreachForecast(
                ticket_id=ticket_id,
                target=target,
                due_at=due,
                probability=result.probability,
                expected_wait_seconds=None if result.expected_wait == float("inf") else round(result.expected_wait, 1),
                factors=list(result.factors),
                fires=fires,
                computed_at=now,
            )
        )
    run.tickets, run.teams = len(rows), len(tables)
    mine = BreachForecast.objects.all() if team_ids is None else BreachForecast.objects.filter(ticket__team_id__in=team_ids)
    with transaction.atomic():
        was_firing = set(mine.filter(fires=True).values_list("ticket_id", flat=True))
        BreachForecast.objects.bulk_create(
            rows,
            batch_size=1000,
            update_conflicts=True,
            unique_fields=["ticket"],
            update_fields=["target", "due_at", "probability", "expected_wait_seconds", "factors", "fires", "computed_at"],
        )
        if not run.stopped_early:
            run.removed, _ = mine.filter(computed_at__lt=now).delete()
        firing = {row.ticket_id for row in rows if row.fires}
        newly = firing - was_firing
        if newly and config.forecast_escalates:
            Ticket.objects.filter(pk__in=newly).filter(Q(next_check_at__isnull=True) | Q(next_check_at__gt=now)).update(next_check_at=now)
    run.firing, run.newly_firing = len(firing), len(newly)
    if team_ids is None and forecast_learning.sample_due(now):
        run.sampled = forecast_learning.sample(samples, now=now)
        forecast_learning.resolve(now=now)
    run.seconds = round(time.perf_counter() - started, 3)
    return run


# Events that change a team's forecasts (an assignment, an agent's availability, a ticket joining
# its queue) ask for that team's refresh at once instead of at the next minute. Announcements in a
# burst share one refresh: a team's refresh is queued once until it starts (``SOON_KEY``).
TEAMS_TASK = "escalation.forecast_teams"
SOON_KEY = "forecast:soon:{}"
SOON_SECONDS = 60  # a queued refresh that never ran (worker down) stops holding the next one back after this


def refresh_soon(team_ids: list[int | None]) -> list[int]:
    """Queue a refresh of these teams' forecasts unless one is queued and not yet started; the teams queued now."""
    fresh = [team for team in sorted({t for t in team_ids if t is not None}) if cache.add(SOON_KEY.format(team), 1, SOON_SECONDS)]
    if fresh:
        queue.enqueue(TEAMS_TASK, fresh)
    return fresh


def refresh_teams_now(team_ids: list[int]) -> ForecastRun:
    """The queued refresh (``escalation.forecast_teams``): a later event queues another from here on."""
    cache.delete_many([SOON_KEY.format(team) for team in team_ids])
    return refresh_forecasts(team_ids=team_ids, budget_seconds=5.0)


def on_ticket_event(ticket: Ticket, **_: object) -> None:
    """After an assignment, a team change, a priority change or triage: the ticket's team's forecasts change."""
    refresh_soon([ticket.team_id])


def on_availability_changed(team_ids: list[int], **_: object) -> None:
    """An agent came online or went away: their teams' forecasts change."""
    refresh_soon(list(team_ids))


def firing(ticket_ids: list[int], *, now: datetime) -> dict[int, float]:
    """Ticket id → breach probability, for the given tickets whose fresh forecast fires (one query)."""
    fresh = now - timedelta(minutes=5)
    rows = BreachForecast.objects.filter(ticket_id__in=ticket_ids, fires=True, computed_at__gte=fresh, due_at__gt=now)
    return dict(rows.values_list("ticket_id", "probability"))


def live_forecast(ticket: Ticket, *, now: datetime | None = None) -> core.Forecast | None:
    """The forecast of one ticket computed now (the workspace), or None without a running response target."""
    now = now or timezone.now()
    if ticket.team_id is None or response_due(ticket) is None:
        return None
    entry = situations(now=now, team_ids=[ticket.team_id]).get(ticket.pk)
    if entry is None:
        return None
    calibration = forecast_learning.current() if entry[1] == "first_response" else None
    return core.forecast(entry[3], handling_table(ticket.team_id, now=now), calibration=calibration)
