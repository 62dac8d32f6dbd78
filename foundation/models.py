"""The platform's own data: business calendars, liveness of the background processes, and the outbox of outgoing messages."""

from __future__ import annotations

import secrets
from typing import Any

from django.core.exceptions import ValidationError
from django.db import models
from django.utils import timezone

from foundation import webhook_targets


class Component(models.TextChoices):
    WORKER = "worker", "Celery worker"
    SCHEDULER = "scheduler", "Celery beat"


class Heartbeat(models.Model):
    """The last time a worker (or the beat schedule, through a worker) proved it runs."""

    component = models.CharField(max_length=16, choices=Component.choices)
    hostname = models.CharField(max_length=255)
    last_seen_at = models.DateTimeField()

    class Meta:
        db_table = "escalation_heartbeat"  # the table it had in the engine app; no data moved
        constraints = [models.UniqueConstraint(fields=["component", "hostname"], name="heartbeat_component_host_unique")]
        indexes = [models.Index(fields=["component", "-last_seen_at"], name="heartbeat_recent_idx")]

    def __str__(self) -> str:
        return f"{self.component}@{self.hostname}"


class Weekday(models.IntegerChoices):
    MONDAY = 0, "Monday"
    TUESDAY = 1, "Tuesday"
    WEDNESDAY = 2, "Wednesday"
    THURSDAY = 3, "Thursday"
    FRIDAY = 4, "Friday"
    SATURDAY = 5, "Saturday"
    SUNDAY = 6, "Sunday"


class BusinessCalendar(models.Model):
    """Working hours in a time zone, with holidays; SLA clocks run only while it is open."""

    name = models.CharField(max_length=120, unique=True)
    time_zone = models.CharField(max_length=64, default="UTC")
    is_24x7 = models.BooleanField(default=False, verbose_name="open 24×7")
    is_default = models.BooleanField(
        default=False, help_text="Used by SLA policies without a calendar, and by routing's business-hours condition."
    )
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        db_table = "escalation_businesscalendar"  # the engine's table before calendars moved to the platform
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["is_default"], condition=models.Q(is_default=True), name="calendar_one_default")]

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

        from django.core.exceptions import ValidationError

        try:
            ZoneInfo(self.time_zone)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValidationError({"time_zone": f"Unknown time zone {self.time_zone!r} (use e.g. Europe/Berlin)."}) from None


class BusinessHours(models.Model):
    """One opening interval; several per weekday make split shifts. An end of 00:00 means midnight."""

    Weekday = Weekday

    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="hours")
    weekday = models.PositiveSmallIntegerField(choices=Weekday.choices)
    opens_at = models.TimeField()
    closes_at = models.TimeField()

    class Meta:
        db_table = "escalation_businesshours"
        ordering = ["calendar", "weekday", "opens_at"]
        verbose_name_plural = "business hours"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(weekday__lte=6), name="businesshours_weekday_valid", violation_error_message="Unknown weekday."
            ),
            models.CheckConstraint(
                condition=models.Q(closes_at__gt=models.F("opens_at")) | models.Q(closes_at="00:00"),
                name="businesshours_closes_after_opening",
                violation_error_message="Closing time must be after opening time (00:00 means midnight).",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_weekday_display()} {self.opens_at:%H:%M}–{self.closes_at:%H:%M}"


class Holiday(models.Model):
    calendar = models.ForeignKey(BusinessCalendar, on_delete=models.CASCADE, related_name="holidays")
    date = models.DateField()
    name = models.CharField(max_length=120, blank=True)

    class Meta:
        db_table = "escalation_holiday"
        ordering = ["calendar", "date"]
        constraints = [models.UniqueConstraint(fields=["calendar", "date"], name="holiday_calendar_date_unique")]

    def __str__(self) -> str:
        return f"{self.date} {self.name}"


class OutboxMessage(models.Model):
    """One outgoing message (agent reply, escalation notification, survey, auto-reply, webhook delivery), sent once by one task.

    The producer writes the finished message in its own transaction; ``foundation.outbox``
    sends it after commit, records every attempt and the last error, and gives up as failed
    after ``OUTBOX_MAX_ATTEMPTS``. ``ref_kind``/``ref_id`` point at the domain row the message is
    about (no foreign key: the platform knows no app above it).
    """

    class Kind(models.TextChoices):
        REPLY = "reply", "Agent reply"
        NOTIFICATION = "notification", "Escalation notification"
        SURVEY = "survey", "Satisfaction survey"
        AUTO_REPLY = "auto_reply", "Auto-reply"
        ACKNOWLEDGEMENT = "acknowledgement", "Acknowledgement of a new ticket"
        REMINDER = "reminder", "Reminder to a customer who has not answered"
        WEBHOOK = "webhook", "Outgoing webhook"
        PORTAL_LINK = "portal_link", "Portal sign-in link"

    class Channel(models.TextChoices):
        EMAIL = "email", "E-mail"
        WEBHOOK = "webhook", "Webhook"

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        SENT = "sent", "Sent"
        FAILED = "failed", "Failed"

    kind = models.CharField(max_length=16, choices=Kind.choices)
    channel = models.CharField(max_length=8, choices=Channel.choices, default=Channel.EMAIL)
    dedupe_key = models.CharField(max_length=200, unique=True, help_text='Never queued twice, e.g. "reply:<interaction id>".')
    recipient = models.CharField(max_length=500, help_text="E-mail address, or the name of a chat webhook in CHAT_WEBHOOKS.")
    subject = models.CharField(max_length=998, blank=True)
    body = models.TextField(blank=True)
    headers = models.JSONField(default=dict, blank=True, help_text="Message-ID, In-Reply-To, References, Reply-To, …")
    payload = models.JSONField(null=True, blank=True, help_text="The JSON a webhook receives.")
    ref_kind = models.CharField(max_length=64, blank=True, help_text='The domain row it is about, e.g. "tickets.interaction".')
    ref_id = models.BigIntegerField(null=True, blank=True)
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.TextField(blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    # When the next try is due: the retrying task's countdown; the sweep resends only overdue ones.
    next_attempt_at = models.DateTimeField(default=timezone.now)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = "outgoing message"
        indexes = [
            # The resend sweep: queued messages whose next try is overdue, a handful among millions.
            models.Index(fields=["next_attempt_at"], condition=models.Q(status="queued"), name="outbox_queued_due_idx"),
            # The console's delivery badges and the domain admins: the messages about these rows.
            models.Index(fields=["ref_kind", "ref_id"], name="outbox_ref_idx"),
            # Admin's list filtered by kind and status, newest first.
            models.Index(fields=["kind", "status", "-created_at"], name="outbox_kind_status_idx"),
        ]
        constraints = [
            models.CheckConstraint(condition=models.Q(status__in=["queued", "sent", "failed"]), name="outbox_status_valid"),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} → {self.recipient} ({self.status})"


# What an outgoing webhook can subscribe to (the payload's "event"); pipeline/webhooks.py announces them.
WEBHOOK_EVENTS = [
    ("ticket.created", "Ticket created"),
    ("ticket.updated", "Ticket updated (status, priority, category or tags)"),
    ("ticket.assigned", "Ticket assigned"),
    ("ticket.resolved", "Ticket resolved"),
    ("ticket.reopened", "Ticket reopened"),
    ("customer.replied", "Customer replied"),
    ("escalation.opened", "Escalation opened"),
    ("escalation.decided", "Escalation decided"),
    ("sla.at_risk", "SLA at risk"),
    ("sla.breached", "SLA breached"),
]


def _new_secret() -> str:
    return secrets.token_urlsafe(32)


def _validate_events(value: Any) -> None:
    known = {name for name, _ in WEBHOOK_EVENTS}
    if not isinstance(value, list) or not value or not all(isinstance(name, str) for name in value):
        raise ValidationError("Choose at least one event.")
    unknown = sorted(set(value) - known)
    if unknown:
        raise ValidationError(f"Unknown event(s): {', '.join(unknown)}.")


class WebhookSubscription(models.Model):
    """An admin's outgoing webhook: a URL told of the chosen events, each delivery one outbox row signed with ``secret``."""

    name = models.CharField(max_length=120, unique=True)
    url = models.URLField(max_length=500, help_text="https://… ; private, loopback and metadata addresses are refused.")
    secret = models.CharField(
        max_length=100, default=_new_secret, help_text="Signs every delivery (HMAC-SHA256 over timestamp and body); made at creation."
    )
    events = models.JSONField(default=list, validators=[_validate_events], help_text="The events this URL is told of.")
    is_active = models.BooleanField(default=True)
    created_at = models.DateTimeField(default=timezone.now)

    class Meta:
        ordering = ["name"]
        verbose_name = "outgoing webhook"

    def __str__(self) -> str:
        return self.name

    def clean(self) -> None:
        if self.url:
            try:
                webhook_targets.check(self.url)
            except webhook_targets.TargetRefused as exc:
                raise ValidationError({"url": str(exc)}) from None
