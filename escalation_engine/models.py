"""The escalation engine's data: SLA policies, escalation rules, escalations, notifications."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils import timezone

from foundation.models import BusinessCalendar


class SlaPolicy(models.Model):
    """Targets per priority, optionally narrowed to a customer tier and a team; the most specific active one applies."""

    name = models.CharField(max_length=120)
    priority = models.PositiveSmallIntegerField(choices=[(0, "P0"), (1, "P1"), (2, "P2"), (3, "P3")])
    customer_tier = models.CharField(max_length=16, blank=True, help_text="Empty = every tier.")
    team = models.ForeignKey(
        "agents.Team", null=True, blank=True, on_delete=models.CASCADE, related_name="+", help_text="Empty = every team."
    )
    first_response_minutes = models.PositiveIntegerField()
    next_response_minutes = models.PositiveIntegerField()
    resolution_minutes = models.PositiveIntegerField()
    calendar = models.ForeignKey(
        BusinessCalendar, null=True, blank=True, on_delete=models.PROTECT, related_name="+", help_text="Empty = the default calendar."
    )
    at_risk_ratio = models.FloatField(default=0.75, help_text="Share of the target elapsed before the ticket counts as at risk.")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["priority", "customer_tier", "name"]
        verbose_name = "SLA policy"
        verbose_name_plural = "SLA policies"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(priority__lte=3), name="slapolicy_priority_valid", violation_error_message="Priority must be P0–P3."
            ),
            models.CheckConstraint(
                condition=models.Q(at_risk_ratio__gt=0, at_risk_ratio__lt=1),
                name="slapolicy_at_risk_ratio_range",
                violation_error_message="At-risk ratio must be between 0 and 1.",
            ),
            models.CheckConstraint(
                condition=models.Q(first_response_minutes__gt=0, next_response_minutes__gt=0, resolution_minutes__gt=0),
                name="slapolicy_targets_positive",
                violation_error_message="Targets must be at least one minute.",
            ),
        ]

    def __str__(self) -> str:
        return self.name


class Recommendation(models.TextChoices):
    IMMEDIATE = "immediate", "Immediate"
    PRIORITY = "priority", "Priority"
    MONITOR = "monitor", "Monitor"


class EscalationTier(models.TextChoices):
    SENIOR_SUPPORT = "senior_support", "Senior support"
    ON_CALL = "on_call", "On-call engineer"
    SENIOR_ENGINEER = "senior_engineer", "Senior engineer"
    EXECUTIVE = "executive", "Executive"


class EscalationRule(models.Model):
    """Ordered: the first rule matching recommendation, category and tier decides the tier and actions."""

    name = models.CharField(max_length=120)
    order = models.PositiveIntegerField(default=100)
    enabled = models.BooleanField(default=True)
    recommendation = models.CharField(
        max_length=12, choices=[(r.value, r.label) for r in (Recommendation.IMMEDIATE, Recommendation.PRIORITY)]
    )
    categories = models.ManyToManyField("tickets.Category", blank=True, related_name="+")
    customer_tiers = models.JSONField(default=list, blank=True, help_text='Empty = any, e.g. ["enterprise"]')
    tier = models.CharField(max_length=20, choices=EscalationTier.choices)
    reassign_team = models.ForeignKey("agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raise_priority_to = models.PositiveSmallIntegerField(null=True, blank=True, help_text="0 = P0 … 3 = P3")
    notify = models.BooleanField(default=True)
    note = models.CharField(max_length=300, blank=True, help_text="Added to the ticket as an internal note.")

    class Meta:
        ordering = ["order", "id"]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"


class Escalation(models.Model):
    """One escalation of a ticket at a tier, with every signal, weight and action kept for review."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACCEPTED = "accepted", "Accepted"
        DISMISSED = "dismissed", "Dismissed (false positive)"
        DEESCALATED = "deescalated", "De-escalated"

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="escalations")
    tier = models.CharField(max_length=20, choices=EscalationTier.choices)
    status = models.CharField(max_length=12, choices=Status.choices, default=Status.OPEN)
    score = models.FloatField()
    recommendation = models.CharField(max_length=12, choices=Recommendation.choices)
    signals = models.JSONField(default=dict)
    weights = models.JSONField(default=dict)
    contributions = models.JSONField(default=dict)
    rule = models.ForeignKey(EscalationRule, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actions = models.JSONField(default=list, blank=True, help_text="What was done and how it went.")
    sla_breached_at_escalation = models.BooleanField(default=False)
    sla_status_at_escalation = models.CharField(max_length=12, blank=True)
    sla_target_at_escalation = models.CharField(max_length=16, blank=True, help_text="The clock at risk or breached then.")
    reescalation_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="+", help_text="The decided escalation this one follows."
    )
    worse_because = models.JSONField(default=list, blank=True, help_text="Why a decided ticket was escalated again.")
    customers_affected = models.PositiveIntegerField(default=1, help_text="For an incident: how many customers it hits (grows).")
    created_at = models.DateTimeField(default=timezone.now)
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_reason = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            # The sweep can run twice (or in parallel): at most one open escalation per ticket and tier.
            models.UniqueConstraint(fields=["ticket", "tier"], condition=models.Q(status="open"), name="escalation_one_open_per_tier"),
        ]
        indexes = [
            models.Index(fields=["status", "-score"], name="escalation_inbox_idx"),
            models.Index(fields=["created_at"], name="escalation_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.get_tier_display()} for ticket {self.ticket_id} ({self.status})"


class EscalationSettings(models.Model):
    """Admin-editable weights and thresholds (one row)."""

    weights = models.JSONField(default=dict, blank=True, help_text='Overrides of signal weights, e.g. {"legal": 0.9}.')
    immediate_threshold = models.FloatField(default=0.8)
    priority_threshold = models.FloatField(default=0.6)
    recheck_minutes = models.PositiveIntegerField(default=60, help_text="How often an open ticket with no clock due is re-scored.")
    dismissal_cooldown_minutes = models.PositiveIntegerField(
        default=24 * 60,
        help_text="After a dismissal, the dismissed signals rising further do not re-escalate for this long "
        "(a new signal, a worse SLA state, a higher recommendation or a new alarming customer message still do).",
    )
    at_risk_escalates = models.BooleanField(
        default=True, help_text="A ticket at risk of breaching (75 % of a target) is escalated at least to priority, for every tier."
    )
    forecast_escalates = models.BooleanField(
        default=True,
        help_text="Escalate (at least to priority) when the breach forecast says the next response target is missed "
        "within the lead time below with at least the probability below, before the 75 % rule would.",
    )
    forecast_lead_minutes = models.PositiveIntegerField(
        default=60, help_text="How long before the target's due time the forecast may escalate (business minutes)."
    )
    forecast_probability = models.FloatField(
        default=0.8,
        validators=[MinValueValidator(0.05), MaxValueValidator(1.0)],
        help_text="The breach probability (0.05–1) at which the forecast escalates.",
    )

    class Meta:
        verbose_name = verbose_name_plural = "escalation settings"
        # Held by the admin role (every permission of this app): the console's audit log.
        permissions = [("view_audit", "Can view the audit log of ticket and configuration changes")]

    def __str__(self) -> str:
        return "Escalation settings"

    @classmethod
    def current(cls) -> EscalationSettings:
        row, _ = cls.objects.get_or_create(pk=1)
        return row


class Notification(models.Model):
    """Who is told about one escalation, on which channel; its message and delivery state are a
    ``foundation.OutboxMessage`` (ref "escalation.notification", this id): sent after commit, retried, never twice."""

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Chat webhook"

    escalation = models.ForeignKey(Escalation, on_delete=models.CASCADE, related_name="notifications")
    channel = models.CharField(max_length=10, choices=Channel.choices)
    target = models.CharField(max_length=500, help_text="E-mail address, or the team whose chat webhook is used.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(fields=["escalation", "channel", "target"], name="notification_dedupe")]

    def __str__(self) -> str:
        return f"{self.channel} → {self.target}"


class SatisfactionModel(models.Model):
    """A satisfaction model fitted on answered surveys (analytics trains one hourly); the newest predicts."""

    trained_at = models.DateTimeField(default=timezone.now, db_index=True)
    trained_on = models.PositiveIntegerField(help_text="Answered surveys it was fitted on.")
    intercept = models.FloatField()
    weights = models.JSONField(help_text="Logistic weight of each feature.")
    means = models.JSONField(help_text="Mean of each feature over the training rows; a factor is weight × (value − mean).")

    class Meta:
        ordering = ["-trained_at", "-id"]
        get_latest_by = "trained_at"

    def __str__(self) -> str:
        return f"Satisfaction model of {self.trained_at:%Y-%m-%d %H:%M} ({self.trained_on} answers)"


class BreachForecast(models.Model):
    """The latest breach forecast of one open ticket's next response target (``escalation_engine.forecasting``).

    One row per ticket, replaced on every run of the forecast task; a ticket whose response
    clock stopped (answered, paused, closed) loses its row.
    """

    ticket = models.OneToOneField("tickets.Ticket", primary_key=True, on_delete=models.CASCADE, related_name="breach_forecast")
    target = models.CharField(max_length=16, help_text="first_response / next_response")
    due_at = models.DateTimeField()
    probability = models.FloatField(help_text="Chance (0–1) the target is missed.")
    expected_wait_seconds = models.FloatField(null=True, blank=True, help_text="Business seconds until the response, mean.")
    factors = models.JSONField(default=list, blank=True)
    fires = models.BooleanField(default=False, help_text="Breach within the lead time with at least the set probability.")
    computed_at = models.DateTimeField()

    class Meta:
        indexes = [models.Index(fields=["computed_at"], name="breachforecast_computed_idx")]

    def __str__(self) -> str:
        return f"{self.ticket_id}: {self.probability:.0%} by {self.due_at:%Y-%m-%d %H:%M}"


class ForecastSample(models.Model):
    """One past forecast of a ticket's first response, kept to learn from its outcome (``forecast_learning``).

    Taken every ``SAMPLE_EVERY`` by the forecast task while the clock runs; ``breached`` is filled
    in once the outcome is known (answered by ``due_at``, or not), and a sample whose target moved
    (priority or pause changed the due time) or whose ticket closed unanswered is dropped.
    """

    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="+")
    taken_at = models.DateTimeField()
    due_at = models.DateTimeField()
    features = models.JSONField(help_text="What the calibration reads (escalation_engine.forecast.FEATURES), in order.")
    queue_probability = models.FloatField(help_text="The queue arithmetic's probability, before any calibration.")
    breached = models.BooleanField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        indexes = [
            models.Index(fields=["taken_at"], name="forecastsample_taken_idx"),
            models.Index(fields=["ticket"], name="forecastsample_open_idx", condition=models.Q(resolved_at__isnull=True)),
            models.Index(fields=["resolved_at", "taken_at"], name="forecastsample_known_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.ticket_id} at {self.taken_at:%Y-%m-%d %H:%M}: {self.queue_probability:.0%}"


class ForecastCalibration(models.Model):
    """One fit of the desk's calibration layer over the queue's probability (the daily task ``escalation.fit_forecast_calibration``).

    Fitted on the older three quarters of the desk's known outcomes and judged on the newest
    quarter; adopted (refitted on them all) only when it beats the queue alone there. The newest
    adopted row is the one the forecasts use.
    """

    fitted_at = models.DateTimeField(default=timezone.now)
    calibration = models.JSONField(default=dict, blank=True, help_text="Weights and intercept (escalation_engine.forecast.Calibration).")
    samples = models.PositiveIntegerField(default=0)
    breaches = models.PositiveIntegerField(default=0)
    held_out = models.PositiveIntegerField(default=0, help_text="Samples in the newest quarter it was judged on.")
    brier_queue = models.FloatField(null=True, blank=True, help_text="Brier score of the queue alone on the held-out quarter.")
    brier_calibrated = models.FloatField(null=True, blank=True, help_text="Brier score with the layer on the held-out quarter.")
    adopted = models.BooleanField(default=False)
    note = models.CharField(max_length=200, blank=True)

    class Meta:
        indexes = [models.Index(fields=["adopted", "fitted_at"], name="forecastcal_adopted_idx")]

    def __str__(self) -> str:
        return f"{self.fitted_at:%Y-%m-%d %H:%M} ({'adopted' if self.adopted else 'not adopted'})"


class WhatIfRun(models.Model):
    """One what-if replay a supervisor asked for on the console (``escalation_engine.whatif_runs``).

    ``result`` is exactly what ``manage.py whatif --json`` prints for the same period, scenario
    and seed; the worker fills it in (``escalation.whatif_run``), moving ``progress`` on the way.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="whatif_runs")
    created_at = models.DateTimeField(default=timezone.now)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)
    progress_at = models.DateTimeField(null=True, blank=True, help_text="When the worker last moved the progress.")
    period_start_at = models.DateTimeField(help_text="Tickets created from here …")
    period_end_at = models.DateTimeField(help_text="… to here (exclusive) are replayed.")
    scenario = models.JSONField(default=dict, blank=True, help_text="The scenario file's JSON (README: What-if on your own history).")
    seed = models.PositiveIntegerField(default=1)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0, validators=[MaxValueValidator(100)])
    result = models.JSONField(null=True, blank=True, help_text="What `manage.py whatif --json` prints.")
    error = models.TextField(blank=True)

    class Meta:
        indexes = [models.Index(fields=["-created_at", "-id"], name="whatifrun_created_idx")]
        constraints = [models.CheckConstraint(condition=models.Q(progress__lte=100), name="whatifrun_progress_lte_100")]

    def __str__(self) -> str:
        return f"what-if {self.pk}: {self.scenario_name} ({self.status})"

    @property
    def scenario_name(self) -> str:
        """As the replay names it (``whatif.parse_scenario``)."""
        return str(self.scenario.get("name", "scenario"))[:120] if isinstance(self.scenario, dict) else "scenario"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)
