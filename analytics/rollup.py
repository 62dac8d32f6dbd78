"""Daily rollups: what the dashboards read instead of scanning tickets.

``rebuild_day`` aggregates one local day (``TIME_ZONE``) from indexed day-range queries —
tickets created, first responses, resolutions, escalations, surveys sent and answered —
into ``DailyStat`` rows per team (0 = all teams) and breakdown. Each fact is counted on the
day it happened. ``refresh`` (beat, every 5 minutes) rebuilds today, yesterday and every day
marked dirty by a late change (a reopening, an escalation decision, a manual reassignment).

Durations are histograms over fixed minute buckets; ``quantile`` estimates medians and p90s
by linear interpolation inside a bucket (exact when values sit on bucket bounds).
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db import transaction
from django.db.models import Count, Exists, OuterRef
from django.utils import timezone

from analytics.models import DailyStat, DirtyDay, SatisfactionSurvey
from escalation_engine.models import Escalation
from tickets.models import Ticket, TicketEvent

# Upper bounds (minutes) of the duration buckets; one more bucket holds everything longer.
BOUNDS_MINUTES = (1, 2, 3, 5, 10, 15, 20, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720, 960, 1440,
                  2160, 2880, 4320, 5760, 7200, 10080, 20160, 43200)  # fmt: skip
HIST_FIELDS = ("first_response_hist", "resolution_hist", "escalate_hist")
COUNT_FIELDS = tuple(f.name for f in DailyStat._meta.concrete_fields if f.get_internal_type() == "IntegerField" and f.name != "team")

Dims = list[tuple[str, str]]


def bucket_of(seconds: float) -> int:
    return bisect.bisect_left(BOUNDS_MINUTES, seconds / 60)


def empty_hist() -> list[int]:
    return [0] * (len(BOUNDS_MINUTES) + 1)


def merge(hists: Iterable[list[int]], size: int | None = None) -> list[int]:
    total = [0] * (size or len(BOUNDS_MINUTES) + 1)
    for hist in hists:
        for index, count in enumerate(hist or []):
            total[index] += count
    return total


def quantile(hist: list[int], q: float) -> float | None:
    """The q-quantile in minutes (None without data); the overflow bucket reports its lower bound."""
    total = sum(hist)
    if not total:
        return None
    rank, seen = q * total, 0
    for index, count in enumerate(hist):
        if count and seen + count >= rank:
            if index >= len(BOUNDS_MINUTES):
                return float(BOUNDS_MINUTES[-1])
            lower = 0.0 if index == 0 else float(BOUNDS_MINUTES[index - 1])
            return lower + (BOUNDS_MINUTES[index] - lower) * (rank - seen) / count
        seen += count
    return float(BOUNDS_MINUTES[-1])


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def local_day(moment: datetime) -> date:
    return timezone.localtime(moment).date()


def mark_dirty(moment: datetime | None) -> None:
    """A change touched the numbers of ``moment``'s day; today and yesterday are rebuilt anyway."""
    if moment is None:
        return
    day = local_day(moment)
    if day < timezone.localdate() - timedelta(days=1):
        DirtyDay.objects.bulk_create([DirtyDay(day=day)], ignore_conflicts=True)


def _ticket_dims(team: int | None, agent: int | None, category: int | None, priority: int, channel: str) -> Dims:
    dims = [("all", ""), ("priority", str(priority)), ("channel", channel or "")]
    if team:
        dims.append(("team", str(team)))
    if agent:
        dims.append(("agent", str(agent)))
    if category:
        dims.append(("category", str(category)))
    return dims


class _Accumulator:
    def __init__(self, day: date) -> None:
        self.day = day
        self.rows: dict[tuple[int, str, str], dict[str, Any]] = {}

    def add(self, team: int | None, dims: Dims, counts: dict[str, int], hists: dict[str, int] | None = None) -> None:
        for team_key in (0, team) if team else (0,):
            for dim, key in dims:
                row = self.rows.get((team_key, dim, key))
                if row is None:
                    row = self.rows[(team_key, dim, key)] = {"csat_hist": [0] * 5, **{h: empty_hist() for h in HIST_FIELDS}}
                for name, value in counts.items():
                    row[name] = row.get(name, 0) + value
                for name, index in (hists or {}).items():
                    row[name][index] += 1

    def stats(self) -> list[DailyStat]:
        return [DailyStat(day=self.day, team=team, dim=dim, key=key, **values) for (team, dim, key), values in self.rows.items()]


def rebuild_day(day: date, *, months: bool = True) -> int:
    """Recompute every day row of one day (and its month's rows); returns how many day rows it wrote."""
    start, end = day_bounds(day)
    acc = _Accumulator(day)
    dims = ("team_id", "assignee_id", "category_id", "priority", "channel")

    created = Ticket.objects.filter(created_at__gte=start, created_at__lt=end).order_by()
    for team, agent, category, priority, channel, n in created.values_list(*dims).annotate(n=Count("id")):
        acc.add(team, _ticket_dims(team, agent, category, priority, channel), {"created": n})

    routed_ids = set(
        TicketEvent.objects.filter(ticket__in=created.values("pk"), kind="assigned", actor__isnull=True).values_list("ticket_id", flat=True)
    )
    overridden = set(
        TicketEvent.objects.filter(ticket_id__in=routed_ids, kind="reassigned", actor__isnull=False).values_list("ticket_id", flat=True)
    )
    for pk, *values in created.filter(pk__in=routed_ids).values_list("pk", *dims):
        acc.add(values[0], _ticket_dims(*values), {"routed": 1, "routed_kept": int(pk not in overridden)})

    responded = Ticket.objects.filter(first_response_at__gte=start, first_response_at__lt=end, first_response_seconds__isnull=False)
    for *values, met, seconds in responded.order_by().values_list(*dims, "first_response_met", "first_response_seconds"):
        counts = {"first_responses": 1, "first_response_met": int(met is True), "first_response_breached": int(met is False)}
        acc.add(values[0], _ticket_dims(*values), counts, {"first_response_hist": bucket_of(seconds)})

    resolved = Ticket.objects.filter(resolved_at__gte=start, resolved_at__lt=end, resolution_seconds__isnull=False).order_by()
    for *values, met, seconds, replies, reopens in resolved.values_list(
        *dims, "resolution_met", "resolution_seconds", "agent_reply_count", "reopen_count"
    ):
        counts = {
            "resolved": 1,
            "resolution_met": int(met is True),
            "resolution_breached": int(met is False),
            "first_contact_resolved": int(replies == 1 and reopens == 0),
            "reopened_resolved": int(reopens > 0),
        }
        acc.add(values[0], _ticket_dims(*values), counts, {"resolution_hist": bucket_of(seconds)})

    earlier = Escalation.objects.filter(ticket_id=OuterRef("ticket_id"), created_at__lt=OuterRef("created_at"))
    escalations = (
        Escalation.objects.filter(created_at__gte=start, created_at__lt=end)
        .order_by()
        .annotate(again=Exists(earlier))
        .values_list(*(f"ticket__{d}" for d in dims), "tier", "status", "sla_breached_at_escalation", "contributions",
                     "ticket__created_at", "created_at", "again")
    )  # fmt: skip
    for *values, tier, status, breached, contributions, opened, at, again in escalations:
        top = max((contributions or {}).items(), key=lambda item: item[1], default=("", 0))[0]
        counts = {
            "escalations": 1,
            "escalations_accepted": int(status == Escalation.Status.ACCEPTED),
            "escalations_dismissed": int(status == Escalation.Status.DISMISSED),
            "escalations_before_breach": int(not breached),
            "reescalations": int(again),
        }
        extra = [("tier", tier), ("signal", top)]
        acc.add(values[0], _ticket_dims(*values) + extra, counts, {"escalate_hist": bucket_of((at - opened).total_seconds())})

    survey_dims = ("team_id", "agent_id", "category_id", "priority", "channel")
    sent = SatisfactionSurvey.objects.filter(sent_at__gte=start, sent_at__lt=end).order_by()
    for *values, n in sent.values_list(*survey_dims).annotate(n=Count("id")):
        acc.add(values[0], _ticket_dims(*values), {"surveys_sent": n})
    answered = SatisfactionSurvey.objects.filter(answered_at__gte=start, answered_at__lt=end).order_by()
    for *values, rating in answered.values_list(*survey_dims, "rating"):
        acc.add(values[0], _ticket_dims(*values), {"csat_responses": 1, "csat_sum": rating})
        for team_key in (0, values[0]) if values[0] else (0,):
            for dim, key in _ticket_dims(*values):
                acc.rows[(team_key, dim, key)]["csat_hist"][rating - 1] += 1

    stats = acc.stats()
    with transaction.atomic():
        DailyStat.objects.filter(period="day", day=day).delete()
        DailyStat.objects.bulk_create(stats, batch_size=1000)
    if months:
        rebuild_month(day)
    return len(stats)


def month_of(day: date) -> date:
    return day.replace(day=1)


def rebuild_month(day: date) -> int:
    """Sum the day rows of ``day``'s month into its month rows."""
    first = month_of(day)
    following = (first + timedelta(days=32)).replace(day=1)
    days = DailyStat.objects.filter(period="day", day__gte=first, day__lt=following)
    totals: dict[tuple[int, str, str], dict[str, Any]] = {}
    for row in days.values("team", "dim", "key", *COUNT_FIELDS, *HIST_FIELDS, "csat_hist").iterator(chunk_size=5000):
        key = (row.pop("team"), row.pop("dim"), row.pop("key"))
        total = totals.get(key)
        if total is None:
            totals[key] = row
            continue
        for name in COUNT_FIELDS:
            total[name] += row[name]
        for name in (*HIST_FIELDS, "csat_hist"):
            total[name] = [a + b for a, b in zip(total[name], row[name], strict=True)]
    stats = [DailyStat(period="month", day=first, team=t, dim=d, key=k, **values) for (t, d, k), values in totals.items()]
    with transaction.atomic():
        DailyStat.objects.filter(period="month", day=first).delete()
        DailyStat.objects.bulk_create(stats, batch_size=1000)
    return len(stats)


def refresh(*, now: datetime | None = None) -> list[date]:
    """Rebuild today, yesterday and the days marked dirty; returns the days rebuilt."""
    now = now or timezone.now()
    today = local_day(now)
    dirty = list(DirtyDay.objects.filter(marked_at__lte=now).values_list("day", flat=True))
    days = sorted({today, today - timedelta(days=1), *dirty})
    for day in days:
        rebuild_day(day, months=False)
    for month in sorted({month_of(day) for day in days}):
        rebuild_month(month)
    DirtyDay.objects.filter(day__in=dirty, marked_at__lte=now).delete()
    return days


def rebuild_range(first: date, last: date) -> int:
    rows, day = 0, first
    while day <= last:
        rows += rebuild_day(day, months=False)
        day += timedelta(days=1)
    month = month_of(first)
    while month <= last:
        rebuild_month(month)
        month = (month + timedelta(days=32)).replace(day=1)
    return rows


# Listeners (connected in pipeline/listeners.py): a change to a past day marks it for rebuilding.


def on_status_changed(*, ticket: Ticket, old: str, at: datetime, resolved: bool, reopened_after: datetime | None) -> None:
    """Reopened: the day it was resolved is counted again."""
    mark_dirty(reopened_after)


def on_reassigned(*, ticket: Ticket) -> None:
    """Reassigned by a person: the routing accuracy of the day it arrived changes."""
    mark_dirty(ticket.created_at)


def on_escalation_decided(*, escalation: Escalation) -> None:
    """The dashboards count decisions on the day of the escalation."""
    mark_dirty(escalation.created_at)
