"""Intake and ticket changes: every function is one transaction and returns what it changed.

Intake (API, web form, e-mail, webhook) funnels into ``receive_contact``: the customer,
the ticket and the first interaction are stored together, duplicates (idempotency key or
external message id) return the first ticket, and triage is enqueued only after commit,
so a broker outage can delay triage but never lose a ticket.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from escalation import sla
from tickets import attachments as attachment_policy
from tickets.models import (
    OPEN_STATUSES,
    Attachment,
    AuthorKind,
    Category,
    Customer,
    IntakeKey,
    Interaction,
    Priority,
    Ticket,
    TicketEvent,
    TicketStatus,
    TrainingLabel,
)

logger = logging.getLogger(__name__)

REPEAT_WINDOW = timedelta(days=7)
MAX_SUBJECT = 300
MAX_BODY = 50_000


@dataclass(frozen=True)
class IncomingAttachment:
    filename: str
    content_type: str
    content: bytes


@dataclass
class IntakeResult:
    ticket: Ticket
    interaction: Interaction | None
    created: bool  # False when this was a duplicate delivery or a reply threaded onto a ticket
    threaded: bool = False
    rejected_attachments: list[str] = field(default_factory=list)


_SUBJECT_PREFIX = re.compile(r"^\s*((re|fw|fwd|aw|wg|sv|antw)\s*(\[\d+\])?\s*:\s*)+", re.IGNORECASE)
_REFERENCE_IN_SUBJECT = re.compile(r"\[?#(\d{1,12})\]?")
_WORD = re.compile(r"[a-z0-9]+")


def normalize_subject(subject: str) -> str:
    """Lower-case subject without reply/forward prefixes or the ticket reference."""
    subject = _SUBJECT_PREFIX.sub("", subject or "")
    subject = _REFERENCE_IN_SUBJECT.sub("", subject)
    return " ".join(_WORD.findall(subject.lower()))


def subjects_match(a: str, b: str) -> bool:
    """Same subject for repeat-contact purposes: equal after normalising, or ≥ 60 % word overlap."""
    na, nb = normalize_subject(a), normalize_subject(b)
    if not na or not nb:
        return False
    if na == nb:
        return True
    wa, wb = set(na.split()), set(nb.split())
    return len(wa & wb) / len(wa | wb) >= 0.6


def reference_in_subject(subject: str) -> int | None:
    match = _REFERENCE_IN_SUBJECT.search(subject or "")
    return int(match.group(1)) if match else None


def _clean_text(value: str, *, limit: int, name: str) -> str:
    value = (value or "").replace("\x00", "").strip()
    if not value:
        raise ValidationError({name: f"{name.capitalize()} is required."})
    if len(value) > limit:
        raise ValidationError({name: f"{name.capitalize()} is longer than {limit} characters."})
    return value


def get_or_create_customer(*, email: str, name: str = "", organization: str = "") -> Customer:
    """The customer with this e-mail, created on first contact (an unknown sender is not an error)."""
    email = (email or "").strip().lower()
    try:
        validate_email(email)
    except ValidationError as exc:
        raise ValidationError({"customer_email": "A valid customer e-mail address is required."}) from exc
    customer = Customer.objects.filter(email=email).first()
    if customer is not None:
        return customer
    try:
        with transaction.atomic():
            return Customer.objects.create(name=(name or email.split("@")[0])[:200], email=email, organization=organization[:200])
    except IntegrityError:
        # Two intakes from a new customer at once: the other one created it.
        return Customer.objects.get(email=email)


def _find_repeat(customer: Customer, subject: str, now: Any) -> tuple[int | None, int]:
    """The first ticket of this customer on this subject in the window, and how many earlier contacts there were."""
    recent = list(
        Ticket.objects.filter(customer=customer, created_at__gte=now - REPEAT_WINDOW)
        .only("id", "subject", "repeat_of_id", "created_at")
        .order_by("created_at")[:200]
    )
    related = [t for t in recent if subjects_match(t.subject, subject)]
    if not related:
        return None, 0
    root = related[0]
    return (root.repeat_of_id or root.pk), len(related)


def _store_attachments(interaction: Interaction, attachments: Sequence[IncomingAttachment], max_bytes: int) -> list[str]:
    """Store what the policy accepts; return "name (reason)" for each refused attachment."""
    rejected = []
    for item in attachments:
        name = attachment_policy.safe_filename(item.filename)
        verdict = attachment_policy.check(name, item.content_type, item.content)
        if verdict.ok and len(item.content) > max_bytes:
            verdict = attachment_policy.Verdict(False, f"larger than {max_bytes} bytes")
        if not verdict.ok:
            rejected.append(f"{name} ({verdict.reason})")
            continue
        attachment = Attachment(interaction=interaction, filename=name, content_type=item.content_type[:120], size=len(item.content))
        attachment.file.save(attachment_policy.storage_name(name), ContentFile(item.content), save=False)
        attachment.save()
    return rejected


def _enqueue_triage(ticket_id: int) -> None:
    from tickets.tasks import triage_ticket

    try:
        triage_ticket.delay(ticket_id)
    except Exception:  # noqa: BLE001 - the ticket is committed; the recovery sweep triages it later
        logger.warning("could not enqueue triage for ticket %s; the recovery sweep will pick it up", ticket_id, exc_info=True)


def receive_contact(
    *,
    channel: str,
    customer_email: str,
    subject: str,
    body: str,
    customer_name: str = "",
    organization: str = "",
    idempotency_source: str = "",
    idempotency_key: str = "",
    external_message_id: str = "",
    in_reply_to: Sequence[str] = (),
    attachments: Sequence[IncomingAttachment] = (),
    max_attachment_bytes: int = 10 * 1024 * 1024,
    shown_articles: Sequence[int] = (),
    thread_onto: Ticket | None = None,
) -> IntakeResult:
    """Store an inbound contact: a new ticket, or a reply threaded onto an existing one.

    ``shown_articles`` are the help articles the web form suggested before the customer sent
    it anyway; ``thread_onto`` (the status page) adds the message to that ticket.

    Duplicates (same idempotency key for the source, or same external message id) return
    the ticket of the first delivery and create nothing. Replies thread by ``in_reply_to``
    message ids or a ``#123`` reference in the subject, but only onto the same customer's
    ticket. Triage is enqueued after commit.
    """
    subject = _clean_text(subject, limit=MAX_SUBJECT, name="subject")
    body = _clean_text(body, limit=MAX_BODY, name="body")
    external_message_id = (external_message_id or "").strip()[:255]
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > 255:
        raise ValidationError({"idempotency_key": "Idempotency key is longer than 255 characters."})

    with transaction.atomic():
        duplicate = _existing_delivery(idempotency_source, idempotency_key, external_message_id)
        if duplicate is not None:
            return IntakeResult(ticket=duplicate, interaction=None, created=False)
        customer = get_or_create_customer(email=customer_email, name=customer_name, organization=organization)
        now = timezone.now()

        parent = _thread_target(customer, subject, in_reply_to)
        if thread_onto is not None:
            if thread_onto.customer_id != customer.pk:
                raise ValidationError("A message can only be added to the customer's own request.")
            parent = thread_onto
        try:
            with transaction.atomic():
                if parent is not None:
                    result = _add_reply(parent, customer, channel, body, external_message_id, attachments, max_attachment_bytes)
                else:
                    result = _open_ticket(customer, channel, subject, body, external_message_id, attachments, max_attachment_bytes, now)
                    if shown_articles:
                        result.ticket.shown_articles = [int(pk) for pk in shown_articles][:10]
                        Ticket.objects.filter(pk=result.ticket.pk).update(shown_articles=result.ticket.shown_articles)
                if idempotency_key:
                    IntakeKey.objects.create(source=idempotency_source, key=idempotency_key, ticket=result.ticket)
        except IntegrityError:
            # A concurrent delivery of the same message won the race: answer with its ticket.
            duplicate = _existing_delivery(idempotency_source, idempotency_key, external_message_id)
            if duplicate is None:
                raise
            return IntakeResult(ticket=duplicate, interaction=None, created=False)

        ticket_id = result.ticket.pk
        transaction.on_commit(lambda: _enqueue_triage(ticket_id) if result.created else _enqueue_interaction(result))
    return result


def _enqueue_interaction(result: IntakeResult) -> None:
    from escalation.tasks import check_ticket_now
    from tickets.tasks import analyze_interaction

    if result.interaction is None:
        return
    try:
        analyze_interaction.delay(result.interaction.pk)
        check_ticket_now.delay(result.ticket.pk)
    except Exception:  # noqa: BLE001 - sentiment of a reply can be filled in later
        logger.warning("could not enqueue analysis of interaction %s", result.interaction.pk, exc_info=True)


def _existing_delivery(source: str, key: str, external_message_id: str) -> Ticket | None:
    if key:
        # Nearly every key is new: ask for the id only, load the ticket for a replay.
        ticket_id = IntakeKey.objects.filter(source=source, key=key).values_list("ticket_id", flat=True).first()
        if ticket_id is not None:
            return Ticket.objects.get(pk=ticket_id)
    if external_message_id:
        interaction = Interaction.objects.filter(external_message_id=external_message_id).select_related("ticket").first()
        if interaction is not None:
            return interaction.ticket
    return None


def _thread_target(customer: Customer, subject: str, in_reply_to: Sequence[str]) -> Ticket | None:
    ids = [value.strip() for value in in_reply_to if value and value.strip()]
    if ids:
        interaction = (
            Interaction.objects.filter(external_message_id__in=ids[:50], ticket__customer=customer).select_related("ticket").first()
        )
        if interaction is not None:
            return interaction.ticket
    reference = reference_in_subject(subject)
    if reference is not None:
        return Ticket.objects.filter(pk=reference, customer=customer).first()
    return None


def _open_ticket(
    customer: Customer,
    channel: str,
    subject: str,
    body: str,
    external_message_id: str,
    attachments: Sequence[IncomingAttachment],
    max_attachment_bytes: int,
    now: Any,
) -> IntakeResult:
    repeat_root_id, earlier = _find_repeat(customer, subject, now)
    ticket = Ticket(
        subject=subject,
        body=body,
        channel=channel,
        customer=customer,
        status=TicketStatus.NEW,
        priority=Priority.P2,
        created_at=now,
        repeat_of_id=repeat_root_id,
        repeat_count=earlier,
    )
    # Field checks only: the check constraints hold for the values set here and the database
    # enforces them anyway (validating them in Python cost a query each, a quarter of an intake).
    ticket.full_clean(exclude=["customer", "repeat_of", "category", "team", "assignee", "model_version"], validate_constraints=False)
    ticket.save()
    if repeat_root_id is not None:
        Ticket.objects.filter(pk=repeat_root_id).update(repeat_count=F("repeat_count") + 1)
    interaction = Interaction.objects.create(
        ticket=ticket, author_kind=AuthorKind.CUSTOMER, channel=channel, body=body, external_message_id=external_message_id, created_at=now
    )
    rejected = _store_attachments(interaction, attachments, max_attachment_bytes)
    detail: dict[str, Any] = {"channel": channel}
    if repeat_root_id is not None:
        detail.update(repeat_of=repeat_root_id, repeat_count=earlier)
    if rejected:
        detail["attachments_rejected"] = rejected
    TicketEvent.objects.create(ticket=ticket, kind="created", detail=detail, created_at=now)
    return IntakeResult(ticket=ticket, interaction=interaction, created=True, rejected_attachments=rejected)


def _add_reply(
    ticket: Ticket,
    customer: Customer,
    channel: str,
    body: str,
    external_message_id: str,
    attachments: Sequence[IncomingAttachment],
    max_attachment_bytes: int,
) -> IntakeResult:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    interaction = Interaction.objects.create(
        ticket=ticket, author_kind=AuthorKind.CUSTOMER, channel=channel, body=body, external_message_id=external_message_id
    )
    rejected = _store_attachments(interaction, attachments, max_attachment_bytes)
    detail: dict[str, Any] = {"interaction_id": interaction.pk, "channel": channel}
    now = timezone.now()
    if ticket.status not in OPEN_STATUSES:
        # A reply to a resolved ticket reopens it: the customer is not done.
        detail["reopened_from"] = ticket.status
        ticket.status = TicketStatus.IN_PROGRESS if ticket.assignee_id else TicketStatus.TRIAGED
        _reopen(ticket, now)
    elif ticket.status == TicketStatus.PENDING_CUSTOMER:
        detail["resumed_from"] = ticket.status
        ticket.status = TicketStatus.IN_PROGRESS if ticket.assignee_id else TicketStatus.TRIAGED
    sla.apply_customer_message(ticket, at=now)
    ticket.save(update_fields=["status", "resolved_at", "closed_at", "updated_at", *sla.SLA_FIELDS])
    if rejected:
        detail["attachments_rejected"] = rejected
    TicketEvent.objects.create(ticket=ticket, kind="customer_replied", detail=detail)
    return IntakeResult(ticket=ticket, interaction=interaction, created=False, threaded=True, rejected_attachments=rejected)


def recategorize_ticket(*, ticket: Ticket, category: Category, by: Any) -> Ticket:
    """An agent corrects the category: applied, audited, and kept as a training label."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = ticket.category.slug if ticket.category else ""
        if old == category.slug:
            return ticket
        ticket.category = category
        ticket.needs_triage = False
        ticket.save(update_fields=["category", "needs_triage", "updated_at"])
        TrainingLabel.objects.create(ticket=ticket, field=TrainingLabel.Field.CATEGORY, old_value=old, new_value=category.slug, actor=by)
        TicketEvent.objects.create(ticket=ticket, actor=by, kind="recategorized", detail={"from": old, "to": category.slug})
    return ticket


def reprioritize_ticket(*, ticket: Ticket, priority: int, by: Any) -> Ticket:
    """An agent corrects the priority: applied, audited, and kept as a training label."""
    if priority not in Priority.values:
        raise ValidationError({"priority": "Priority must be 0 (P0) to 3 (P3)."})
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = ticket.priority
        if old == priority:
            return ticket
        ticket.priority = priority
        sla.apply_start(ticket, now=timezone.now())  # targets follow the new priority
        ticket.save(update_fields=["priority", "updated_at", *sla.SLA_FIELDS])
        TrainingLabel.objects.create(
            ticket=ticket, field=TrainingLabel.Field.PRIORITY, old_value=f"P{old}", new_value=f"P{priority}", actor=by
        )
        TicketEvent.objects.create(ticket=ticket, actor=by, kind="reprioritized", detail={"from": old, "to": priority})
    return ticket


def add_agent_reply(*, ticket: Ticket, body: str, by: Any, internal: bool = False) -> Interaction:
    """An agent answers (or writes an internal note). A public answer stops the response clocks."""
    body = _clean_text(body, limit=MAX_BODY, name="body")
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        now = timezone.now()
        interaction = Interaction.objects.create(
            ticket=ticket, author_kind=AuthorKind.AGENT, author=by, channel=ticket.channel, body=body, is_internal=internal, created_at=now
        )
        if not internal:
            sla.apply_agent_reply(ticket, at=now)
            ticket.agent_reply_count += 1
            if ticket.status in (TicketStatus.NEW, TicketStatus.TRIAGED, TicketStatus.ASSIGNED):
                ticket.status = TicketStatus.IN_PROGRESS
            ticket.save(update_fields=["first_response_at", "agent_reply_count", "status", "updated_at", *sla.SLA_FIELDS])
        TicketEvent.objects.create(
            ticket=ticket, actor=by, kind="note_added" if internal else "agent_replied", detail={"interaction_id": interaction.pk}
        )
    return interaction


def _reopen(ticket: Ticket, now: Any) -> None:
    """Back to work after resolution: the SLA clock restarts; the day it was resolved is re-counted."""
    from analytics.rollup import mark_dirty

    if ticket.resolved_at is not None:
        mark_dirty(ticket.resolved_at)
    sla.apply_reopen(ticket, at=now, resolved_at=ticket.resolved_at)
    ticket.resolved_at = ticket.closed_at = None


ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    TicketStatus.NEW: {TicketStatus.TRIAGED, TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.TRIAGED: {TicketStatus.IN_PROGRESS, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.ASSIGNED: {TicketStatus.IN_PROGRESS, TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.IN_PROGRESS: {TicketStatus.PENDING_CUSTOMER, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.PENDING_CUSTOMER: {TicketStatus.IN_PROGRESS, TicketStatus.RESOLVED, TicketStatus.CLOSED},
    TicketStatus.RESOLVED: {TicketStatus.CLOSED, TicketStatus.IN_PROGRESS},
    TicketStatus.CLOSED: {TicketStatus.IN_PROGRESS},
}


def change_status(*, ticket: Ticket, status: str, by: Any) -> Ticket:
    """Move a ticket through its life cycle; pending the customer pauses the SLA, reopening restarts resolution."""
    if status not in TicketStatus.values:
        raise ValidationError({"status": f"Unknown status {status!r}."})
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = ticket.status
        if old == status:
            return ticket
        if status not in ALLOWED_TRANSITIONS.get(old, set()):
            raise ValidationError({"status": f"A ticket cannot go from {old} to {status}."})
        now = timezone.now()
        ticket.status = status
        if status == TicketStatus.PENDING_CUSTOMER:
            sla.apply_pause(ticket, at=now)
        elif old == TicketStatus.PENDING_CUSTOMER and status in OPEN_STATUSES:
            sla.apply_resume(ticket, at=now)
        newly_resolved = status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and ticket.resolved_at is None
        if newly_resolved:
            sla.apply_resolve(ticket, at=now)
            ticket.resolved_at = now
        if status == TicketStatus.CLOSED:
            ticket.closed_at = now
        elif old in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            _reopen(ticket, now)
        sla.refresh_status(ticket, now=now)
        ticket.save(update_fields=["status", "resolved_at", "closed_at", "updated_at", *sla.SLA_FIELDS])
        TicketEvent.objects.create(ticket=ticket, actor=by, kind="status_changed", detail={"from": old, "to": status})
        if newly_resolved:
            from analytics import csat

            csat.on_resolved(ticket)
    return ticket


def send_reply_after_commit(interaction: Interaction) -> None:
    """E-mail an agent's public reply to the customer once the reply is committed (retried by the task)."""
    from tickets.tasks import send_reply_email

    interaction_id = interaction.pk

    def enqueue() -> None:
        try:
            send_reply_email.delay(interaction_id)
        except Exception:  # noqa: BLE001 - the reply is stored; the outbox sweep resends it
            logger.warning("could not enqueue reply e-mail %s", interaction_id, exc_info=True)

    transaction.on_commit(enqueue)


def deliver_reply_email(*, interaction_id: int) -> bool:
    """Send one reply e-mail; its Message-ID is stored so the customer's answer threads back. Idempotent."""
    from email.utils import make_msgid

    from django.conf import settings
    from django.core.mail import EmailMessage

    with transaction.atomic():
        interaction = Interaction.objects.select_for_update().select_related("ticket__customer").filter(pk=interaction_id).first()
        if interaction is None or interaction.is_internal or interaction.external_message_id:
            return False  # gone, a note, or already sent
        ticket = interaction.ticket
        message_id = make_msgid(idstring=f"ticket{ticket.pk}", domain=settings.DEFAULT_FROM_EMAIL.split("@")[-1])
        previous = list(
            Interaction.objects.filter(ticket=ticket)
            .exclude(external_message_id="")
            .exclude(pk=interaction.pk)
            .values_list("external_message_id", flat=True)
        )[-10:]
        headers = {"Message-ID": message_id}
        if previous:
            headers["In-Reply-To"] = previous[-1]
            headers["References"] = " ".join(previous)
        from helpcenter.links import status_url

        email = EmailMessage(
            subject=f"Re: [#{ticket.pk}] {ticket.subject}",
            body=f"{interaction.body}\n\n--\nYour request and our whole conversation: {status_url(ticket)}",
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[ticket.customer.email],
            headers=headers,
        )
        email.send()
        interaction.external_message_id = message_id
        interaction.save(update_fields=["external_message_id"])
    return True


def merge_tickets(*, source: Ticket, target: Ticket, by: Any) -> Ticket:
    """Fold a duplicate into another ticket of the same customer: messages move, the duplicate closes."""
    if source.pk == target.pk:
        raise ValidationError("A ticket cannot be merged into itself.")
    with transaction.atomic():
        first, second = sorted([source.pk, target.pk])
        locked = {t.pk: t for t in Ticket.objects.select_for_update().filter(pk__in=[first, second])}
        source, target = locked[source.pk], locked[target.pk]
        if source.customer_id != target.customer_id:
            raise ValidationError("Only tickets of the same customer can be merged.")
        if target.status not in OPEN_STATUSES:
            raise ValidationError(f"Ticket #{target.pk} is {target.status}; merge into an open ticket.")
        moved = Interaction.objects.filter(ticket=source).update(ticket=target)
        now = timezone.now()
        source.status = TicketStatus.CLOSED
        source.closed_at = now
        source.resolved_at = source.resolved_at or now
        source.tags = sorted({*source.tags, "merged"})
        sla.refresh_status(source, now=now)
        source.save(update_fields=["status", "closed_at", "resolved_at", "tags", "updated_at", *sla.SLA_FIELDS])
        TicketEvent.objects.create(ticket=source, actor=by, kind="merged_into", detail={"ticket": target.pk, "messages": moved})
        TicketEvent.objects.create(ticket=target, actor=by, kind="merged_from", detail={"ticket": source.pk, "messages": moved})
    return target
