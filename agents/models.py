"""Agents, the teams they belong to and the skills routing matches on."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from agents import routing_core
from foundation import patterns
from foundation.models import Weekday
from tickets.models import Channel, CustomerTier

__all__ = ["Weekday"]  # shifts and business hours share the weekdays (defined with the calendars in the platform)


class Availability(models.TextChoices):
    ONLINE = "online", "Online"
    AWAY = "away", "Away"
    OFFLINE = "offline", "Offline"


class Seniority(models.IntegerChoices):
    JUNIOR = 1, "Junior"
    INTERMEDIATE = 2, "Intermediate"
    SENIOR = 3, "Senior"
    LEAD = 4, "Lead"


class QueueOrder(models.TextChoices):
    """Which waiting ticket a free agent takes first (``routing_core.queue_key``)."""

    FIFO = "fifo", "First in, first out"
    PRIORITY = "priority", "Priority, then arrival"
    SLA = "sla", "Least SLA slack (business time), priority breaks ties"


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)
    queue_order = models.CharField(
        max_length=16,
        choices=QueueOrder.choices,
        default=QueueOrder.PRIORITY,
        help_text="The order in which waiting tickets are offered to agents who free capacity.",
    )
    # Auto-close (escalation_engine/auto_close.py): business days in the default business calendar.
    remind_pending_after_business_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="A ticket pending the customer this many business days gets one reminder mail. Empty: never (no auto-close).",
    )
    resolve_pending_after_business_days = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1)],
        help_text="Business days after the reminder without an answer before the ticket is resolved with a note.",
    )
    close_resolved_after_days = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="A resolved ticket is closed this many days after its resolution. Empty: never.",
    )

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Skill(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


def _weights_problem(value: object, *, keys: set[str], hint: str) -> str | None:
    if not isinstance(value, dict):
        return f"Must be an object like {hint}."
    for key, weight in value.items():
        if str(key) not in keys:
            return f"Unknown key {key!r}: use {', '.join(sorted(keys))}."
        if isinstance(weight, bool) or not isinstance(weight, int | float) or not 0 < weight <= 100:
            return f"Weight of {key!r} must be a number above 0 and at most 100."
    return None


class CapacityProfile(models.Model):
    """How much work an agent carries at once, in units (Salesforce Omni-Channel capacity, Zendesk capacity rules).

    A ticket weighs its channel's weight times its priority's multiplier (1 where not listed),
    at most the total, so a single ticket always fits an idle agent. Agents without a profile
    carry ``Agent.capacity`` open tickets of weight 1, pending ones included (the behaviour
    before profiles existed).
    """

    name = models.CharField(max_length=120, unique=True)
    total_units = models.PositiveSmallIntegerField(
        default=10, validators=[MinValueValidator(1), MaxValueValidator(1000)], help_text="Units an agent with this profile carries."
    )
    channel_weights = models.JSONField(default=dict, blank=True, help_text='Units per ticket by channel, e.g. {"chat": 3, "email": 1}')
    priority_multipliers = models.JSONField(
        default=dict, blank=True, help_text='Multiplier by priority (0 = P0 … 3 = P3), e.g. {"0": 2} makes P0 tickets weigh double'
    )
    pending_frees_units = models.BooleanField(
        default=True, help_text="Tickets waiting on the customer weigh nothing until the customer answers."
    )
    max_assignments_per_minute = models.PositiveSmallIntegerField(
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text="Fair hand-out: at most this many new tickets per minute (an agent signing in after an outage is not "
        "handed the whole queue at once). Empty = no limit.",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(total_units__gte=1), name="capacityprofile_units_positive", violation_error_message="Units must be at least 1."
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.total_units} units)"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors = {}
        problem = _weights_problem(self.channel_weights, keys=set(Channel.values), hint='{"chat": 3, "email": 1}')
        if problem:
            errors["channel_weights"] = problem
        problem = _weights_problem(self.priority_multipliers, keys={"0", "1", "2", "3"}, hint='{"0": 2}')
        if problem:
            errors["priority_multipliers"] = problem
        if errors:
            raise ValidationError(errors)

    def spec(self) -> routing_core.CapacityProfile:
        return routing_core.CapacityProfile(
            total_units=float(self.total_units),
            channel_weights={str(k): float(v) for k, v in (self.channel_weights or {}).items()},
            priority_multipliers={int(k): float(v) for k, v in (self.priority_multipliers or {}).items()},
            pending_frees_units=self.pending_frees_units,
            max_assignments_per_minute=self.max_assignments_per_minute,
        )


class Agent(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    teams = models.ManyToManyField(Team, related_name="agents", blank=True)
    availability = models.CharField(max_length=16, choices=Availability.choices, default=Availability.OFFLINE)
    capacity = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(200, "Capacity above 200 open tickets is not a real limit.")],
        help_text="Maximum open tickets assigned at once (used when the agent has no capacity profile).",
    )
    capacity_profile = models.ForeignKey(
        CapacityProfile,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="agents",
        help_text="Capacity in units per channel and priority; empty = the open-ticket capacity above.",
    )
    seniority = models.PositiveSmallIntegerField(choices=Seniority.choices, default=Seniority.INTERMEDIATE)
    time_zone = models.CharField(max_length=64, default="UTC")
    availability_changed_at = models.DateTimeField(auto_now_add=True)
    last_assigned_at = models.DateTimeField(null=True, blank=True, help_text="Tie-break: the longest idle agent goes first.")
    performance_score = models.FloatField(
        default=0.5,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Recent performance in [0, 1] (resolution rate, CSAT); routing uses it.",
    )

    class Meta:
        ordering = ["user__username"]
        indexes = [models.Index(fields=["availability"], name="agent_availability_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(capacity__gte=0), name="agent_capacity_non_negative", violation_error_message="Capacity cannot be negative."
            ),
            models.CheckConstraint(
                condition=Q(availability__in=Availability.values),
                name="agent_availability_valid",
                violation_error_message="Unknown availability.",
            ),
            models.CheckConstraint(
                condition=Q(seniority__gte=1, seniority__lte=4), name="agent_seniority_valid", violation_error_message="Unknown seniority."
            ),
        ]

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()

    def capacity_spec(self) -> routing_core.CapacityProfile:
        """The agent's profile for the routing core (the legacy open-ticket count without one)."""
        if self.capacity_profile_id is None:
            return routing_core.legacy_profile(self.capacity)
        assert self.capacity_profile is not None
        return self.capacity_profile.spec()


class AgentSkill(models.Model):
    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="agent_skills")
    level = models.PositiveSmallIntegerField(
        default=3,
        validators=[MinValueValidator(1, "Skill level is 1 to 5."), MaxValueValidator(5, "Skill level is 1 to 5.")],
    )

    class Meta:
        ordering = ["agent", "-level"]
        constraints = [
            models.UniqueConstraint(
                fields=["agent", "skill"], name="agentskill_unique", violation_error_message="The agent already has this skill."
            ),
            models.CheckConstraint(
                condition=Q(level__gte=1, level__lte=5), name="agentskill_level_range", violation_error_message="Skill level is 1 to 5."
            ),
        ]
        indexes = [models.Index(fields=["skill", "level"], name="agentskill_skill_level_idx")]

    def __str__(self) -> str:
        return f"{self.agent} · {self.skill} ({self.level})"


class AgentShift(models.Model):
    """A weekly working window in the agent's own time zone; agents without shifts are always on shift."""

    Weekday = Weekday

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="shifts")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    starts_at = models.TimeField()
    ends_at = models.TimeField()

    class Meta:
        ordering = ["agent", "weekday", "starts_at"]
        constraints = [
            models.CheckConstraint(
                condition=Q(weekday__lte=6), name="agentshift_weekday_valid", violation_error_message="Unknown weekday."
            ),
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="agentshift_ends_after_start",
                violation_error_message="A shift must end after it starts (split overnight shifts in two).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.agent} {self.get_weekday_display()} {self.starts_at:%H:%M}–{self.ends_at:%H:%M}"


class BusinessHoursCondition(models.TextChoices):
    ANY = "any", "Any time"
    INSIDE = "inside", "Inside business hours"
    OUTSIDE = "outside", "Outside business hours"


class RoutingRule(models.Model):
    """Ordered conditions → actions, edited in Django admin. The first match wins unless it says continue."""

    name = models.CharField(max_length=120)
    order = models.PositiveIntegerField(default=100, help_text="Lower runs first.")
    enabled = models.BooleanField(default=True)
    continue_matching = models.BooleanField(default=False, help_text="After this rule matches, keep evaluating later rules.")

    # Conditions (empty = any)
    categories = models.ManyToManyField("tickets.Category", blank=True, related_name="routing_rules")
    priorities = models.JSONField(default=list, blank=True, help_text="e.g. [0, 1] for P0 and P1")
    customer_tiers = models.JSONField(default=list, blank=True, help_text='e.g. ["gold", "enterprise"]')
    channels = models.JSONField(default=list, blank=True, help_text='e.g. ["email", "api"]')
    languages = models.JSONField(default=list, blank=True, help_text='ISO codes, e.g. ["de", "fr"]')
    keyword_pattern = models.CharField(
        max_length=500,
        blank=True,
        help_text="Case-insensitive regular expression (RE2 syntax: no backreferences or look-around; \\w and \\b are ASCII) "
        "searched in the subject and the first 20,000 characters of the body, e.g. refund|chargeback",
    )
    disabled_reason = models.CharField(
        max_length=500, blank=True, editable=False, help_text="Why the desk switched this rule off (an unusable stored pattern)."
    )
    business_hours = models.CharField(max_length=8, choices=BusinessHoursCondition.choices, default=BusinessHoursCondition.ANY)

    # Actions
    team = models.ForeignKey(Team, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    required_skill = models.ForeignKey(Skill, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    min_skill_level = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(5)])
    set_priority = models.PositiveSmallIntegerField(null=True, blank=True, validators=[MaxValueValidator(3)], help_text="0 = P0 … 3 = P3")
    raise_priority_by = models.PositiveSmallIntegerField(
        default=0, validators=[MaxValueValidator(3)], help_text="Levels to raise (P2 → P1 is 1)."
    )
    add_tags = models.JSONField(default=list, blank=True)
    assign_agent = models.ForeignKey(Agent, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    mark_for_escalation = models.BooleanField(default=False)

    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["order", "id"]
        indexes = [models.Index(fields=["enabled", "order"], name="routingrule_enabled_order_idx")]

    def __str__(self) -> str:
        return f"{self.order}. {self.name}"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        errors: dict[str, str] = {}
        if self.keyword_pattern:
            problem = patterns.pattern_problem(self.keyword_pattern)
            if problem:
                errors["keyword_pattern"] = f"Not a usable regular expression. {problem}"
        checks = (
            ("priorities", self.priorities, {0, 1, 2, 3}, "0–3"),
            ("customer_tiers", self.customer_tiers, set(CustomerTier.values), ", ".join(CustomerTier.values)),
            ("channels", self.channels, set(Channel.values), ", ".join(Channel.values)),
        )
        for name, value, allowed, hint in checks:
            if not isinstance(value, list) or any(item not in allowed for item in value):
                errors[name] = f"Must be a list of: {hint}."
        for name in ("languages", "add_tags"):
            value = getattr(self, name)
            if not isinstance(value, list) or not all(isinstance(item, str) and item.strip() for item in value):
                errors[name] = "Must be a list of non-empty strings."
        if self.set_priority is not None and self.raise_priority_by:
            errors["raise_priority_by"] = "Use either set priority or raise priority, not both."
        if errors:
            raise ValidationError(errors)
        if self.enabled:
            self.disabled_reason = ""  # switched back on with a usable pattern


class RoutingRuleSkill(models.Model):
    """A skill a rule asks for beyond the category's: required, or optional and dropped after a timeout.

    A waiting ticket drops its optional skills lowest priority (3) first, each once it has
    waited ``relax_after_seconds`` (and never before the lower-priority ones), and is offered
    again; the routing reason names the dropped skills and when (``routing_core.active_skills``).
    """

    class Priority(models.IntegerChoices):
        HIGH = 1, "1 (dropped last)"
        MEDIUM = 2, "2"
        LOW = 3, "3 (dropped first)"

    rule = models.ForeignKey(RoutingRule, on_delete=models.CASCADE, related_name="skills")
    skill = models.ForeignKey(Skill, on_delete=models.CASCADE, related_name="+")
    min_level = models.PositiveSmallIntegerField(default=1, validators=[MinValueValidator(1), MaxValueValidator(5)])
    required = models.BooleanField(default=True, help_text="Required skills are never dropped.")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.HIGH)
    relax_after_seconds = models.PositiveIntegerField(
        default=300, help_text="Optional skills only: drop it after the ticket has waited this long."
    )

    class Meta:
        ordering = ["rule", "priority", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["rule", "skill"], name="routingruleskill_unique", violation_error_message="The rule already asks for this skill."
            ),
            models.CheckConstraint(
                condition=Q(priority__gte=1, priority__lte=3),
                name="routingruleskill_priority_range",
                violation_error_message="Priority is 1 to 3.",
            ),
            models.CheckConstraint(
                condition=Q(min_level__gte=1, min_level__lte=5),
                name="routingruleskill_level_range",
                violation_error_message="Skill level is 1 to 5.",
            ),
        ]

    def __str__(self) -> str:
        kind = "required" if self.required else f"optional P{self.priority}, {self.relax_after_seconds}s"
        return f"{self.skill} ≥ {self.min_level} ({kind})"

    def spec(self) -> routing_core.SkillNeed:
        return routing_core.SkillNeed(
            skill=self.skill.slug,
            min_level=self.min_level,
            required=self.required,
            priority=self.priority,
            relax_after_seconds=float(self.relax_after_seconds),
        )


class AgentReservation(models.Model):
    """An agent held for one waiting urgent ticket that fits nobody yet (``routing_core.should_reserve``).

    Without a hold a heavy ticket (a P0 chat worth a whole agent) waits for ever: each unit an
    agent frees goes to lighter work. Routing holds the ``routing_core.pick_reservation`` agents
    closest to fitting it; a held agent is offered no other ticket, the first to have room takes
    it and every hold of the ticket goes. One hold per agent (the primary key).
    """

    agent = models.OneToOneField(Agent, on_delete=models.CASCADE, primary_key=True, related_name="reservation")
    ticket = models.ForeignKey("tickets.Ticket", on_delete=models.CASCADE, related_name="agent_reservations")
    created_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.agent} held for ticket {self.ticket_id}"
