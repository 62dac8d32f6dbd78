"""Customers, tickets, their conversation and the audit trail.

Indexes follow the queries the console runs: an agent's queue (assignee + status,
ordered by priority then age), a team's queue, the unassigned queue (a partial index
on tickets without an assignee), a customer's history, and the audit timeline.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone


class CustomerTier(models.TextChoices):
    BRONZE = "bronze", "Bronze"
    SILVER = "silver", "Silver"
    GOLD = "gold", "Gold"
    PLATINUM = "platinum", "Platinum"
    ENTERPRISE = "enterprise", "Enterprise"


class Channel(models.TextChoices):
    EMAIL = "email", "Email"
    PHONE = "phone", "Phone"
    CHAT = "chat", "Chat"
    SOCIAL = "social", "Social"
    WEB_FORM = "web_form", "Web form"
    API = "api", "API"


class TicketStatus(models.TextChoices):
    NEW = "new", "New"
    TRIAGED = "triaged", "Triaged"
    ASSIGNED = "assigned", "Assigned"
    IN_PROGRESS = "in_progress", "In progress"
    PENDING_CUSTOMER = "pending_customer", "Pending customer"
    RESOLVED = "resolved", "Resolved"
    CLOSED = "closed", "Closed"


OPEN_STATUSES = (
    TicketStatus.NEW,
    TicketStatus.TRIAGED,
    TicketStatus.ASSIGNED,
    TicketStatus.IN_PROGRESS,
    TicketStatus.PENDING_CUSTOMER,
)


class Priority(models.IntegerChoices):
    # Lower number = more urgent, so ordering by priority ascending puts P0 first.
    P0 = 0, "P0 – critical"
    P1 = 1, "P1 – high"
    P2 = 2, "P2 – normal"
    P3 = 3, "P3 – low"


class AuthorKind(models.TextChoices):
    CUSTOMER = "customer", "Customer"
    AGENT = "agent", "Agent"
    SYSTEM = "system", "System"


class Customer(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True, error_messages={"unique": "A customer with this email already exists."})
    organization = models.CharField(max_length=200, blank=True)
    tier = models.CharField(max_length=16, choices=CustomerTier.choices, default=CustomerTier.BRONZE)
    lifetime_value = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0, "Lifetime value cannot be negative.")]
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        indexes = [models.Index(fields=["tier"], name="customer_tier_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(tier__in=CustomerTier.values), name="customer_tier_valid", violation_error_message="Unknown customer tier."
            ),
            models.CheckConstraint(
                condition=Q(lifetime_value__gte=0),
                name="customer_lifetime_value_non_negative",
                violation_error_message="Lifetime value cannot be negative.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class Category(models.Model):
    slug = models.SlugField(max_length=64, unique=True)
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True)
    # The skill an agent needs to handle this category (routing matches on it).
    skill = models.ForeignKey("agents.Skill", null=True, blank=True, on_delete=models.SET_NULL, related_name="categories")
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]
        verbose_name_plural = "categories"

    def __str__(self) -> str:
        return self.name


class Ticket(models.Model):
    subject = models.CharField(max_length=300)
    body = models.TextField()
    channel = models.CharField(max_length=16, choices=Channel.choices, default=Channel.WEB_FORM)
    status = models.CharField(max_length=20, choices=TicketStatus.choices, default=TicketStatus.NEW)
    category = models.ForeignKey(Category, null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    priority = models.PositiveSmallIntegerField(choices=Priority.choices, default=Priority.P2)
    customer = models.ForeignKey(Customer, on_delete=models.PROTECT, related_name="tickets")
    team = models.ForeignKey("agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    assignee = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.SET_NULL, related_name="tickets")
    tags = models.JSONField(default=list, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["priority", "created_at"]
        permissions = [
            ("assign_ticket", "Can assign and reassign tickets"),
            ("view_all_tickets", "Can see tickets of every team"),
        ]
        indexes = [
            models.Index(fields=["assignee", "status", "priority", "created_at"], name="ticket_assignee_queue_idx"),
            models.Index(fields=["team", "status", "priority", "created_at"], name="ticket_team_queue_idx"),
            models.Index(
                fields=["status", "priority", "created_at"],
                condition=Q(assignee__isnull=True),
                name="ticket_unassigned_queue_idx",
            ),
            models.Index(fields=["customer", "created_at"], name="ticket_customer_idx"),
            models.Index(fields=["category", "created_at"], name="ticket_category_idx"),
            models.Index(fields=["created_at"], name="ticket_created_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(priority__lte=3), name="ticket_priority_valid", violation_error_message="Priority must be P0–P3."
            ),
            models.CheckConstraint(
                condition=Q(status__in=TicketStatus.values), name="ticket_status_valid", violation_error_message="Unknown ticket status."
            ),
            models.CheckConstraint(
                condition=Q(channel__in=Channel.values), name="ticket_channel_valid", violation_error_message="Unknown channel."
            ),
        ]

    def __str__(self) -> str:
        return f"{self.reference} {self.subject}"

    @property
    def reference(self) -> str:
        """The number customers quote (``#1234``); mail subjects carry it for threading."""
        return f"#{self.pk}" if self.pk else "#new"

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES


class Interaction(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="interactions")
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    body = models.TextField()
    is_internal = models.BooleanField(default=False, help_text="Internal notes are never shown to the customer.")
    external_message_id = models.CharField(max_length=255, blank=True, help_text="E-mail Message-ID or webhook event id.")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["ticket", "created_at"], name="interaction_ticket_idx")]
        constraints = [
            # The same inbound message delivered twice must not create a second interaction.
            models.UniqueConstraint(
                fields=["external_message_id"],
                condition=~Q(external_message_id=""),
                name="interaction_external_message_unique",
                violation_error_message="This message was already received.",
            ),
            models.CheckConstraint(
                condition=Q(author_kind__in=AuthorKind.values),
                name="interaction_author_kind_valid",
                violation_error_message="Unknown author kind.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_author_kind_display()} on {self.ticket.reference}"


class TicketEvent(models.Model):
    """Append-only audit trail: who did what to a ticket, when, with details."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="events")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    kind = models.CharField(max_length=40)
    detail = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="event_ticket_idx"),
            models.Index(fields=["kind", "created_at"], name="event_kind_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.kind} on {self.ticket_id}"

    def save(self, *args: object, **kwargs: object) -> None:
        # Audit rows are never rewritten: history that can be edited is not history.
        if self.pk is not None and not self._state.adding:
            raise ValueError("TicketEvent is append-only")
        super().save(*args, **kwargs)  # type: ignore[arg-type]
