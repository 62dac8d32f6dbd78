"""Intake and ticket changes: every function is one transaction and returns what it changed.

Intake (API, web form, e-mail, webhook) funnels into ``receive_contact``: the customer,
the ticket and the first interaction are stored together, duplicates (idempotency key or
external message id) return the first ticket, and triage is enqueued only after commit,
so a broker outage can delay triage but never lose a ticket.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from email.utils import parseaddr
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import F, Q
from django.utils import timezone

from foundation import outbox
from foundation.errors import ApplicationError
from foundation.queue import enqueue_on_commit
from tickets import attachments as attachment_policy
from tickets import events
from tickets.models import (
    OPEN_STATUSES,
    SLA_FIELDS,
    Attachment,
    AuthorKind,
    Category,
    Customer,
    IntakeKey,
    Interaction,
    Priority,
    Ticket,
    TicketEvent,
    TicketFollower,
    TicketStatus,
    TrainingLabel,
)
from tickets.reply_address import is_reply_address

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


# C0/C1 control characters (line breaks included): never part of a header-bound value.
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029]+")
# In bodies, keep tabs and line breaks; drop the rest.
_BODY_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]+")
TRUNCATION_NOTE = "\n\n[This message was longer than {limit:,} characters; the whole text is attached as {filename}.]"
ORIGINAL_FILENAME = "original-message.txt"


def clean_header_text(value: str, *, limit: int) -> str:
    """One line for a header-bound field (subject, names): control characters become spaces, runs collapse."""
    return " ".join(_CONTROL.sub(" ", value or "").split())[:limit]


def _clean_body(value: str) -> str:
    return _BODY_CONTROL.sub("", (value or "").replace("\r\n", "\n").replace("\r", "\n")).strip()


def _required(value: str, name: str) -> str:
    if not value:
        raise ValidationError({name: f"{name.capitalize()} is required."})
    return value


def _clean_text(value: str, *, limit: int, name: str) -> str:
    """An agent's text: required and within the limit (their form says so; nothing is cut)."""
    value = _required(_clean_body(value), name)
    if len(value) > limit:
        raise ValidationError({name: f"{name.capitalize()} is longer than {limit} characters."})
    return value


@dataclass(frozen=True)
class _Contact:
    """A customer's subject and body as stored: cleaned, cut to the limits, the original attached when cut."""

    subject: str
    body: str
    original: IncomingAttachment | None


def _fit_contact(subject: str, body: str) -> _Contact:
    """Long mail is stored, not refused: cut subject and body to the limits and keep the whole text as an attachment."""
    one_line = " ".join(_CONTROL.sub(" ", subject or "").split())
    whole_body = _clean_body(body)
    _required(one_line, "subject")
    _required(whole_body, "body")
    if len(one_line) <= MAX_SUBJECT and len(whole_body) <= MAX_BODY:
        return _Contact(one_line, whole_body, None)
    note = TRUNCATION_NOTE.format(limit=MAX_BODY, filename=ORIGINAL_FILENAME)
    cut_subject = one_line if len(one_line) <= MAX_SUBJECT else one_line[: MAX_SUBJECT - 1].rstrip() + "…"
    cut_body = whole_body if len(whole_body) <= MAX_BODY else whole_body[: MAX_BODY - len(note)].rstrip() + note
    original = IncomingAttachment(
        filename=ORIGINAL_FILENAME, content_type="text/plain", content=f"Subject: {one_line}\n\n{whole_body}".encode()
    )
    return _Contact(cut_subject, cut_body, original)


def intake_fingerprint(*, customer_email: str, subject: str, body: str) -> str:
    """What a replayed idempotency key must carry again: the same sender, subject and body."""
    digest = hashlib.sha256()
    for part in (customer_email.strip().lower(), subject, body):
        digest.update(part.encode())
        digest.update(b"\x00")
    return digest.hexdigest()


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


MAX_FOLLOWERS = 20
# The automatic reason of a mail over its sender's per-minute limit: no automatic mail answers the
# ticket it opens, but as a reply it counts like any customer's (it may be a person in a hurry).
RATE_LIMITED = "rate-limited"


def desk_addresses() -> set[str]:
    """The desk's own addresses (From, aliases in ``MAIL_DESK_ADDRESSES``), never followers of a ticket."""
    _, own = parseaddr(settings.DEFAULT_FROM_EMAIL)
    return {own.lower(), *settings.MAIL_DESK_ADDRESSES}


def keep_cc_followers(*, ticket: Ticket, addresses: Sequence[str], by: Any = None) -> list[Customer]:
    """Inside the caller's transaction: the Cc addresses of a mail become the ticket's followers.

    Skips the requester, the desk's own addresses and signed reply addresses; unknown people
    become customers (on first contact, like a sender). At most ``MAX_FOLLOWERS`` per ticket.
    Returns the followers added now.
    """
    own = desk_addresses()
    existing = set(TicketFollower.objects.filter(ticket=ticket).values_list("customer__email", flat=True))
    room = MAX_FOLLOWERS - len(existing)
    added: list[Customer] = []
    requester = Customer.objects.filter(pk=ticket.customer_id).values_list("email", flat=True).first()
    for address in dict.fromkeys(a.strip().lower() for a in addresses if a and "@" in a):
        if room <= 0:
            break
        if address in own or address == requester or address in existing or is_reply_address(address):
            continue
        try:
            customer = get_or_create_customer(email=address)
        except ValidationError:
            continue  # not a usable address: nobody to copy
        _, created = TicketFollower.objects.get_or_create(ticket=ticket, customer=customer, defaults={"added_by": by})
        if created:
            added.append(customer)
            existing.add(address)
            room -= 1
    if added:
        TicketEvent.objects.create(
            ticket=ticket, actor=by, kind="followers_added", detail={"customers": [customer.pk for customer in added]}
        )
    return added


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
    reply_address_tickets: Sequence[int] = (),
    sender_verified: bool = False,
    attachments: Sequence[IncomingAttachment] = (),
    max_attachment_bytes: int = 10 * 1024 * 1024,
    shown_articles: Sequence[int] = (),
    thread_onto: Ticket | None = None,
    cc: Sequence[str] = (),
    automatic_reason: str = "",
) -> IntakeResult:
    """Store an inbound contact: a new ticket, or a reply threaded onto an existing one.

    ``shown_articles`` are the help articles the web form suggested before the customer sent
    it anyway; ``thread_onto`` (the signed status page) adds the message to that ticket.

    A message threads onto an existing ticket only with proof that it answers this desk, and
    only onto the sender's own ticket: ``in_reply_to`` naming a message the desk sent, a
    signed reply address (``reply_address_tickets``, verified by the caller), or a ``#123``
    subject reference from a sender whose domain passed DMARC at our relay
    (``sender_verified``). A subject reference without proof opens a new ticket linked to the
    referenced one as a possible repeat; nobody can write into another customer's ticket.
    A follower of a ticket (someone who was in Cc) may write into it with the same proofs; the
    message records them as its author. ``cc`` addresses become followers (customers on first
    contact).

    ``automatic_reason`` (an out-of-office, a bounce, a list, a sender over the rate limit) is
    stored on the new ticket (``automatic_mail_blocked``: no auto-reply, survey or
    acknowledgement answers it) or on the threaded message, which then changes nothing: no
    reopening, no SLA clock, no notification.

    Long subjects and bodies are cut to the limits with the whole text kept as an attachment;
    control characters never reach a header-bound field. Duplicates (same idempotency key for
    the source, or same external message id from the same sender) return the first delivery's
    ticket and create nothing; a key reused for a different request is refused (422) and a
    message id that belongs to another sender's message is refused (409). Triage is enqueued
    after commit.
    """
    contact = _fit_contact(subject, body)
    subject, body = contact.subject, contact.body
    if contact.original is not None:
        attachments = [*attachments, contact.original]
    customer_name = clean_header_text(customer_name, limit=200)
    organization = clean_header_text(organization, limit=200)
    external_message_id = clean_header_text(external_message_id, limit=255)
    idempotency_key = (idempotency_key or "").strip()
    if len(idempotency_key) > 255:
        raise ValidationError({"idempotency_key": "Idempotency key is longer than 255 characters."})
    sender = (customer_email or "").strip().lower()
    fingerprint = intake_fingerprint(customer_email=sender, subject=subject, body=body) if idempotency_key else ""

    with transaction.atomic():
        duplicate = _existing_delivery(idempotency_source, idempotency_key, external_message_id, sender=sender, fingerprint=fingerprint)
        if duplicate is not None:
            return IntakeResult(ticket=duplicate, interaction=None, created=False)
        customer = get_or_create_customer(email=customer_email, name=customer_name, organization=organization)
        now = timezone.now()

        parent: Ticket | None
        if thread_onto is not None:
            if thread_onto.customer_id != customer.pk:
                raise ValidationError("A message can only be added to the customer's own request.")
            parent, possible_repeat_of = thread_onto, None
        else:
            parent, possible_repeat_of = _thread_target(
                customer, subject, in_reply_to=in_reply_to, reply_address_tickets=reply_address_tickets, sender_verified=sender_verified
            )
        automatic_reason = automatic_reason[:32]
        try:
            with transaction.atomic():
                if parent is not None:
                    result = _add_reply(
                        parent, customer, channel, body, external_message_id, attachments, max_attachment_bytes,
                        automatic_reason=automatic_reason,
                    )  # fmt: skip
                else:
                    result = _open_ticket(
                        customer, channel, subject, body, external_message_id, attachments, max_attachment_bytes, now,
                        possible_repeat_of=possible_repeat_of, automatic_reason=automatic_reason,
                    )  # fmt: skip
                    if shown_articles:
                        result.ticket.shown_articles = [int(pk) for pk in shown_articles][:10]
                        Ticket.objects.filter(pk=result.ticket.pk).update(shown_articles=result.ticket.shown_articles)
                if cc and not automatic_reason:
                    keep_cc_followers(ticket=result.ticket, addresses=cc)
                if idempotency_key:
                    IntakeKey.objects.create(source=idempotency_source, key=idempotency_key, ticket=result.ticket, fingerprint=fingerprint)
        except IntegrityError:
            # A concurrent delivery of the same message won the race: answer with its ticket.
            duplicate = _existing_delivery(idempotency_source, idempotency_key, external_message_id, sender=sender, fingerprint=fingerprint)
            if duplicate is None:
                raise
            return IntakeResult(ticket=duplicate, interaction=None, created=False)

        if result.created:
            enqueue_on_commit("tickets.triage_ticket", result.ticket.pk)  # triage_untriaged catches a missed one
        elif result.interaction is not None and automatic_reason in ("", RATE_LIMITED):
            enqueue_on_commit("tickets.analyze_interaction", result.interaction.pk)
            enqueue_on_commit("escalation.check_ticket", result.ticket.pk)
    return result


def _existing_delivery(source: str, key: str, external_message_id: str, *, sender: str, fingerprint: str) -> Ticket | None:
    """The ticket a repeated delivery already made, or None; a delivery id reused by someone else is refused."""
    if key:
        # Nearly every key is new: ask for the id only, load the ticket for a replay.
        row = IntakeKey.objects.filter(source=source, key=key).values_list("ticket_id", "fingerprint").first()
        if row is not None:
            ticket_id, stored = row
            if stored and fingerprint and stored != fingerprint:
                raise ApplicationError(
                    "This idempotency key (or event id) was already used for a different request; use a new key for a new request.",
                    status=422,
                    code="idempotency_key_reused",
                )
            return Ticket.objects.get(pk=ticket_id)
    if external_message_id:
        interaction = (
            Interaction.objects.filter(external_message_id=external_message_id).select_related("ticket__customer", "follower").first()
        )
        if interaction is not None:
            author = interaction.follower.email if interaction.follower is not None else interaction.ticket.customer.email
            if interaction.author_kind != AuthorKind.CUSTOMER or author != sender:
                raise ApplicationError(
                    "A message with this Message-ID was already received from another sender.", status=409, code="message_id_conflict"
                )
            return interaction.ticket
    return None


# What the desk sends carries these author kinds; a customer's In-Reply-To must name one of them.
_DESK_AUTHORS = (AuthorKind.AGENT, AuthorKind.SYSTEM)


def _thread_target(
    customer: Customer, subject: str, *, in_reply_to: Sequence[str], reply_address_tickets: Sequence[int], sender_verified: bool
) -> tuple[Ticket | None, int | None]:
    """(ticket to thread onto, or None; ticket this may repeat, or None) — see ``receive_contact`` for the proofs.

    The sender's own tickets come first; a ticket they follow (they were in Cc) counts too.
    """
    ids = [value.strip() for value in in_reply_to if value and value.strip()]
    if ids:
        answered = list(
            Interaction.objects.filter(external_message_id__in=ids[:50], author_kind__in=_DESK_AUTHORS)
            .filter(Q(ticket__customer=customer) | Q(ticket__follower_links__customer=customer))
            .select_related("ticket")[:50]
        )
        answered.sort(key=lambda interaction: interaction.ticket.customer_id != customer.pk)
        if answered:
            return answered[0].ticket, None
    if reply_address_tickets:
        signed = sorted(
            Ticket.objects.filter(pk__in=list(reply_address_tickets)[:10])
            .filter(Q(customer=customer) | Q(follower_links__customer=customer))
            .distinct(),
            key=lambda ticket: ticket.customer_id != customer.pk,
        )
        if signed:
            return signed[0], None
    reference = reference_in_subject(subject)
    if reference is None:
        return None, None
    referenced = (
        Ticket.objects.filter(pk=reference)
        .filter(Q(customer=customer) | Q(follower_links__customer=customer))
        .only("id", "repeat_of_id")
        .first()
    )
    if referenced is None:
        return None, None  # another customer's ticket (or none): never threaded, never linked
    if sender_verified:
        return Ticket.objects.get(pk=referenced.pk), None
    return None, referenced.repeat_of_id or referenced.pk


def _open_ticket(
    customer: Customer,
    channel: str,
    subject: str,
    body: str,
    external_message_id: str,
    attachments: Sequence[IncomingAttachment],
    max_attachment_bytes: int,
    now: Any,
    *,
    possible_repeat_of: int | None = None,
    automatic_reason: str = "",
) -> IntakeResult:
    repeat_root_id, earlier = _find_repeat(customer, subject, now)
    if repeat_root_id is None and possible_repeat_of is not None:
        # "Re: [#55]" without proof that it answers our mail: a new ticket, linked to #55.
        repeat_root_id, earlier = possible_repeat_of, 1
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
        automatic_mail_blocked=automatic_reason,
    )
    # Field checks only: the check constraints hold for the values set here and the database
    # enforces them anyway (validating them in Python cost a query each, a quarter of an intake).
    ticket.full_clean(
        exclude=["customer", "repeat_of", "category", "team", "assignee", "model_version", "followers"], validate_constraints=False
    )
    ticket.save()
    if repeat_root_id is not None:
        Ticket.objects.filter(pk=repeat_root_id).update(repeat_count=F("repeat_count") + 1)
    interaction = Interaction.objects.create(
        ticket=ticket, author_kind=AuthorKind.CUSTOMER, channel=channel, body=body, external_message_id=external_message_id, created_at=now,
        automatic_reason=automatic_reason,
    )  # fmt: skip
    rejected = _store_attachments(interaction, attachments, max_attachment_bytes)
    detail: dict[str, Any] = {"channel": channel}
    if automatic_reason:
        detail["automatic_mail_blocked"] = automatic_reason
    if repeat_root_id is not None:
        detail.update(repeat_of=repeat_root_id, repeat_count=earlier)
    if possible_repeat_of is not None:
        detail["unverified_reference"] = possible_repeat_of
    if rejected:
        detail["attachments_rejected"] = rejected
    TicketEvent.objects.create(ticket=ticket, kind="created", detail=detail, created_at=now)
    events.ticket_created.announce(ticket=ticket)
    return IntakeResult(ticket=ticket, interaction=interaction, created=True, rejected_attachments=rejected)


def _add_reply(
    ticket: Ticket,
    customer: Customer,
    channel: str,
    body: str,
    external_message_id: str,
    attachments: Sequence[IncomingAttachment],
    max_attachment_bytes: int,
    *,
    automatic_reason: str = "",
) -> IntakeResult:
    ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
    follower = customer if customer.pk != ticket.customer_id else None
    interaction = Interaction.objects.create(
        ticket=ticket, author_kind=AuthorKind.CUSTOMER, channel=channel, body=body, external_message_id=external_message_id,
        follower=follower, automatic_reason=automatic_reason,
    )  # fmt: skip
    rejected = _store_attachments(interaction, attachments, max_attachment_bytes)
    detail: dict[str, Any] = {"interaction_id": interaction.pk, "channel": channel}
    if follower is not None:
        detail["follower"] = follower.pk
    if rejected:
        detail["attachments_rejected"] = rejected
    now = timezone.now()
    if automatic_reason and automatic_reason != RATE_LIMITED:
        # An out-of-office or a bounce is kept in the conversation but changes nothing:
        # a resolved ticket stays resolved, a paused clock stays paused, nobody is notified.
        detail["automatic"] = automatic_reason
        TicketEvent.objects.create(ticket=ticket, kind="automatic_mail_stored", detail=detail)
        return IntakeResult(ticket=ticket, interaction=interaction, created=False, threaded=True, rejected_attachments=rejected)
    if ticket.status not in OPEN_STATUSES:
        # A reply to a resolved ticket reopens it: the customer is not done.
        detail["reopened_from"] = ticket.status
        ticket.status = TicketStatus.IN_PROGRESS if ticket.assignee_id else TicketStatus.TRIAGED
        _reopen(ticket, now, old=detail["reopened_from"])
    elif ticket.status == TicketStatus.PENDING_CUSTOMER:
        detail["resumed_from"] = ticket.status
        ticket.status = TicketStatus.IN_PROGRESS if ticket.assignee_id else TicketStatus.TRIAGED
    events.customer_wrote.announce(ticket=ticket, at=now)
    ticket.save(update_fields=["status", "resolved_at", "closed_at", "updated_at", *SLA_FIELDS])
    TicketEvent.objects.create(ticket=ticket, kind="customer_replied", detail=detail)
    return IntakeResult(ticket=ticket, interaction=interaction, created=False, threaded=True, rejected_attachments=rejected)


def recategorize_ticket(*, ticket: Ticket, category: Category, by: Any) -> Ticket:
    """An agent corrects or confirms the category: applied, audited, kept as a training label.

    Choosing the category the ticket already has confirms it (in Needs triage or in the
    workspace): one ``confirmed`` label, unless the ticket's latest category label already says
    so. The ticket leaves Needs triage either way; the caller routes it (the waiting sweep
    would within a minute).
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = ticket.category.slug if ticket.category else ""
        if old == category.slug:
            if ticket.needs_triage:
                ticket.needs_triage = False
                ticket.save(update_fields=["needs_triage", "updated_at"])
            latest = (
                TrainingLabel.objects.filter(ticket=ticket, field=TrainingLabel.Field.CATEGORY)
                .order_by("-created_at", "-pk")
                .values_list("new_value", flat=True)
                .first()
            )
            if latest != old:
                # A person confirms the model's guess: a human-confirmed label.
                TrainingLabel.objects.create(
                    ticket=ticket,
                    field=TrainingLabel.Field.CATEGORY,
                    old_value=old,
                    new_value=old,
                    source=TrainingLabel.Source.CONFIRMED,
                    actor=by,
                )
                TicketEvent.objects.create(ticket=ticket, actor=by, kind="category_confirmed", detail={"category": old})
            return ticket
        ticket.category = category
        ticket.needs_triage = False
        ticket.save(update_fields=["category", "needs_triage", "updated_at"])
        TrainingLabel.objects.create(
            ticket=ticket,
            field=TrainingLabel.Field.CATEGORY,
            old_value=old,
            new_value=category.slug,
            source=TrainingLabel.Source.CORRECTED,
            actor=by,
        )
        TicketEvent.objects.create(ticket=ticket, actor=by, kind="recategorized", detail={"from": old, "to": category.slug})
        events.ticket_changed.announce(ticket=ticket, changes={"category": [old, category.slug]}, at=timezone.now())
    return ticket


def set_priority(ticket: Ticket, *, priority: int, now: Any, by: Any = None, source: str) -> bool:
    """The one way a layer above the engine changes a priority: set it and announce ``priority_changed``
    (the SLA clocks follow inside the transaction). The caller holds the row lock and saves
    ``priority`` and ``SLA_FIELDS``. False when the priority is unchanged."""
    old = ticket.priority
    if priority == old:
        return False
    ticket.priority = priority
    events.priority_changed.announce(ticket=ticket, old=old, at=now, by=by, source=source)
    return True


def reprioritize_ticket(*, ticket: Ticket, priority: int, by: Any) -> Ticket:
    """An agent corrects the priority: applied, audited, and kept as a training label."""
    if priority not in Priority.values:
        raise ValidationError({"priority": "Priority must be 0 (P0) to 3 (P3)."})
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = ticket.priority
        if not set_priority(ticket, priority=priority, now=timezone.now(), by=by, source="agent"):
            return ticket
        ticket.save(update_fields=["priority", "updated_at", *SLA_FIELDS])
        TrainingLabel.objects.create(
            ticket=ticket,
            field=TrainingLabel.Field.PRIORITY,
            old_value=f"P{old}",
            new_value=f"P{priority}",
            source=TrainingLabel.Source.CORRECTED,
            actor=by,
        )
    return ticket


def add_tags(*, ticket: Ticket, tags: Sequence[str], by: Any) -> Ticket:
    """Add tags (a person's choice, e.g. a macro's): the ticket keeps its others; audited with what was new."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        added = sorted(set(tags) - set(ticket.tags))
        if not added:
            return ticket
        ticket.tags = sorted({*ticket.tags, *added})
        ticket.save(update_fields=["tags", "updated_at"])
        TicketEvent.objects.create(ticket=ticket, actor=by, kind="tags_added", detail={"tags": added})
        events.ticket_changed.announce(
            ticket=ticket, changes={"tags": [sorted(set(ticket.tags) - set(added)), ticket.tags]}, at=timezone.now()
        )
    return ticket


MAX_TAGS = 20
MAX_TAG_LENGTH = 40
_TAG = re.compile(r"[a-z0-9][a-z0-9_.:-]*")


def set_tags(*, ticket: Ticket, tags: Sequence[str], by: Any) -> Ticket:
    """Replace the ticket's tags (lower-cased, de-duplicated, sorted), audited as one ``tags_changed`` event."""
    cleaned = sorted({str(tag).strip().lower() for tag in tags if str(tag).strip()})
    if len(cleaned) > MAX_TAGS:
        raise ValidationError({"tags": f"At most {MAX_TAGS} tags."})
    bad = [tag for tag in cleaned if len(tag) > MAX_TAG_LENGTH or not _TAG.fullmatch(tag)]
    if bad:
        raise ValidationError(
            {"tags": f"Tags are up to {MAX_TAG_LENGTH} letters, digits and _ . : - (starting with a letter or digit): {bad[0]!r}."}
        )
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        old = sorted(ticket.tags or [])
        if old == cleaned:
            return ticket
        ticket.tags = cleaned
        ticket.save(update_fields=["tags", "updated_at"])
        TicketEvent.objects.create(
            ticket=ticket,
            actor=by,
            kind="tags_changed",
            detail={"added": sorted(set(cleaned) - set(old)), "removed": sorted(set(old) - set(cleaned))},
        )
        events.ticket_changed.announce(ticket=ticket, changes={"tags": [old, cleaned]}, at=timezone.now())
    return ticket


def add_agent_reply(*, ticket: Ticket, body: str, by: Any, internal: bool = False) -> Interaction:
    """An agent answers (or writes an internal note). A public answer stops the response clocks and is e-mailed after commit."""
    body = _clean_text(body, limit=MAX_BODY, name="body")
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().get(pk=ticket.pk)
        now = timezone.now()
        interaction = Interaction.objects.create(
            ticket=ticket,
            author_kind=AuthorKind.AGENT,
            author=by,
            channel=ticket.channel,
            body=body,
            is_internal=internal,
            created_at=now,
        )
        if not internal:
            events.agent_replied.announce(ticket=ticket, at=now)
            ticket.agent_reply_count += 1
            if ticket.status in (TicketStatus.NEW, TicketStatus.TRIAGED, TicketStatus.ASSIGNED) and (
                ticket.assignee_id or _claim(ticket, by=by, at=now, why="claimed by answering it")
            ):
                ticket.status = TicketStatus.IN_PROGRESS
            ticket.save(
                update_fields=["first_response_at", "agent_reply_count", "status", "assignee", "assigned_at", "updated_at", *SLA_FIELDS]
            )
        TicketEvent.objects.create(
            ticket=ticket, actor=by, kind="note_added" if internal else "agent_replied", detail={"interaction_id": interaction.pk}
        )
        if internal:
            events.note_added.announce(ticket=ticket, interaction=interaction, by=by)
        else:
            queue_reply(interaction)
    return interaction


def add_system_note(*, ticket: Ticket, body: str, kind: str, detail: dict[str, Any] | None = None) -> Interaction:
    """The desk itself notes something on a ticket (auto-close): an internal note by the system, and its audit event ``kind``.

    Internal, so the customer never sees it and no clock moves; the caller's transaction holds the ticket.
    """
    with transaction.atomic():
        interaction = Interaction.objects.create(
            ticket=ticket, author_kind=AuthorKind.SYSTEM, channel=ticket.channel, body=_clean_text(body, limit=MAX_BODY, name="body"),
            is_internal=True,
        )  # fmt: skip
        TicketEvent.objects.create(ticket=ticket, kind=kind, detail={"interaction_id": interaction.pk, **(detail or {})})
    return interaction


def _claim(ticket: Ticket, *, by: Any, at: Any, why: str) -> bool:
    """An agent who answers or starts an unassigned ticket takes it (the first responder owns it); False for anyone else.

    Not the router's hand-out, so no capacity check: the agent chose this ticket.
    """
    agent = getattr(by, "agent", None)  # a user without an agent profile raises RelatedObjectDoesNotExist, an AttributeError
    if agent is None:
        return False
    ticket.assignee_id, ticket.assigned_at = agent.pk, at
    TicketEvent.objects.create(ticket=ticket, actor=by, kind="assigned", detail={"agent_id": agent.pk, "agent": str(agent), "why": why})
    return True


def _reopen(ticket: Ticket, now: Any, *, old: str) -> None:
    """Back to work after resolution: the SLA clock restarts (the engine), the day it was resolved is re-counted (analytics)."""
    resolved_at = ticket.resolved_at
    ticket.resolved_at = ticket.closed_at = None
    events.status_changed.announce(ticket=ticket, old=old, at=now, resolved=False, reopened_after=resolved_at)


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
        if (
            status == TicketStatus.IN_PROGRESS
            and not ticket.assignee_id
            and not _claim(ticket, by=by, at=now, why="claimed by starting work")
        ):
            if old not in (TicketStatus.RESOLVED, TicketStatus.CLOSED, TicketStatus.PENDING_CUSTOMER):
                raise ValidationError({"status": "Assign the ticket to someone before starting work on it."})
            status = TicketStatus.TRIAGED  # reopened with nobody on it: back to the queue, where routing offers it
        ticket.status = status
        newly_resolved = status in (TicketStatus.RESOLVED, TicketStatus.CLOSED) and ticket.resolved_at is None
        reopened_after = None
        if newly_resolved:
            ticket.resolved_at = now
        if status == TicketStatus.CLOSED:
            ticket.closed_at = now
        elif old in (TicketStatus.RESOLVED, TicketStatus.CLOSED):
            reopened_after = ticket.resolved_at
            ticket.resolved_at = ticket.closed_at = None
        events.status_changed.announce(ticket=ticket, old=old, at=now, resolved=newly_resolved, reopened_after=reopened_after)
        ticket.save(update_fields=["status", "assignee", "assigned_at", "resolved_at", "closed_at", "updated_at", *SLA_FIELDS])
        TicketEvent.objects.create(ticket=ticket, actor=by, kind="status_changed", detail={"from": old, "to": status})
        if newly_resolved:
            events.ticket_resolved.announce(ticket=ticket, by=by)
        if newly_resolved and ticket.is_incident and settings.INCIDENT_RESOLVES_CHILDREN:
            _resolve_incident_children(ticket, by=by)
    return ticket


def _resolve_incident_children(incident: Ticket, *, by: Any) -> None:
    """The incident is fixed: each open linked ticket gets one reply to its customer and is resolved, audited on both sides."""
    children = list(Ticket.objects.filter(incident=incident, status__in=OPEN_STATUSES).order_by("pk").values_list("pk", flat=True))
    message = settings.INCIDENT_RESOLUTION_MESSAGE.format(incident=incident.reference, subject=incident.subject)
    for child_id in children:
        child = Ticket.objects.get(pk=child_id)  # both services lock and re-read it
        add_agent_reply(ticket=child, body=message, by=by)
        change_status(ticket=child, status=TicketStatus.RESOLVED, by=by)
        TicketEvent.objects.create(ticket_id=child_id, actor=by, kind="resolved_with_incident", detail={"incident": incident.pk})
    if children:
        TicketEvent.objects.create(ticket=incident, actor=by, kind="incident_children_resolved", detail={"tickets": children})


REPLY_REF = "tickets.interaction"  # the outbox's pointer to the reply it carries


def reply_message(
    *, interaction: Any, ticket: Any, customer_email: str, previous: list[str], message_id: str, cc: Sequence[str] = ()
) -> dict[str, Any]:
    """The finished e-mail of an agent's reply, as ``foundation.outbox.queue`` arguments.

    ``previous`` are the conversation's earlier Message-IDs (threading headers); ``cc`` the
    ticket's followers, copied (the outbox sends to them too). Pure apart
    from signing links, so the migration that filled the outbox renders with it too.
    """
    from tickets.links import status_url
    from tickets.reply_address import reply_address

    previous = previous[-10:]
    headers = {"Message-ID": message_id, "Reply-To": reply_address(ticket.pk)}
    if previous:
        headers["In-Reply-To"] = previous[-1]
        headers["References"] = " ".join(previous)
    if cc:
        headers["Cc"] = ", ".join(cc)
    return {
        "kind": "reply",
        "dedupe_key": f"reply:{interaction.pk}",
        "recipient": customer_email,
        # Subjects are cleaned at intake; tickets stored before that may still hold a line break.
        "subject": clean_header_text(f"Re: [#{ticket.pk}] {ticket.subject}", limit=998),
        "body": f"{interaction.body}\n\n--\nYour request and our whole conversation: {status_url(ticket)}",
        "headers": headers,
        "ref_kind": REPLY_REF,
        "ref_id": interaction.pk,
    }


def new_message_id(ticket_id: int) -> str:
    """A Message-ID of the desk's domain for a mail about this ticket."""
    from email.utils import make_msgid

    return make_msgid(idstring=f"ticket{ticket_id}", domain=settings.DEFAULT_FROM_EMAIL.split("@")[-1])


def queue_reply(interaction: Interaction) -> None:
    """Inside the reply's transaction: put its e-mail in the outbox (sent after commit, retried, shown in the workspace).

    The Message-ID is the reply's from now on, so the customer's answer threads back and a
    later reply's ``References`` include it.
    """
    ticket = interaction.ticket
    previous = list(
        Interaction.objects.filter(ticket=ticket)
        .exclude(external_message_id="")
        .exclude(pk=interaction.pk)
        .order_by("created_at", "id")
        .values_list("external_message_id", flat=True)
    )
    interaction.external_message_id = new_message_id(ticket.pk)
    interaction.save(update_fields=["external_message_id"])
    outbox.queue(
        **reply_message(
            interaction=interaction,
            ticket=ticket,
            customer_email=ticket.customer.email,
            previous=previous,
            message_id=interaction.external_message_id,
            cc=list(TicketFollower.objects.filter(ticket=ticket).order_by("added_at", "id").values_list("customer__email", flat=True)),
        )
    )


def resend_reply(*, interaction_id: int) -> Any:
    """Queue a failed reply e-mail again (the outbox's *send again*); sent after commit."""
    return outbox.send_again_one(ref_kind=REPLY_REF, ref_id=interaction_id)


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
        events.ticket_merged.announce(source=source, target=target, at=now)
        source.save(update_fields=["status", "closed_at", "resolved_at", "tags", "updated_at", *SLA_FIELDS])
        TicketEvent.objects.create(ticket=source, actor=by, kind="merged_into", detail={"ticket": target.pk, "messages": moved})
        TicketEvent.objects.create(ticket=target, actor=by, kind="merged_from", detail={"ticket": source.pk, "messages": moved})
    return target


def _awaiting_reply(messages: Sequence[Interaction]) -> bool:
    """The latest public message is the customer's: an answer is owed."""
    public = [m for m in messages if not m.is_internal and m.author_kind in (AuthorKind.CUSTOMER, AuthorKind.AGENT)]
    return bool(public) and public[-1].author_kind == AuthorKind.CUSTOMER


def split_ticket(*, ticket: Ticket, interaction_ids: Sequence[int], by: Any, subject: str = "") -> Ticket:
    """Move the chosen messages of a ticket into a new ticket of the same customer, which is triaged and routed as new.

    Refused without a choice, when every message is chosen (that is the ticket itself), when a
    chosen message is not this ticket's (another customer's above all), and without a customer
    message among them (the new ticket starts from the first one). Reply counts are recounted on
    both; the clocks follow (``ticket_split``): the source's next-response clock stops if the
    question it timed moved, the new ticket's start now. Audited on both, each naming the other.
    """
    wanted = set(interaction_ids)
    if not wanted:
        raise ValidationError({"messages": "Choose the messages to move to a new ticket."})
    subject = clean_header_text(subject, limit=MAX_SUBJECT)
    with transaction.atomic():
        source = Ticket.objects.select_for_update().select_related("customer").get(pk=ticket.pk)
        chosen = list(Interaction.objects.filter(pk__in=wanted).select_related("ticket").order_by("created_at", "pk"))
        foreign = [m for m in chosen if m.ticket_id != source.pk]
        if any(m.ticket.customer_id != source.customer_id for m in foreign):
            raise ValidationError({"messages": "Messages of another customer's ticket cannot be split into a ticket of this customer."})
        if foreign or len(chosen) != len(wanted):
            raise ValidationError({"messages": f"Only messages of ticket {source.reference} can be split off."})
        kept = list(Interaction.objects.filter(ticket=source).exclude(pk__in=wanted).order_by("created_at", "pk"))
        if not kept:
            raise ValidationError({"messages": "Leave at least one message on the ticket: moving them all is the same ticket."})
        first = next((m for m in chosen if m.author_kind == AuthorKind.CUSTOMER), None)
        if first is None:
            raise ValidationError({"messages": "Choose at least one message from the customer: the new ticket starts from it."})
        now = timezone.now()
        answered = [m for m in chosen if m.author_kind == AuthorKind.AGENT and not m.is_internal and m.created_at >= first.created_at]
        new = Ticket(
            subject=subject or source.subject,
            body=first.body,
            channel=first.channel,
            customer=source.customer,
            status=TicketStatus.NEW,
            priority=Priority.P2,
            created_at=now,
            first_response_at=answered[0].created_at if answered else None,
            agent_reply_count=len([m for m in chosen if m.author_kind == AuthorKind.AGENT and not m.is_internal]),
        )
        new.full_clean(exclude=["customer", "repeat_of", "category", "team", "assignee", "model_version"], validate_constraints=False)
        new.save()
        ids = [m.pk for m in chosen]
        Interaction.objects.filter(pk__in=ids).update(ticket=new)
        source.agent_reply_count = len([m for m in kept if m.author_kind == AuthorKind.AGENT and not m.is_internal])
        events.ticket_split.announce(
            source=source, target=new, at=now, source_waits=_awaiting_reply(kept), target_waits=_awaiting_reply(chosen)
        )
        source.save(update_fields=["agent_reply_count", "updated_at", *SLA_FIELDS])
        new.save(update_fields=SLA_FIELDS)
        TicketEvent.objects.create(ticket=source, actor=by, kind="split_to", detail={"ticket": new.pk, "messages": ids})
        TicketEvent.objects.create(ticket=new, actor=by, kind="created", detail={"channel": new.channel, "split_from": source.pk})
        TicketEvent.objects.create(ticket=new, actor=by, kind="split_from", detail={"ticket": source.pk, "messages": ids})
        enqueue_on_commit("tickets.triage_ticket", new.pk)  # triaged and routed as a new ticket (triage_untriaged catches a missed one)
    return new
