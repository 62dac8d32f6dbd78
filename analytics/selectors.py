"""What each dashboard shows, computed from ``DailyStat`` rollups plus a few indexed live counts.

Each ``*_dashboard`` function returns plain data (numbers, lists, dicts) that the HTML page,
the CSV export and the JSON API all render, so the three always agree.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import Count, F, Q, QuerySet
from django.utils import timezone

from agents.models import Agent, Team
from analytics.models import DailyStat
from analytics.rollup import COUNT_FIELDS, merge, quantile
from escalation_engine.models import Escalation, EscalationTier
from foundation.parsing import parse_id
from helpcenter.models import Deflection, KnowledgeArticle, SearchLog
from tickets.models import OPEN_STATUSES, Category, Channel, Customer, Ticket

MAX_DAYS = 731
BREAKDOWNS = {
    "sla": ("priority", "team", "agent", "category", "channel"),
    "escalations": ("tier", "signal", "priority", "team", "category"),
    "satisfaction": ("agent", "team", "category", "priority", "channel"),
    "volume": ("category", "channel", "priority", "team"),
}


@dataclass(frozen=True)
class Filters:
    start: date
    end: date
    team: int  # 0 = all teams
    by: str

    @property
    def days(self) -> int:
        return (self.end - self.start).days + 1

    def as_query(self) -> dict[str, str]:
        query = {"start": self.start.isoformat(), "end": self.end.isoformat(), "by": self.by}
        if self.team:
            query["team"] = str(self.team)
        return query


# Dashboards cover days a desk can have: outside these a date is refused with a 400 (date arithmetic near
# year 1 or 9999 overflows).
EARLIEST_DAY = date(1970, 1, 1)
LATEST_DAY = date(2999, 12, 31)


def parse_filters(params: Any, dashboard: str) -> Filters:
    """Filters from a query string; bad values raise ``ValidationError`` with a clear message."""
    today = timezone.localdate()
    errors: dict[str, str] = {}

    def day(name: str, default: date) -> date:
        raw = (params.get(name) or "").strip()
        if not raw:
            return default
        try:
            value = date.fromisoformat(raw)
        except ValueError:
            errors[name] = f"{name} must be a date like {today.isoformat()}."
            return default
        if not EARLIEST_DAY <= value <= LATEST_DAY:  # 9999-12-31 + a day or a month overflows further down
            errors[name] = f"{name} must be between {EARLIEST_DAY.isoformat()} and {LATEST_DAY.isoformat()}."
            return default
        return value

    end = day("end", today)
    start = day("start", end - timedelta(days=29))
    if start > end:
        errors["start"] = "start must not be after end."
    elif (end - start).days + 1 > MAX_DAYS:
        errors["start"] = f"The date range can span at most {MAX_DAYS} days."
    team_raw = (params.get("team") or "").strip()
    team = 0
    if team_raw:
        team_id = parse_id(team_raw)
        if team_id is None or not Team.objects.filter(pk=team_id).exists():
            errors["team"] = "team must be the id of an existing team."
        else:
            team = team_id
    choices = BREAKDOWNS[dashboard]
    by = (params.get("by") or choices[0]).strip()
    if by not in choices:
        errors["by"] = f"by must be one of: {', '.join(choices)}."
    if errors:
        raise ValidationError(errors)
    return Filters(start=start, end=end, team=team, by=by)


def _next_month(month: date) -> date:
    return (month + timedelta(days=32)).replace(day=1)


def _range_rows(filters: Filters) -> Q:
    """Month rows for the whole months inside the range, day rows for the days around them."""
    first_full = filters.start if filters.start.day == 1 else _next_month(filters.start)
    months = []
    month = first_full
    while _next_month(month) - timedelta(days=1) <= filters.end:
        months.append(month)
        month = _next_month(month)
    if not months:
        return Q(period="day", day__gte=filters.start, day__lte=filters.end)
    covered_end = _next_month(months[-1]) - timedelta(days=1)
    return (
        Q(period="month", day__gte=months[0], day__lte=months[-1])
        | Q(period="day", day__gte=filters.start, day__lt=months[0])
        | Q(period="day", day__gt=covered_end, day__lte=filters.end)
    )


def _stats(filters: Filters, dim: str, *, by_day: bool = False) -> QuerySet[DailyStat]:
    rows = DailyStat.objects.filter(team=filters.team, dim=dim)
    if by_day:
        return rows.filter(period="day", day__gte=filters.start, day__lte=filters.end)
    return rows.filter(_range_rows(filters))


HISTS = ("first_response_hist", "resolution_hist", "escalate_hist")


def _sum_rows(rows: list[dict[str, Any]]) -> dict[str, Any]:
    total: dict[str, Any] = {name: sum(row.get(name, 0) for row in rows) for name in COUNT_FIELDS}
    for name in HISTS:
        total[name] = merge(row[name] for row in rows if name in row)
    total["csat_hist"] = merge((row["csat_hist"] for row in rows if "csat_hist" in row), size=5)
    return total


def _grouped(filters: Filters, dim: str, *, hists: tuple[str, ...] = (), by_day: bool = False) -> dict[Any, dict[str, Any]]:
    """Sum the rollup rows per key (or per day): one indexed query; only the histograms asked for."""
    groups: dict[Any, list[dict[str, Any]]] = defaultdict(list)
    for row in _stats(filters, dim, by_day=by_day).values("day", "key", *COUNT_FIELDS, *hists):
        groups[row["day"] if by_day else row["key"]].append(row)
    return {key: _sum_rows(rows) for key, rows in groups.items()}


def _total(filters: Filters, hists: tuple[str, ...]) -> dict[str, Any]:
    return _grouped(filters, "all", hists=hists).get("") or _sum_rows([])


def ratio(part: float, whole: float) -> float | None:
    return round(part / whole, 4) if whole else None


def _minutes(hist: list[int], q: float) -> float | None:
    value = quantile(hist, q)
    return None if value is None else round(value, 1)


def _labels(dim: str, keys: list[str]) -> dict[str, str]:
    ids = [pk for pk in map(parse_id, keys) if pk is not None]
    if dim == "priority":
        return {k: f"P{k}" for k in keys}
    if dim == "team":
        return {str(pk): name for pk, name in Team.objects.filter(pk__in=ids).values_list("pk", "name")}
    if dim == "agent":
        agents = Agent.objects.filter(pk__in=ids).select_related("user")
        return {str(a.pk): a.user.get_full_name() or a.user.get_username() for a in agents}
    if dim == "category":
        return {str(pk): name for pk, name in Category.objects.filter(pk__in=ids).values_list("pk", "name")}
    if dim == "channel":
        return {k: dict(Channel.choices).get(k, k or "unknown") for k in keys}
    if dim == "tier":
        return {k: dict(EscalationTier.choices).get(k, k) for k in keys}
    if dim == "signal":
        return {k: (k or "none").replace("_", " ") for k in keys}
    return {k: k for k in keys}


def _series(filters: Filters) -> list[date]:
    return [filters.start + timedelta(days=n) for n in range(filters.days)]


def _breakdown_rows(filters: Filters, dim: str, shape: Any, hists: tuple[str, ...]) -> list[dict[str, Any]]:
    grouped = _grouped(filters, dim, hists=hists)
    labels = _labels(dim, list(grouped))
    rows = [{"key": key, "label": labels.get(key, key or "—"), **shape(totals)} for key, totals in grouped.items()]
    return sorted(rows, key=lambda row: row["label"])


def _sla_shape(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "first_responses": t["first_responses"],
        "first_response_compliance": ratio(t["first_response_met"], t["first_response_met"] + t["first_response_breached"]),
        "first_response_p50_minutes": _minutes(t["first_response_hist"], 0.5),
        "first_response_p90_minutes": _minutes(t["first_response_hist"], 0.9),
        "resolved": t["resolved"],
        "resolution_compliance": ratio(t["resolution_met"], t["resolution_met"] + t["resolution_breached"]),
        "resolution_p50_minutes": _minutes(t["resolution_hist"], 0.5),
        "resolution_p90_minutes": _minutes(t["resolution_hist"], 0.9),
    }


def _open_tickets(filters: Filters) -> QuerySet[Ticket]:
    tickets = Ticket.objects.filter(status__in=OPEN_STATUSES)
    return tickets.filter(team_id=filters.team) if filters.team else tickets


SLA_HISTS = ("first_response_hist", "resolution_hist")


def sla_dashboard(filters: Filters) -> dict[str, Any]:
    by_day = _grouped(filters, "all", hists=SLA_HISTS, by_day=True)
    empty = _sum_rows([])
    live = _open_tickets(filters).filter(sla_status__in=("at_risk", "breached")).values("sla_status").annotate(n=Count("id")).order_by()
    now = {row["sla_status"]: row["n"] for row in live}
    return {
        "totals": _sla_shape(_total(filters, SLA_HISTS)),
        "now": {"at_risk": now.get("at_risk", 0), "breached": now.get("breached", 0)},
        "breakdown": _breakdown_rows(filters, filters.by, _sla_shape, SLA_HISTS),
        "trend": [{"day": d.isoformat(), **_sla_shape(by_day.get(d, empty))} for d in _series(filters)],
    }


def _escalation_shape(t: dict[str, Any]) -> dict[str, Any]:
    decided = t["escalations_accepted"] + t["escalations_dismissed"]
    return {
        "escalations": t["escalations"],
        "rate_per_ticket": ratio(t["escalations"], t["created"]),
        "reescalation_rate": ratio(t["reescalations"], t["escalations"]),
        "false_positive_rate": ratio(t["escalations_dismissed"], decided),
        "before_breach": t["escalations_before_breach"],
        "after_breach": t["escalations"] - t["escalations_before_breach"],
        "time_to_escalate_p50_minutes": _minutes(t["escalate_hist"], 0.5),
        "routing_accuracy": ratio(t["routed_kept"], t["routed"]),
    }


ESCALATION_HISTS = ("escalate_hist",)


def escalations_dashboard(filters: Filters) -> dict[str, Any]:
    by_day = _grouped(filters, "all", hists=ESCALATION_HISTS, by_day=True)
    empty = _sum_rows([])
    open_now = Escalation.objects.filter(status=Escalation.Status.OPEN)
    if filters.team:
        open_now = open_now.filter(ticket__team_id=filters.team)
    return {
        "totals": _escalation_shape(_total(filters, ESCALATION_HISTS)),
        "now": {"open": open_now.count()},
        "breakdown": _breakdown_rows(filters, filters.by, _escalation_shape, ESCALATION_HISTS),
        "trend": [{"day": d.isoformat(), **_escalation_shape(by_day.get(d, empty))} for d in _series(filters)],
    }


def _csat_shape(t: dict[str, Any]) -> dict[str, Any]:
    hist, answers = t["csat_hist"], t["csat_responses"]
    promoters, detractors = hist[4], sum(hist[:3])
    return {
        "responses": answers,
        "surveys_sent": t["surveys_sent"],
        "response_rate": ratio(answers, t["surveys_sent"]),
        "csat_average": round(t["csat_sum"] / answers, 2) if answers else None,
        "satisfied_share": ratio(hist[3] + hist[4], answers),
        "distribution": {str(n + 1): count for n, count in enumerate(hist)},
        "promoters_share": ratio(promoters, answers),
        "detractors_share": ratio(detractors, answers),
        "net_score": round(100 * (promoters - detractors) / answers) if answers else None,
    }


CSAT_HISTS = ("csat_hist",)


def satisfaction_dashboard(filters: Filters, *, limit: int = 15) -> dict[str, Any]:
    by_day = _grouped(filters, "all", hists=CSAT_HISTS, by_day=True)
    empty = _sum_rows([])
    at_risk = (
        _open_tickets(filters)
        .filter(predicted_satisfaction__isnull=False)
        .select_related("customer")
        .order_by("predicted_satisfaction")
        .only("id", "subject", "predicted_satisfaction", "satisfaction_factors", "customer__name", "customer__email")[:limit]
    )
    churn = Customer.objects.filter(churn_risk="high").order_by("-churn_score")
    if filters.team:
        churn = churn.filter(tickets__team_id=filters.team).distinct()
    return {
        "totals": _csat_shape(_total(filters, CSAT_HISTS)),
        "breakdown": _breakdown_rows(filters, filters.by, _csat_shape, CSAT_HISTS),
        "trend": [{"day": d.isoformat(), **_csat_shape(by_day.get(d, empty))} for d in _series(filters)],
        "predicted": [
            {
                "ticket": t.pk,
                "subject": t.subject,
                "customer": t.customer.name or t.customer.email,
                "probability": t.predicted_satisfaction,
                "factors": t.satisfaction_factors,
            }
            for t in at_risk
        ],
        "churn_risk": [
            {"customer": c.pk, "name": c.name or c.email, "tier": c.tier, "score": c.churn_score, "factors": c.churn_factors}
            for c in churn.only("id", "name", "email", "tier", "churn_score", "churn_factors")[:limit]
        ],
    }


def _volume_shape(t: dict[str, Any]) -> dict[str, Any]:
    return {
        "created": t["created"],
        "resolved": t["resolved"],
        "first_contact_resolution": ratio(t["first_contact_resolved"], t["resolved"]),
        "reopen_rate": ratio(t["reopened_resolved"], t["resolved"]),
    }


def volume_dashboard(filters: Filters) -> dict[str, Any]:
    by_day = _grouped(filters, "all", by_day=True)
    empty = _sum_rows([])
    backlog = {row["status"]: row["n"] for row in _open_tickets(filters).values("status").annotate(n=Count("id")).order_by()}
    agents = Agent.objects.select_related("user")
    if filters.team:
        agents = agents.filter(teams=filters.team)
    # Open tickets per assignee from the small partial index of open tickets (not a join over every ticket).
    load = dict(
        Ticket.objects.filter(status__in=OPEN_STATUSES, assignee__isnull=False).values_list("assignee").annotate(n=Count("id")).order_by()
    )
    deflection = _deflection(filters)[0]
    per_key_day: dict[str, dict[str, int]] = defaultdict(dict)
    for key, day, created in _stats(filters, filters.by, by_day=True).filter(created__gt=0).values_list("key", "day", "created"):
        per_key_day[key][day.isoformat()] = created
    labels = _labels(filters.by, list(per_key_day))
    return {
        "totals": {**_volume_shape(_total(filters, ())), **{k: deflection[k] for k in ("deflected", "deflection_rate", "auto_resolved")}},
        "backlog": {status: backlog.get(status, 0) for status in OPEN_STATUSES},
        "backlog_total": sum(backlog.values()),
        "breakdown": _breakdown_rows(filters, filters.by, _volume_shape, ()),
        "created_by_day": {labels.get(key, key): days for key, days in sorted(per_key_day.items(), key=lambda i: labels.get(i[0], i[0]))},
        "trend": [{"day": d.isoformat(), **_volume_shape(by_day.get(d, empty))} for d in _series(filters)],
        "agent_load": sorted(
            (
                {
                    "agent": a.user.get_full_name() or a.user.get_username(),
                    "open": load.get(a.pk, 0),
                    "capacity": a.capacity,
                    "utilisation": ratio(load.get(a.pk, 0), a.capacity),
                }
                for a in agents
            ),
            key=lambda row: (-row["open"], row["agent"]),
        )[:50],
    }


DASHBOARDS: dict[str, tuple[str, Callable[[Filters], dict[str, Any]]]] = {
    "sla": ("SLA", sla_dashboard),
    "escalations": ("Escalations", escalations_dashboard),
    "satisfaction": ("Satisfaction", satisfaction_dashboard),
    "volume": ("Volume & workload", volume_dashboard),
}


def _day_range(filters: Filters) -> tuple[Any, Any]:
    from analytics.rollup import day_bounds

    return day_bounds(filters.start)[0], day_bounds(filters.end)[1]


def _deflection(filters: Filters) -> tuple[dict[str, Any], dict[date, int], dict[date, int]]:
    """Deflected contacts vs web-form tickets, and auto-replies: totals, deflections and web tickets per day."""
    from django.db.models.functions import TruncDate

    since, until = _day_range(filters)
    deflections = Deflection.objects.filter(created_at__gte=since, created_at__lt=until)
    web_by_day = {
        row["day"]: row["created"] for row in _stats(filters, "channel", by_day=True).filter(key=Channel.WEB_FORM).values("day", "created")
    }
    deflected_by_day = {
        row["day"]: row["n"] for row in deflections.annotate(day=TruncDate("created_at")).values("day").annotate(n=Count("id")).order_by()
    }
    web_tickets = sum(web_by_day.values())
    deflected = sum(deflected_by_day.values())
    replied = Ticket.objects.filter(auto_reply_sent_at__gte=since, auto_reply_sent_at__lt=until)
    if filters.team:
        replied = replied.filter(team_id=filters.team)
    auto = replied.aggregate(
        sent=Count("id"), resolved=Count("id", filter=Q(auto_resolved=True)),
        reopened=Count("id", filter=Q(auto_resolved=True, reopen_count__gt=0)),
    )  # fmt: skip
    totals = {
        "deflected": deflected,
        "web_form_tickets": web_tickets,
        "deflection_rate": ratio(deflected, deflected + web_tickets),
        "auto_replies": auto["sent"],
        "auto_resolved": auto["resolved"],
        "auto_resolution_rate": ratio(auto["resolved"], auto["sent"]),
        "auto_resolved_reopen_rate": ratio(auto["reopened"], auto["resolved"]),
    }
    return totals, deflected_by_day, web_by_day


def selfservice_dashboard(filters: Filters, *, limit: int = 15) -> dict[str, Any]:
    """Deflection, auto-resolution, article helpfulness and content gaps (searches without results)."""
    since, until = _day_range(filters)
    totals, deflected_by_day, web_by_day = _deflection(filters)
    deflections = Deflection.objects.filter(created_at__gte=since, created_at__lt=until)
    by_article = deflections.values("article_id", "article__title").annotate(n=Count("id")).order_by("-n", "article__title")[:limit]
    voted = KnowledgeArticle.objects.filter(is_published=True).annotate(vote_total=F("helpful_count") + F("not_helpful_count"))
    gaps = (
        SearchLog.objects.filter(created_at__gte=since, created_at__lt=until, results=0)
        .values("query").annotate(n=Count("id")).order_by("-n", "query")[:limit]
    )  # fmt: skip
    return {
        "totals": totals,
        "breakdown": [
            {"key": str(row["article_id"]), "label": row["article__title"] or "(deleted)", "deflected": row["n"]} for row in by_article
        ],
        "trend": [
            {
                "day": d.isoformat(),
                "deflected": deflected_by_day.get(d, 0),
                "web_form_tickets": web_by_day.get(d, 0),
                "deflection_rate": ratio(deflected_by_day.get(d, 0), deflected_by_day.get(d, 0) + web_by_day.get(d, 0)),
            }
            for d in _series(filters)
        ],
        "helpfulness": [
            {
                "article": a.title,
                "helpful": a.helpful_count,
                "not_helpful": a.not_helpful_count,
                "helpful_share": ratio(a.helpful_count, a.vote_total),
            }
            for a in voted.filter(vote_total__gt=0).order_by("-vote_total", "title")[:limit]
        ],
        "content_gaps": [{"query": row["query"], "searches": row["n"]} for row in gaps],
    }


BREAKDOWNS["selfservice"] = ("article",)
DASHBOARDS["selfservice"] = ("Self-service", selfservice_dashboard)
