"""Agents, the teams they belong to and the skills routing matches on."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q


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
