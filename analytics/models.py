"""Analytics: CSAT surveys and the daily rollups the dashboards read.

Dashboards never scan tickets per page view: ``DailyStat`` holds one row per day, team
(0 = all teams) and breakdown (dimension + key), rebuilt per day by a periodic task from
indexed day-range queries (``analytics.rollup``). Durations are kept as histograms so
medians and p90s of any date range merge from a few hundred rows.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.db.models import Q
from django.utils import timezone


def _nonce() -> str:
    return uuid.uuid4().hex


class SatisfactionSurvey(models.Model):
    """One CSAT survey per ticket: sent on resolution, answered once through a signed link."""

    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="survey")
    customer = models.ForeignKey("tickets.Customer", on_delete=models.CASCADE, related_name="surveys")
    nonce = models.CharField(max_length=32, default=_nonce, help_text="Ties a link to this survey; links of another survey fail.")
    # Who and what the answer is about, as it was at resolution (the ticket may move on later).
    team = models.ForeignKey("agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    category = models.ForeignKey("tickets.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    priority = models.PositiveSmallIntegerField(default=2)
    channel = models.CharField(max_length=16, blank=True)
    signals = models.JSONField(default=dict, blank=True, help_text="The ticket's signals at resolution: features for the CSAT model.")
    created_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)
    answered_at = models.DateTimeField(null=True, blank=True)
    rating = models.PositiveSmallIntegerField(null=True, blank=True)
    comment = models.TextField(blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["sent_at"], condition=Q(sent_at__isnull=False), name="survey_sent_idx"),
            models.Index(fields=["answered_at"], condition=Q(answered_at__isnull=False), name="survey_answered_idx"),
            models.Index(fields=["customer", "answered_at"], name="survey_customer_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(rating__isnull=True) | Q(rating__gte=1, rating__lte=5), name="survey_rating_1_to_5"),
        ]

    def __str__(self) -> str:
        return f"CSAT #{self.ticket_id}: {self.rating or 'unanswered'}"


class DailyStat(models.Model):
    """Counts and histograms of one day (or one month), for one team (0 = all) and one breakdown.

    Month rows (``period="month"``, ``day`` = the 1st) sum the month's day rows, so a year
    reads twelve of them instead of 365 day rows.
    """

    DIMENSIONS = ("all", "priority", "team", "agent", "category", "channel", "tier", "signal")

    period = models.CharField(max_length=5, default="day", help_text="day, or month (day is then the 1st).")
    day = models.DateField()
    team = models.IntegerField(default=0, help_text="Team id, 0 for all teams.")
    dim = models.CharField(max_length=12)
    key = models.CharField(max_length=64, blank=True)

    created = models.IntegerField(default=0)
    first_responses = models.IntegerField(default=0)
    first_response_met = models.IntegerField(default=0)
    first_response_breached = models.IntegerField(default=0)
    first_response_hist = models.JSONField(default=list)
    resolved = models.IntegerField(default=0)
    resolution_met = models.IntegerField(default=0)
    resolution_breached = models.IntegerField(default=0)
    resolution_hist = models.JSONField(default=list)
    first_contact_resolved = models.IntegerField(default=0)
    reopened_resolved = models.IntegerField(default=0, help_text="Resolved tickets that had been reopened before.")

    escalations = models.IntegerField(default=0)
    escalations_accepted = models.IntegerField(default=0)
    escalations_dismissed = models.IntegerField(default=0)
    escalations_before_breach = models.IntegerField(default=0)
    reescalations = models.IntegerField(default=0)
    escalate_hist = models.JSONField(default=list)
    routed = models.IntegerField(default=0)
    routed_kept = models.IntegerField(default=0)

    surveys_sent = models.IntegerField(default=0)
    csat_responses = models.IntegerField(default=0)
    csat_sum = models.IntegerField(default=0)
    csat_hist = models.JSONField(default=list)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["team", "dim", "key", "period", "day"], name="dailystat_unique")]
        indexes = [models.Index(fields=["team", "dim", "period", "day"], name="dailystat_read_idx")]
        permissions = [("view_dashboards", "Can see the supervisor dashboards and analytics API")]

    def __str__(self) -> str:
        return f"{self.day} team={self.team} {self.dim}={self.key}"


class DirtyDay(models.Model):
    """A past day whose rollup must be rebuilt (a late answer, decision or reopening touched it)."""

    day = models.DateField(unique=True)
    marked_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return str(self.day)
