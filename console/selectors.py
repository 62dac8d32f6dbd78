"""Read queries for the console: queues with counts, keyset pages, the ticket workspace, the team board.

Every list is one query for the page plus a constant number of queries for its context, so
the query count does not grow with the page size (asserted in tests).
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django.db.models import Count, F, Min, Q, QuerySet, Window
from django.db.models.functions import RowNumber

from agents.models import Agent, Availability
from escalation_engine.models import BreachForecast, Escalation
from foundation.parsing import PRIORITY_RANGE, clean_text, loads_json, parse_id, parse_int
from tickets.models import OPEN_STATUSES, Ticket, TicketStatus
from tickets.selectors import visible_tickets


@dataclass(frozen=True)
class Queue:
    slug: str
    title: str


QUEUES = (
    Queue("mine", "Mine"),
    Queue("team", "Team"),
    Queue("unassigned", "Unassigned"),
    Queue("needs-triage", "Needs triage"),
    Queue("at-risk", "At risk"),
    Queue("breached", "Breached"),
    Queue("pending", "Pending customer"),
)
QUEUE_SLUGS = {queue.slug for queue in QUEUES}
OPEN_WORK = [s for s in OPEN_STATUSES if s != TicketStatus.PENDING_CUSTOMER]


def queue_filter(slug: str, agent: Agent | None) -> Q:
    team_ids = list(agent.teams.values_list("pk", flat=True)) if agent is not None else []
    return {
        "mine": Q(assignee=agent, status__in=OPEN_STATUSES) if agent is not None else Q(pk__in=[]),
        "team": Q(team_id__in=team_ids, status__in=OPEN_STATUSES),
        "unassigned": Q(assignee__isnull=True, status__in=OPEN_WORK, needs_triage=False),
        "needs-triage": Q(needs_triage=True, status__in=OPEN_STATUSES),
        "at-risk": Q(sla_status="at_risk", status__in=OPEN_STATUSES),
        "breached": Q(sla_status="breached", status__in=OPEN_STATUSES),
        "pending": Q(status=TicketStatus.PENDING_CUSTOMER),
    }[slug]


def queue_counts(*, user: Any) -> dict[str, int]:
    """Every queue's size in one aggregate query over open tickets only (the partial ``ticket_open_idx``)."""
    agent = getattr(user, "agent", None)
    base = visible_tickets(user=user).filter(status__in=OPEN_STATUSES).order_by()
    return base.aggregate(**{queue.slug.replace("-", "_"): Count("id", filter=queue_filter(queue.slug, agent)) for queue in QUEUES})


MAX_QUERY_TEXT = 1_000
SORTS = {
    "priority": ("priority", "created_at", "id"),
    "oldest": ("created_at", "id"),
    "newest": ("-created_at", "-id"),
    "due": ("sla_resolution_due_at", "id"),
    "risk": ("-breach_forecast__probability", "id"),  # the breach forecast, most likely first; none last
}


@dataclass
class QueuePage:
    tickets: list[Ticket]
    next_cursor: str | None
    filters: dict[str, str] = field(default_factory=dict)


def _encode(values: list[Any]) -> str:
    return base64.urlsafe_b64encode(json.dumps(values, default=str).encode()).decode()


def _decode(cursor: str) -> list[Any] | None:
    """The cursor's values, or ``None`` for anything a client made up (the page then starts at the top)."""
    try:
        values = loads_json(base64.urlsafe_b64decode(cursor.encode()), max_depth=1)
    except ValueError:  # not base64 (binascii.Error), not JSON, nested (InputError)
        return None
    return values if isinstance(values, list) else None


def _key_id(value: Any) -> int:
    """A row id from a cursor; ``ValueError`` (an ignored cursor) for ``1e400``, ``-1``, ``"²"`` …"""
    pk = parse_id(value)
    if pk is None:
        raise ValueError(f"not a row id: {value!r:.40}")
    return pk


def _after(sort: str, values: list[Any]) -> Q | None:
    """Keyset condition: rows strictly after the cursor in the sort order."""
    try:
        if sort == "priority":
            priority = parse_int(values[0], minimum=PRIORITY_RANGE[0], maximum=PRIORITY_RANGE[1])
            if priority is None:
                return None
            created, pk = datetime.fromisoformat(values[1]), _key_id(values[2])
            return (
                Q(priority__gt=priority)
                | Q(priority=priority, created_at__gt=created)
                | Q(priority=priority, created_at=created, id__gt=pk)
            )
        if sort == "oldest":
            created, pk = datetime.fromisoformat(values[0]), _key_id(values[1])
            return Q(created_at__gt=created) | Q(created_at=created, id__gt=pk)
        if sort == "newest":
            created, pk = datetime.fromisoformat(values[0]), _key_id(values[1])
            return Q(created_at__lt=created) | Q(created_at=created, id__lt=pk)
        if sort == "due":
            due = datetime.fromisoformat(values[0]) if values[0] else None
            pk = _key_id(values[1])
            if due is None:
                return Q(sla_resolution_due_at__isnull=True, id__gt=pk)
            return Q(sla_resolution_due_at__gt=due) | Q(sla_resolution_due_at=due, id__gt=pk) | Q(sla_resolution_due_at__isnull=True)
        if sort == "risk":
            pk = _key_id(values[1])
            if values[0] is None:
                return Q(breach_forecast__isnull=True, id__gt=pk)
            risk = float(values[0])
            if not 0.0 <= risk <= 1.0:
                return None
            return (
                Q(breach_forecast__probability__lt=risk) | Q(breach_forecast__probability=risk, id__gt=pk) | Q(breach_forecast__isnull=True)
            )
    except (IndexError, TypeError, ValueError):
        return None
    return None


def _cursor_for(sort: str, ticket: Ticket) -> str:
    if sort == "priority":
        return _encode([ticket.priority, ticket.created_at.isoformat(), ticket.pk])
    if sort == "due":
        return _encode([ticket.sla_resolution_due_at.isoformat() if ticket.sla_resolution_due_at else None, ticket.pk])
    if sort == "risk":
        return _encode([getattr(ticket, "breach_risk", None), ticket.pk])
    return _encode([ticket.created_at.isoformat(), ticket.pk])


def queue_page(*, user: Any, queue: str, filters: dict[str, str], cursor: str = "", page_size: int = 25) -> QueuePage:
    """One page of a queue, filtered and sorted, keyset-paginated (no OFFSET at any depth)."""
    agent = getattr(user, "agent", None)
    qs: QuerySet[Ticket] = visible_tickets(user=user).filter(queue_filter(queue, agent))
    applied: dict[str, str] = {}
    # A filter value that cannot apply is ignored, as an unknown sort is (the page shows what it applied).
    priority = parse_int(filters.get("priority", ""), minimum=PRIORITY_RANGE[0], maximum=PRIORITY_RANGE[1])
    if priority is not None:
        qs = qs.filter(priority=priority)
        applied["priority"] = str(priority)
    for name, lookup in (("category", "category__slug"), ("channel", "channel"), ("tier", "customer__tier")):
        value = clean_text(filters.get(name), max_length=64)
        if value:
            qs = qs.filter(**{lookup: value})
            applied[name] = value
    text = clean_text(filters.get("q"), max_length=MAX_QUERY_TEXT).strip()
    if text:
        number = parse_id(text.lstrip("#"))
        by_number = Q(pk=number) if number else Q(pk__in=[])
        qs = qs.filter(Q(subject__icontains=text) | Q(customer__email__iexact=text) | by_number)
        applied["q"] = text
    sort = filters.get("sort", "priority")
    if sort not in SORTS:
        sort = "priority"
    applied["sort"] = sort
    if cursor:
        values = _decode(cursor)
        condition = _after(sort, values) if values is not None else None
        if condition is not None:
            qs = qs.filter(condition)
    order = list(SORTS[sort])
    if sort == "due":
        rows = list(qs.order_by(F("sla_resolution_due_at").asc(nulls_last=True), "id")[: page_size + 1])
    elif sort == "risk":
        by_risk = qs.annotate(breach_risk=F("breach_forecast__probability"))
        rows = list(by_risk.order_by(F("breach_risk").desc(nulls_last=True), "id")[: page_size + 1])
    else:
        rows = list(qs.order_by(*order)[: page_size + 1])
    has_more = len(rows) > page_size
    rows = rows[:page_size]
    ids = [t.pk for t in rows]
    open_escalations = set(Escalation.objects.filter(ticket_id__in=ids, status="open").values_list("ticket_id", flat=True))
    forecasts = {row[0]: row for row in BreachForecast.objects.filter(ticket_id__in=ids).values_list("ticket_id", "probability", "factors")}
    for ticket in rows:
        ticket.has_open_escalation = ticket.pk in open_escalations  # type: ignore[attr-defined]
        forecast = forecasts.get(ticket.pk)
        ticket.breach_risk = forecast[1] if forecast else None  # type: ignore[attr-defined]
        ticket.breach_factors = "; ".join(forecast[2]) if forecast else ""  # type: ignore[attr-defined]
    return QueuePage(tickets=rows, next_cursor=_cursor_for(sort, rows[-1]) if has_more and rows else None, filters=applied)


BOARD_TICKETS_PER_AGENT = 15


def team_board(*, user: Any) -> list[dict[str, Any]]:
    """Agents the supervisor may see with availability, load vs capacity and their oldest open ticket."""
    agents = Agent.objects.select_related("user").prefetch_related("teams")
    if not user.has_perm("tickets.view_all_tickets"):
        own = getattr(user, "agent", None)
        agents = agents.filter(teams__in=own.teams.all()).distinct() if own else agents.none()
    order = {Availability.ONLINE: 0, Availability.AWAY: 1, Availability.OFFLINE: 2}
    agent_list = list(agents.order_by("availability", "user__username"))
    ids = [a.pk for a in agent_list]
    open_tickets = Ticket.objects.filter(assignee__in=ids, status__in=OPEN_STATUSES).order_by()
    # Counts and the oldest per agent from the partial index of open tickets, not a join over every ticket ever.
    stats = {row["assignee_id"]: row for row in open_tickets.values("assignee_id").annotate(n=Count("id"), oldest=Min("created_at"))}
    # The reassign list shows each agent's most urgent BOARD_TICKETS_PER_AGENT tickets (one windowed query).
    ranked = open_tickets.annotate(
        rank=Window(RowNumber(), partition_by=[F("assignee_id")], order_by=[F("priority").asc(), F("created_at").asc()])
    ).filter(rank__lte=BOARD_TICKETS_PER_AGENT)
    listed: dict[int, list[Ticket]] = {}
    for ticket in ranked.only("id", "subject", "priority", "assignee_id", "created_at").order_by("priority", "created_at"):
        listed.setdefault(ticket.assignee_id or 0, []).append(ticket)
    board = []
    for a in agent_list:
        open_count = stats.get(a.pk, {}).get("n", 0)
        board.append(
            {
                "agent": a,
                "open": open_count,
                "capacity": a.capacity,
                "oldest": stats.get(a.pk, {}).get("oldest"),
                "load_pct": round(100 * open_count / a.capacity) if a.capacity else 100,
                "tickets": listed.get(a.pk, []),
            }
        )
    return sorted(board, key=lambda row: (order.get(row["agent"].availability, 3), row["agent"].user.username))
