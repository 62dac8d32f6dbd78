"""An agent's notifications (the console's bell) and which kinds they also want by e-mail."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q

from agents.models import Agent
from tickets.models import Ticket


class Kind(models.TextChoices):
    ASSIGNED = "assigned", "Assigned to you"
    CUSTOMER_REPLIED = "customer_replied", "Customer replied on your ticket"
    MENTIONED = "mentioned", "Mentioned in an internal note"
    SLA_AT_RISK = "sla_at_risk", "Your ticket's SLA is at risk"
    SLA_BREACHED = "sla_breached", "Your ticket's SLA is breached"
    ESCALATION_DECIDED = "escalation_decided", "An escalation on your ticket was decided"


class AgentNotification(models.Model):
    """One thing an agent should know about, once: unique per recipient and dedupe key (the event that caused it)."""

    recipient = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="notifications")
    kind = models.CharField(max_length=24, choices=Kind.choices)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="agent_notifications")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    text = models.CharField(max_length=300)
    dedupe_key = models.CharField(max_length=200, help_text="The event that caused it: the same event never notifies twice.")
    created_at = models.DateTimeField()
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [
            models.Index(fields=["recipient", "-created_at"], name="agentnotif_recipient_idx"),
            # The bell's count reads only unread rows of one agent.
            models.Index(fields=["recipient"], condition=Q(read_at__isnull=True), name="agentnotif_unread_idx"),
        ]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "dedupe_key"], name="agentnotif_once_per_event"),
            models.CheckConstraint(
                condition=Q(kind__in=Kind.values), name="agentnotif_kind_valid", violation_error_message="Unknown kind."
            ),
        ]

    def __str__(self) -> str:
        return f"{self.recipient}: {self.text}"


class EmailPreference(models.Model):
    """The agent also gets this kind of notification by e-mail (a row exists only while they want it)."""

    agent = models.ForeignKey(Agent, on_delete=models.CASCADE, related_name="email_preferences")
    kind = models.CharField(max_length=24, choices=Kind.choices)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["agent", "kind"], name="emailpref_once_per_kind"),
            models.CheckConstraint(condition=Q(kind__in=Kind.values), name="emailpref_kind_valid", violation_error_message="Unknown kind."),
        ]

    def __str__(self) -> str:
        return f"{self.agent}: {self.kind} by e-mail"
