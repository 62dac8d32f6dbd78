"""Customers, tickets, their conversation and the audit trail.

Indexes follow the queries the console runs: an agent's queue (assignee + status,
ordered by priority then age), a team's queue, the unassigned queue (a partial index
on tickets without an assignee), a customer's history, and the audit timeline.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
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

# Statuses that say an agent holds the ticket (enforced: such a ticket has an assignee).
WORKING_STATUSES = (TicketStatus.ASSIGNED, TicketStatus.IN_PROGRESS)


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


# The ticket's SLA clock fields: the engine's clock sets them, whoever saves the ticket after a change saves them.
SLA_FIELDS = [
    "sla_policy",
    "sla_first_response_due_at",
    "sla_next_response_due_at",
    "sla_resolution_due_at",
    "sla_paused_at",
    "sla_resolution_remaining_seconds",
    "sla_status",
    "next_check_at",
    "sla_paused_seconds",
    "first_response_seconds",
    "first_response_met",
    "resolution_seconds",
    "resolution_met",
    "reopen_count",
]


class Customer(models.Model):
    name = models.CharField(max_length=200)
    email = models.EmailField(unique=True, error_messages={"unique": "A customer with this email already exists."})
    organization = models.CharField(max_length=200, blank=True)
    tier = models.CharField(max_length=16, choices=CustomerTier.choices, default=CustomerTier.BRONZE)
    lifetime_value = models.DecimalField(
        max_digits=12, decimal_places=2, default=0, validators=[MinValueValidator(0, "Lifetime value cannot be negative.")]
    )
    created_at = models.DateTimeField(default=timezone.now)

    # Churn risk (analytics.churn): scored hourly for customers with recent activity.
    churn_risk = models.CharField(max_length=8, blank=True, help_text="low / medium / high")
    churn_score = models.FloatField(null=True, blank=True)
    churn_factors = models.JSONField(default=list, blank=True)
    churn_scored_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["name"]
        indexes = [
            models.Index(fields=["tier"], name="customer_tier_idx"),
            models.Index(fields=["churn_score"], condition=Q(churn_score__isnull=False), name="customer_churn_idx"),
        ]
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
    # The team that owns this category when no routing rule says otherwise.
    team = models.ForeignKey("agents.Team", null=True, blank=True, on_delete=models.SET_NULL, related_name="categories")
    is_active = models.BooleanField(default=True)
    allow_auto_reply = models.BooleanField(
        default=False, help_text="Triage may draft a reply from a knowledge-base article when it is confident the article answers."
    )

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
    language = models.CharField(max_length=8, blank=True, help_text="ISO 639-1 code when known.")
    created_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(auto_now=True)
    assigned_at = models.DateTimeField(null=True, blank=True)
    routing = models.JSONField(default=dict, blank=True, help_text="The last routing decision: rules, candidates and why.")
    escalation_requested = models.BooleanField(default=False, help_text="A routing rule or an agent asked for escalation.")
    first_response_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    closed_at = models.DateTimeField(null=True, blank=True)

    # Triage output: what the worker understood, and why (shown in the console).
    triaged_at = models.DateTimeField(null=True, blank=True)
    needs_triage = models.BooleanField(default=False, help_text="Classifier confidence was below the threshold: a human decides.")
    category_confidence = models.FloatField(null=True, blank=True)
    category_alternatives = models.JSONField(default=list, blank=True)
    model_version = models.ForeignKey("tickets.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sentiment_score = models.FloatField(null=True, blank=True, help_text="VADER compound of the customer's words, -1 … 1.")
    frustration_score = models.FloatField(null=True, blank=True)
    urgency_score = models.FloatField(null=True, blank=True)
    legal_score = models.FloatField(null=True, blank=True)
    churn_score = models.FloatField(
        null=True, blank=True, help_text="Threat to leave or a complaint repeated ('third time', 'we will not renew')."
    )
    escalation_lean = models.FloatField(
        null=True, blank=True, help_text="How much the customer's words read like mail a supervisor should see (0–1, severity model)."
    )
    priority_score = models.FloatField(null=True, blank=True)
    priority_reasons = models.JSONField(default=list, blank=True)
    entities = models.JSONField(default=dict, blank=True)
    suggested_articles = models.JSONField(default=list, blank=True)
    auto_reply_draft = models.TextField(blank=True)

    # SLA clocks (business time); indexed so sweeps and queues read only what is due.
    sla_policy = models.ForeignKey("escalation.SlaPolicy", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    sla_first_response_due_at = models.DateTimeField(null=True, blank=True)
    sla_next_response_due_at = models.DateTimeField(null=True, blank=True)
    sla_resolution_due_at = models.DateTimeField(null=True, blank=True)
    sla_paused_at = models.DateTimeField(null=True, blank=True, help_text="Set while pending the customer: the clocks stand still.")
    sla_resolution_remaining_seconds = models.FloatField(null=True, blank=True, help_text="Business seconds left when paused.")
    sla_status = models.CharField(max_length=12, default="none", help_text="none / ok / at_risk / breached / paused / met")
    next_check_at = models.DateTimeField(null=True, blank=True, help_text="When the escalation sweep looks at this ticket next.")

    # Measured outcomes (business seconds, set when they happen) for the dashboards.
    sla_paused_seconds = models.FloatField(
        default=0, help_text="Business seconds spent paused (pending customer, or resolved then reopened)."
    )
    first_response_seconds = models.FloatField(null=True, blank=True, help_text="Business seconds from creation to the first agent reply.")
    first_response_met = models.BooleanField(null=True, blank=True)
    resolution_seconds = models.FloatField(null=True, blank=True, help_text="Business seconds from creation to resolution, minus pauses.")
    resolution_met = models.BooleanField(null=True, blank=True)
    reopen_count = models.PositiveSmallIntegerField(default=0)
    agent_reply_count = models.PositiveSmallIntegerField(
        default=0, help_text="Public agent replies (one and never reopened: first-contact resolution)."
    )
    predicted_satisfaction = models.FloatField(null=True, blank=True, help_text="Chance (0–1) the customer ends satisfied; open tickets.")
    satisfaction_factors = models.JSONField(default=list, blank=True, help_text="What moves the prediction most, and which way.")

    # Self-service: what the web form showed before the customer sent this anyway, and auto-replies.
    shown_articles = models.JSONField(default=list, blank=True, help_text="Article ids suggested on the web form before submitting.")
    auto_reply_article = models.ForeignKey(
        "helpcenter.KnowledgeArticle", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    auto_reply_sent_at = models.DateTimeField(null=True, blank=True)
    auto_resolved = models.BooleanField(default=False, help_text="The customer said the auto-reply article solved it.")

    # Multi-customer incidents: a burst of similar tickets opens one parent and links the children.
    is_incident = models.BooleanField(default=False)
    incident = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="incident_children")

    # Repeat contacts: the same customer on the same subject within 7 days.
    repeat_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.SET_NULL, related_name="repeats")
    repeat_count = models.PositiveIntegerField(default=0, help_text="Earlier contacts by this customer on this subject in 7 days.")

    # E-mail: people in Cc of the conversation (they may write into it and get the agents' replies in Cc).
    followers: models.ManyToManyField[Customer, Any] = models.ManyToManyField(
        Customer, through="TicketFollower", related_name="followed_tickets", blank=True
    )
    # Loop protection: why no automatic mail (auto-reply, survey, acknowledgement) answers this ticket.
    automatic_mail_blocked = models.CharField(
        max_length=32, blank=True, help_text="Set when the opening mail came from a robot or a sender over the rate limit."
    )

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
            models.Index(fields=["priority", "created_at"], condition=Q(needs_triage=True), name="ticket_needs_triage_idx"),
            # The escalation sweep reads only rows whose check is due, oldest first.
            models.Index(fields=["next_check_at"], condition=Q(next_check_at__isnull=False), name="ticket_next_check_idx"),
            # At-risk and breached queues: open tickets only (closed breached ones would fill the index).
            models.Index(
                fields=["sla_status", "priority", "created_at"], condition=Q(status__in=OPEN_STATUSES), name="ticket_open_sla_idx"
            ),
            # The recovery sweep looks only at tickets that were never triaged.
            models.Index(fields=["created_at"], condition=Q(triaged_at__isnull=True), name="ticket_untriaged_idx"),
            # Dashboard rollups read a day of resolutions / first responses at a time.
            models.Index(fields=["resolved_at"], condition=Q(resolved_at__isnull=False), name="ticket_resolved_idx"),
            models.Index(fields=["first_response_at"], condition=Q(first_response_at__isnull=False), name="ticket_first_response_idx"),
            # Open tickets only (a few percent of all): backlog and "at risk / breached now" counts.
            models.Index(
                fields=["team", "assignee", "status", "sla_status"], condition=Q(status__in=OPEN_STATUSES), name="ticket_open_idx"
            ),
            # Routing counts each candidate's open tickets (index-only, whatever their history).
            models.Index(fields=["assignee"], condition=Q(status__in=OPEN_STATUSES), name="ticket_open_assignee_idx"),
            # Incident detection compares a new ticket with its category's recent open ones.
            models.Index(
                fields=["category", "created_at"], condition=Q(status__in=OPEN_STATUSES, is_incident=False), name="ticket_open_category_idx"
            ),
            # Auto-replies sent in a date range, for the self-service dashboard.
            models.Index(fields=["auto_reply_sent_at"], condition=Q(auto_reply_sent_at__isnull=False), name="ticket_auto_reply_idx"),
            # Open tickets least likely to end well, for the satisfaction dashboard.
            models.Index(
                fields=["predicted_satisfaction"], condition=Q(predicted_satisfaction__isnull=False), name="ticket_predicted_csat_idx"
            ),
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
            # Someone is on it: a ticket is never assigned or in progress without an assignee.
            models.CheckConstraint(
                condition=~Q(status__in=WORKING_STATUSES) | Q(assignee__isnull=False),
                name="ticket_working_has_assignee",
                violation_error_message="An assigned or in-progress ticket needs an assignee.",
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

    @property
    def sla_next_due_at(self) -> Any:
        """The earliest running SLA clock (what the countdown in lists shows)."""
        dues = [
            self.sla_first_response_due_at if self.first_response_at is None else None,
            self.sla_next_response_due_at,
            None if self.sla_paused_at else self.sla_resolution_due_at,
        ]
        running = [due for due in dues if due is not None]
        return min(running) if running else None


class Interaction(models.Model):
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="interactions")
    author_kind = models.CharField(max_length=16, choices=AuthorKind.choices)
    author = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    channel = models.CharField(max_length=16, choices=Channel.choices)
    body = models.TextField()
    is_internal = models.BooleanField(default=False, help_text="Internal notes are never shown to the customer.")
    external_message_id = models.CharField(max_length=255, blank=True, help_text="E-mail Message-ID or webhook event id.")
    sentiment_score = models.FloatField(null=True, blank=True)
    frustration_score = models.FloatField(null=True, blank=True)
    # A customer message's own legal and urgency signals: new evidence after an escalation was decided.
    legal_score = models.FloatField(null=True, blank=True)
    urgency_score = models.FloatField(null=True, blank=True)
    # A public reply's e-mail is a foundation.OutboxMessage (ref "tickets.interaction", this id).
    # A customer message written by a follower (someone in Cc), not the ticket's requester.
    follower = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    # Loop protection: the inbound mail was automatic (out-of-office, bounce, list) or over the sender's rate limit.
    automatic_reason = models.CharField(max_length=32, blank=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["ticket", "created_at"], name="interaction_ticket_idx"),
        ]
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


def lock_ticket(ticket_id: int) -> Ticket | None:
    """The ticket row locked for the caller's transaction, with what triage, routing and the
    escalation check read (customer, category with its team and skill, SLA policy)."""
    related = ("customer", "category__skill", "category__team", "sla_policy")
    return Ticket.objects.select_for_update(of=("self",)).select_related(*related).filter(pk=ticket_id).first()


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


class Attachment(models.Model):
    interaction = models.ForeignKey(Interaction, on_delete=models.CASCADE, related_name="attachments")
    filename = models.CharField(max_length=255)
    content_type = models.CharField(max_length=120)
    size = models.PositiveIntegerField()
    file = models.FileField(upload_to="attachments/%Y/%m/")
    created_at = models.DateTimeField(default=timezone.now)

    def __str__(self) -> str:
        return self.filename


class IntakeKey(models.Model):
    """Remembers idempotency keys (API header, webhook event id) so a retry returns the first ticket."""

    source = models.CharField(max_length=80)
    key = models.CharField(max_length=255)
    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="+")
    fingerprint = models.CharField(
        max_length=64, blank=True, help_text="SHA-256 of sender, subject and body: a replay must carry the same request."
    )
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "key"], name="intakekey_source_key_unique")]

    def __str__(self) -> str:
        return f"{self.source}:{self.key}"


class ModelVersion(models.Model):
    """A trained triage classifier on disk, with the metrics it was promoted on."""

    name = models.CharField(max_length=120, unique=True)
    kind = models.CharField(max_length=32, default="tfidf")
    file_path = models.CharField(max_length=500)
    training_size = models.PositiveIntegerField(default=0)
    accuracy = models.FloatField(null=True, blank=True)
    macro_f1 = models.FloatField(null=True, blank=True)
    metrics = models.JSONField(default=dict, blank=True, help_text="Per-class precision/recall/F1 on the held-out split.")
    labels = models.JSONField(default=list, blank=True)
    is_active = models.BooleanField(default=False)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["is_active"], condition=Q(is_active=True), name="modelversion_one_active"),
        ]

    def __str__(self) -> str:
        return f"{self.name}{' (active)' if self.is_active else ''}"


class TrainingLabel(models.Model):
    """A person's word on a ticket's category or priority: the only labels the learning loop trains on.

    Who (``actor``), when (``created_at``) and how (``source``): an agent confirmed the
    model's guess in Needs triage, or set or changed it. The latest label of a field wins. A
    ticket resolved with the model's category untouched has no label here (a weak label, which
    the retraining leaves out; see the README's learning loop).
    """

    class Field(models.TextChoices):
        CATEGORY = "category", "Category"
        PRIORITY = "priority", "Priority"

    class Source(models.TextChoices):
        CONFIRMED = "confirmed", "Confirmed the model's guess"
        CORRECTED = "corrected", "Set or changed by a person"

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="training_labels")
    field = models.CharField(max_length=16, choices=Field.choices)
    old_value = models.CharField(max_length=64, blank=True, help_text="What the ticket had before (the model's guess at first).")
    new_value = models.CharField(max_length=64)
    source = models.CharField(max_length=16, choices=Source.choices, default=Source.CORRECTED)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        indexes = [
            models.Index(fields=["field", "created_at"], name="traininglabel_field_idx"),
            # The retraining reads each ticket's latest label of a field.
            models.Index(fields=["field", "ticket", "created_at"], name="traininglabel_ticket_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(source__in=["confirmed", "corrected"]),
                name="traininglabel_source_valid",
                violation_error_message="Unknown label source.",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.field}: {self.old_value or '∅'} → {self.new_value}"


class TriageSettings(models.Model):
    """Admin-editable triage knobs (one row)."""

    confidence_threshold = models.FloatField(
        default=0.6,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Below this classifier confidence a ticket goes to the Needs triage queue instead of being routed.",
    )
    auto_reply_min_score = models.FloatField(
        default=0.35,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
        help_text="Article similarity needed before an auto-reply draft is written.",
    )
    urgency_keywords = models.JSONField(default=dict, blank=True, help_text='Extra or re-weighted urgency terms, e.g. {"outage": 0.9}.')
    legal_keywords = models.JSONField(default=dict, blank=True, help_text='Extra or re-weighted legal terms, e.g. {"chargeback": 0.8}.')
    priority_weights = models.JSONField(default=dict, blank=True, help_text="Overrides of the priority signal weights.")
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = verbose_name_plural = "triage settings"

    def __str__(self) -> str:
        return "Triage settings"

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        for field in ("urgency_keywords", "legal_keywords", "priority_weights"):
            value = getattr(self, field)
            if not isinstance(value, dict) or not all(
                isinstance(k, str) and isinstance(v, int | float) and 0 <= v <= 1 for k, v in value.items()
            ):
                raise ValidationError({field: "Must be an object of term → weight between 0 and 1."})

    @classmethod
    def current(cls) -> TriageSettings:
        settings_row, _ = cls.objects.get_or_create(pk=1)
        return settings_row


class TicketFollower(models.Model):
    """Someone in Cc of a ticket's mail: may write into the ticket, gets the agents' replies in Cc."""

    ticket = models.ForeignKey(Ticket, on_delete=models.CASCADE, related_name="follower_links")
    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="follower_links")
    added_at = models.DateTimeField(default=timezone.now)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        ordering = ["added_at", "id"]
        constraints = [models.UniqueConstraint(fields=["ticket", "customer"], name="ticket_follower_unique")]
        indexes = [models.Index(fields=["customer", "ticket"], name="ticket_follower_customer_idx")]

    def __str__(self) -> str:
        return f"{self.customer_id} follows {self.ticket_id}"


class Mailbox(models.Model):
    """An IMAP folder the desk polls every minute (beat ``tickets.poll_mailboxes``).

    The password is never stored here: ``password_env`` names the environment variable that
    holds it. Mailboxes from ``IMAP_URLS`` get a row of their own (``from_environment``) so
    their state shows in admin and ``/healthz`` too.
    """

    class Security(models.TextChoices):
        IMAPS = "imaps", "IMAP over TLS (993)"
        STARTTLS = "starttls", "IMAP with STARTTLS (143)"
        PLAIN = "imap", "Plain IMAP (loopback or tests only)"

    name = models.CharField(max_length=100, unique=True)
    host = models.CharField(max_length=255)
    port = models.PositiveIntegerField(null=True, blank=True, help_text="Empty: 993 for IMAPS, 143 otherwise.")
    security = models.CharField(max_length=8, choices=Security.choices, default=Security.IMAPS)
    username = models.CharField(max_length=255)
    password_env = models.CharField(
        max_length=100, blank=True, help_text="Name of the environment variable holding the password (secrets stay in the environment)."
    )
    folder = models.CharField(max_length=255, default="INBOX")
    is_active = models.BooleanField(default=True)
    from_environment = models.BooleanField(default=False, editable=False, help_text="Defined by IMAP_URLS, not in admin.")
    # Polling state: one poller at a time (a lease renewed per message), its outcome, its last error.
    lease_until = models.DateTimeField(null=True, blank=True, editable=False)
    last_polled_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_success_at = models.DateTimeField(null=True, blank=True, editable=False)
    last_error = models.TextField(blank=True, editable=False)
    last_error_at = models.DateTimeField(null=True, blank=True, editable=False)
    stored_count = models.PositiveIntegerField(default=0, editable=False, help_text="Messages stored from this mailbox so far.")

    class Meta:
        verbose_name_plural = "mailboxes"
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from django.core.exceptions import ValidationError

        if self.password_env and not self.password_env.replace("_", "").isalnum():
            raise ValidationError({"password_env": "An environment variable name: letters, digits and underscores."})


class MailboxReceipt(models.Model):
    """A message of a mailbox that is stored: the same UID is never stored twice, even before it is marked seen."""

    mailbox = models.ForeignKey(Mailbox, on_delete=models.CASCADE, related_name="receipts")
    uid_validity = models.BigIntegerField(default=0)
    uid = models.BigIntegerField()
    message_id = models.CharField(max_length=255, blank=True)
    ticket = models.ForeignKey(Ticket, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["mailbox", "uid_validity", "uid"], name="mailbox_receipt_unique")]

    def __str__(self) -> str:
        return f"{self.mailbox_id}:{self.uid_validity}:{self.uid}"
