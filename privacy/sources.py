"""Every table that holds data about a customer, in one list (``SOURCES``): export reads it, erasure scrubs it.

A ``Source`` names the rows about one customer (``rows(scope)``) and how they are erased
(``erase(rows, scope)``): removed, pseudonymised, or their free text replaced. A new table with
personal data is one more line here (as ticket followers are:
``Source("followers", lambda s: TicketFollower.objects.filter(customer=s.customer), delete)``);
``tests/privacy/test_erasure.py`` scans every text and JSON column of every table, so a table
forgotten here fails it.

What stays after an erasure is what the figures need: the rows themselves (tickets,
messages, surveys, escalations…) with their times, statuses, priorities, categories, teams,
scores, SLA outcomes and ratings, so dashboards and rollups count the same; what goes is
every name, address and word the customer (or an agent to them) wrote.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType
from django.core.files.storage import default_storage
from django.db import transaction
from django.db.models import Model, Q, QuerySet

from analytics.csat import SURVEY_REF
from analytics.models import SatisfactionSurvey
from escalation_engine import incidents
from escalation_engine.models import Escalation
from escalation_engine.models import Notification as EscalationNotification
from escalation_engine.notifications import NOTIFICATION_REF
from foundation.models import OutboxMessage
from notifications.models import AgentNotification
from notifications.services import OUTBOX_REF as AGENT_NOTIFICATION_REF
from tickets.models import Attachment, Customer, IntakeKey, Interaction, Ticket, TicketEvent, TicketFollower, TrainingLabel
from tickets.services import REPLY_REF

ERASED = "[erased]"
TICKET_REF = "tickets.ticket"  # auto-replies, acknowledgements, reminders
MIN_PHRASE = 4  # shorter strings (ids, "en", "P2") are never treated as personal


@dataclass
class Scope:
    """One customer and the ids of what is about them, read once."""

    customer: Customer
    ticket_ids: list[int] = field(default_factory=list)
    interaction_ids: list[int] = field(default_factory=list)
    survey_ids: list[int] = field(default_factory=list)
    escalation_ids: list[int] = field(default_factory=list)
    phrases: list[str] = field(default_factory=list)  # lower-cased personal strings, longest first

    @classmethod
    def of(cls, customer: Customer) -> Scope:
        tickets = Ticket.objects.filter(customer=customer)
        scope = cls(customer=customer, ticket_ids=list(tickets.values_list("pk", flat=True)))
        # Their own tickets' messages, and what they wrote into others' tickets as a follower (in Cc).
        interactions = Interaction.objects.filter(Q(ticket_id__in=scope.ticket_ids) | Q(follower=customer))
        scope.interaction_ids = list(interactions.values_list("pk", flat=True))
        surveys = SatisfactionSurvey.objects.filter(Q(ticket_id__in=scope.ticket_ids) | Q(customer=customer))
        scope.survey_ids = list(surveys.values_list("pk", flat=True))
        scope.escalation_ids = list(Escalation.objects.filter(ticket_id__in=scope.ticket_ids).values_list("pk", flat=True))
        texts: list[str] = [customer.name, customer.email, customer.email.split("@")[0], customer.organization]
        texts += customer.name.split()
        for subject, body in tickets.values_list("subject", "body"):
            texts += [subject, body]
        texts += interactions.values_list("body", flat=True)
        texts += surveys.values_list("comment", flat=True)
        texts += Attachment.objects.filter(interaction_id__in=scope.interaction_ids).values_list("filename", flat=True)
        lines = {line.strip().lower() for text in texts for line in text.splitlines()}
        scope.phrases = sorted((p for p in lines | {t.strip().lower() for t in texts} if len(p) >= MIN_PHRASE), key=len, reverse=True)
        return scope

    @property
    def pseudonym_email(self) -> str:
        return f"erased-{self.customer.pk}@erased.invalid"

    def is_personal(self, value: str) -> bool:
        """True when ``value`` holds one of the customer's strings, or is a piece of one (an excerpt of their words)."""
        lowered = value.strip().lower()
        if len(lowered) < MIN_PHRASE:
            return False
        if any(phrase in lowered for phrase in self.phrases):
            return True
        excerpt = lowered.rstrip("…. ")
        return " " in excerpt and len(excerpt) >= 12 and any(excerpt in phrase for phrase in self.phrases)

    def scrub(self, value: Any) -> Any:
        """A JSON value with every personal or free-text string replaced (keys, numbers, ids and slugs kept)."""
        if isinstance(value, dict):
            return {key: self.scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        if isinstance(value, str) and self.is_personal(value):
            return ERASED
        return value

    def scrub_text(self, value: str) -> str:
        return ERASED if value and self.is_personal(value) else value


Eraser = Callable[[QuerySet[Any], Scope], int]


@dataclass(frozen=True)
class Source:
    name: str
    rows: Callable[[Scope], QuerySet[Any]]
    erase: Callable[[QuerySet[Any], Scope], int]
    exported: bool = True  # False: rows erasure touches that are not the customer's (an incident parent quoting them)


def delete(rows: QuerySet[Any], scope: Scope) -> int:
    return rows.delete()[0]


def scrub_fields(
    *text_fields: str, json_fields: Iterable[str] = (), blank: Iterable[str] = (), set_to: dict[str, Any] | None = None
) -> Eraser:
    """Erase by rewriting each row: ``blank`` fields become "[erased]", ``text_fields`` and ``json_fields`` are scrubbed."""
    json_fields, blank = tuple(json_fields), tuple(blank)

    def erase(rows: QuerySet[Any], scope: Scope) -> int:
        count = 0
        for row in rows.only("pk", *text_fields, *json_fields, *blank):
            changes: dict[str, Any] = {name: ERASED for name in blank if getattr(row, name)}
            changes |= {name: scope.scrub_text(getattr(row, name)) for name in text_fields}
            changes |= {name: scope.scrub(getattr(row, name)) for name in json_fields}
            changes |= set_to or {}
            type(row).objects.filter(pk=row.pk).update(**changes)  # update(): no save(), no signals, no auto_now
            count += 1
        return count

    return erase


def erase_customer_row(rows: QuerySet[Customer], scope: Scope) -> int:
    return rows.update(name=f"Erased customer {scope.customer.pk}", email=scope.pseudonym_email, organization="", churn_factors=[])


def erase_attachments(rows: QuerySet[Attachment], scope: Scope) -> int:
    """The rows go now, their files from the media storage once the erasure commits (a rollback keeps both)."""
    names = [name for name in rows.values_list("file", flat=True) if name]

    def delete_files() -> None:
        for name in names:
            default_storage.delete(name)

    transaction.on_commit(delete_files)
    return rows.delete()[0]


def erase_tickets(rows: QuerySet[Ticket], scope: Scope) -> int:
    count = scrub_fields(
        json_fields=("routing", "priority_reasons", "tags", "satisfaction_factors", "category_alternatives"),
        blank=("subject", "body"),
        set_to={"entities": {}, "auto_reply_draft": ""},
    )(rows, scope)
    incidents.forget(list(rows.values_list("pk", flat=True)))  # this process's term counts of their words
    return count


def erase_outbox(rows: QuerySet[OutboxMessage], scope: Scope) -> int:
    count = 0
    for message in rows:
        recipient = scope.pseudonym_email if message.recipient.lower() == scope.customer.email.lower() else message.recipient
        OutboxMessage.objects.filter(pk=message.pk).update(
            recipient=recipient,
            subject=ERASED if message.subject else "",
            body=ERASED if message.body else "",
            headers=scope.scrub(message.headers),
            payload=scope.scrub(message.payload),
            last_error=scope.scrub_text(message.last_error),
        )
        count += 1
    return count


def outbox_rows(scope: Scope) -> QuerySet[OutboxMessage]:
    notification_ids = list(EscalationNotification.objects.filter(escalation_id__in=scope.escalation_ids).values_list("pk", flat=True))
    agent_notification_ids = list(AgentNotification.objects.filter(ticket_id__in=scope.ticket_ids).values_list("pk", flat=True))
    return OutboxMessage.objects.filter(
        Q(recipient__iexact=scope.customer.email)
        | Q(ref_kind=TICKET_REF, ref_id__in=scope.ticket_ids)
        | Q(ref_kind=REPLY_REF, ref_id__in=scope.interaction_ids)
        | Q(ref_kind=SURVEY_REF, ref_id__in=scope.survey_ids)
        | Q(ref_kind=NOTIFICATION_REF, ref_id__in=notification_ids)
        | Q(ref_kind=AGENT_NOTIFICATION_REF, ref_id__in=agent_notification_ids)
        # Outgoing webhooks carry the ticket (and, for customer.replied, the customer) by id.
        | Q(kind=OutboxMessage.Kind.WEBHOOK, payload__data__ticket__id__in=scope.ticket_ids)
        | Q(kind=OutboxMessage.Kind.WEBHOOK, payload__data__ticket__customer_id=scope.customer.pk)
    )


def audit_rows(scope: Scope) -> QuerySet[LogEntry]:
    """Admin's change history of the customer and their tickets (``object_repr`` is "Name <email>", "#12 subject")."""
    kinds = ContentType.objects.get_for_models(Customer, Ticket)
    return LogEntry.objects.filter(
        Q(content_type=kinds[Customer], object_id=str(scope.customer.pk))
        | Q(content_type=kinds[Ticket], object_id__in=[str(pk) for pk in scope.ticket_ids])
    )


def incident_parents(scope: Scope) -> QuerySet[Ticket]:
    parents = Ticket.objects.filter(pk__in=scope.ticket_ids, incident__isnull=False).values_list("incident_id", flat=True)
    return Ticket.objects.filter(pk__in=list(parents)).exclude(customer=scope.customer)


def _by_ticket(model: type[Model], path: str = "ticket_id__in") -> Callable[[Scope], QuerySet[Any]]:
    return lambda scope: model._default_manager.filter(**{path: scope.ticket_ids})


erase_messages = scrub_fields(blank=("body",), set_to={"external_message_id": ""})
erase_escalations = scrub_fields("decision_reason", json_fields=("signals", "contributions", "actions", "worse_because"))

SOURCES: list[Source] = [
    Source("customer", lambda s: Customer.objects.filter(pk=s.customer.pk), erase_customer_row),
    Source("tickets", lambda s: Ticket.objects.filter(pk__in=s.ticket_ids), erase_tickets),
    Source("messages", lambda s: Interaction.objects.filter(pk__in=s.interaction_ids), erase_messages),
    Source("attachments", lambda s: Attachment.objects.filter(interaction_id__in=s.interaction_ids), erase_attachments),
    Source("events", _by_ticket(TicketEvent), scrub_fields(json_fields=("detail",))),
    Source("surveys", lambda s: SatisfactionSurvey.objects.filter(pk__in=s.survey_ids), scrub_fields("comment", json_fields=("signals",))),
    Source("escalations", _by_ticket(Escalation), erase_escalations),
    Source("escalation_notifications", _by_ticket(EscalationNotification, "escalation__ticket_id__in"), scrub_fields("target")),
    Source("agent_notifications", _by_ticket(AgentNotification), scrub_fields(blank=("text",))),
    Source("training_labels", _by_ticket(TrainingLabel), delete),  # the next model is not trained on erased text
    Source("intake_keys", _by_ticket(IntakeKey), delete),
    Source("followers", lambda s: TicketFollower.objects.filter(customer=s.customer), delete),  # in Cc of others' tickets
    Source("outbox", outbox_rows, erase_outbox),
    Source("audit_log", audit_rows, scrub_fields("change_message", blank=("object_repr",))),
    Source("incident_parents", incident_parents, scrub_fields("subject", "body"), exported=False),
]
