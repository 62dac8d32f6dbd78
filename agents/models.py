"""Agents, the teams they belong to and the skills routing matches on."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

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


class Team(models.Model):
    name = models.CharField(max_length=120, unique=True)
    slug = models.SlugField(max_length=64, unique=True)
    description = models.TextField(blank=True)

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


class Agent(models.Model):
    user = models.OneToOneField(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="agent")
    teams = models.ManyToManyField(Team, related_name="agents", blank=True)
    availability = models.CharField(max_length=16, choices=Availability.choices, default=Availability.OFFLINE)
    capacity = models.PositiveSmallIntegerField(
        default=10,
        validators=[MaxValueValidator(200, "Capacity above 200 open tickets is not a real limit.")],
        help_text="Maximum open tickets assigned at once.",
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
