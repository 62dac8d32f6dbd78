"""Self-service actions: deflections, votes, auto-replies and their answers, status-page replies."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Count, Q

from foundation import outbox
from foundation.customer_mail import render_mail
from foundation.models import OutboxMessage
from foundation.parsing import clean_text, parse_id
from helpcenter.models import ArticleVote, Deflection, KnowledgeArticle
from tickets import links
from tickets.models import OPEN_STATUSES, AuthorKind, Interaction, Ticket, TicketEvent, TicketStatus
from tickets.reply_address import reply_address
from tickets.services import change_status, clean_header_text

logger = logging.getLogger(__name__)


def record_deflection(*, article_id: Any, subject: str) -> Deflection | None:
    """The customer clicked "this solved my problem": counted, and no ticket is created."""
    pk = parse_id(article_id)
    article = KnowledgeArticle.objects.filter(pk=pk, is_published=True).first() if pk else None
    if article is None:
        return None
    return Deflection.objects.create(article=article, subject=" ".join(clean_text(subject, max_length=10_000).split())[:200])


def voter_id(session_key: str) -> str:
    return hashlib.sha256(f"{settings.SECRET_KEY}:{session_key}".encode()).hexdigest()[:64]


def vote(*, article: KnowledgeArticle, voter: str, helpful: bool) -> KnowledgeArticle:
    """One vote per visitor and article (a second one changes it); the counters follow the votes."""
    with transaction.atomic():
        ArticleVote.objects.update_or_create(article=article, voter=voter, defaults={"helpful": helpful})
        counts = ArticleVote.objects.filter(article=article).aggregate(
            yes=Count("id", filter=Q(helpful=True)), no=Count("id", filter=Q(helpful=False))
        )
        KnowledgeArticle.objects.filter(pk=article.pk).update(helpful_count=counts["yes"], not_helpful_count=counts["no"])
    article.helpful_count, article.not_helpful_count = counts["yes"], counts["no"]
    return article


AUTO_REPLY_REF = "tickets.ticket"  # the outbox's pointer: the ticket the auto-reply answers


def queue_auto_reply(ticket: Ticket) -> OutboxMessage | None:
    """Inside the caller's transaction, with the ticket locked: put triage's drafted answer in the outbox.

    The e-mail carries the article with signed yes/no links, a Message-ID and a signed
    Reply-To (the customer's answer threads back). Sent after commit; ``record_auto_reply_sent``
    marks the ticket once it went. The SLA is untouched. ``None`` when there is nothing to send.
    """
    if not ticket.auto_reply_draft or ticket.auto_reply_article_id is None or ticket.auto_reply_sent_at is not None:
        return None
    if ticket.status not in OPEN_STATUSES or ticket.automatic_mail_blocked:
        return None  # closed, or opened by a robot's mail (loop protection)
    article_id = ticket.auto_reply_article_id
    mail = render_mail(
        "auto_reply",
        language=ticket.language,
        context={
            "ticket_id": ticket.pk,
            "subject": ticket.subject,
            "draft": ticket.auto_reply_draft,
            "yes_url": links.auto_reply_url(ticket, article_id, "yes"),
            "no_url": links.auto_reply_url(ticket, article_id, "no"),
            "status_url": links.status_url(ticket),
        },
    )
    message_id = make_msgid(idstring=f"ticket{ticket.pk}", domain=settings.DEFAULT_FROM_EMAIL.split("@")[-1])
    return outbox.queue(
        kind=outbox.Kind.AUTO_REPLY,
        dedupe_key=f"auto_reply:{ticket.pk}",
        recipient=ticket.customer.email,
        subject=clean_header_text(mail.subject, limit=998),
        body=mail.body,
        headers={"Message-ID": message_id, "Reply-To": reply_address(ticket.pk), **mail.headers},
        ref_kind=AUTO_REPLY_REF,
        ref_id=ticket.pk,
    )


ACKNOWLEDGEMENT_REF = "tickets.ticket"  # the outbox's pointer: the ticket acknowledged


def queue_acknowledgement(ticket: Ticket) -> OutboxMessage | None:
    """Inside the triage transaction: tell the customer their request arrived, in their language (once per ticket).

    Only for the channels in ``ACKNOWLEDGE_CHANNELS`` (a customer who wrote in expects an
    answer; a ticket an agent logged from a phone call does not need one), not for incident
    parents, and not when triage queued an auto-reply: that answer acknowledges too. The
    language is the one triage detected (``Ticket.language``), English when untranslated.
    ``None`` when nothing is sent.
    """
    if ticket.channel not in settings.ACKNOWLEDGE_CHANNELS or ticket.is_incident or ticket.status not in OPEN_STATUSES:
        return None
    if ticket.automatic_mail_blocked:  # an auto-responder or a robot over its rate: answering it starts a mail loop
        return None
    if OutboxMessage.objects.filter(dedupe_key=f"auto_reply:{ticket.pk}").exists():
        return None
    customer = ticket.customer
    mail = render_mail(
        "acknowledgement",
        language=ticket.language,
        context={
            "ticket_id": ticket.pk,
            "subject": ticket.subject,
            "name": customer.name or customer.email,
            "status_url": links.status_url(ticket),
        },
    )
    message_id = make_msgid(idstring=f"ticket{ticket.pk}", domain=settings.DEFAULT_FROM_EMAIL.split("@")[-1])
    return outbox.queue(
        kind=outbox.Kind.ACKNOWLEDGEMENT,
        dedupe_key=f"acknowledgement:{ticket.pk}",
        recipient=customer.email,
        subject=clean_header_text(mail.subject, limit=998),
        body=mail.body,
        headers={"Message-ID": message_id, "Reply-To": reply_address(ticket.pk), **mail.headers},
        ref_kind=ACKNOWLEDGEMENT_REF,
        ref_id=ticket.pk,
    )


def send_auto_reply(*, ticket_id: int) -> bool:
    """Queue a ticket's auto-reply if it is not in the outbox yet and hand it to the outbox's task (idempotent).

    What the deprecated ``helpcenter.send_auto_reply`` task does for tasks queued before the outbox.
    """
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("customer").filter(pk=ticket_id).first()
        if ticket is None:
            return False
        queue_auto_reply(ticket)
    return outbox.send_by_key(f"auto_reply:{ticket_id}")


def record_auto_reply_sent(*, message: OutboxMessage) -> None:
    """Listener of ``outbox_message_sent`` (inside): the sent auto-reply joins the conversation and marks the ticket.

    ``auto_reply_sent_at`` feeds the deflection dashboard and its index; the interaction keeps
    the Message-ID so the customer's answer threads back.
    """
    if message.kind != outbox.Kind.AUTO_REPLY or message.ref_id is None:
        return
    ticket = Ticket.objects.select_for_update().filter(pk=message.ref_id).first()
    if ticket is None or ticket.auto_reply_sent_at is not None:
        return
    Interaction.objects.create(
        ticket=ticket,
        author_kind=AuthorKind.SYSTEM,
        channel=ticket.channel,
        body=ticket.auto_reply_draft,
        external_message_id=message.headers.get("Message-ID", ""),
    )
    ticket.auto_reply_sent_at = message.sent_at
    ticket.save(update_fields=["auto_reply_sent_at", "updated_at"])
    TicketEvent.objects.create(ticket=ticket, kind="auto_reply_sent", detail={"article_id": ticket.auto_reply_article_id})


@dataclass(frozen=True)
class AutoReplyAnswer:
    ticket: Ticket
    outcome: str  # "resolved", "declined", "already_resolved", "already_answered"


def answer_auto_reply(*, token: str, answer: str) -> AutoReplyAnswer:
    """Yes resolves the ticket (counted as auto-resolved); no leaves it with the agents, SLA untouched."""

    payload = links.auto_reply_payload(token)
    if answer not in ("yes", "no"):
        raise links.LinkError("Choose yes or no.", 400)
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().filter(pk=payload.get("t") or 0, auto_reply_article_id=payload.get("a") or 0).first()
        if ticket is None:
            raise links.LinkError("This link is not valid. Please use the link from your e-mail as it is.", 400)
        answered = TicketEvent.objects.filter(ticket=ticket, kind__in=("auto_resolved", "auto_reply_declined")).exists()
        if answered:
            return AutoReplyAnswer(ticket, "already_answered")
        if answer == "no":
            TicketEvent.objects.create(ticket=ticket, kind="auto_reply_declined", detail={"article_id": payload.get("a")})
            return AutoReplyAnswer(ticket, "declined")
        if ticket.status not in OPEN_STATUSES:
            return AutoReplyAnswer(ticket, "already_resolved")
        ticket = change_status(ticket=ticket, status=TicketStatus.RESOLVED, by=None)
        Ticket.objects.filter(pk=ticket.pk).update(auto_resolved=True)
        ticket.auto_resolved = True
        TicketEvent.objects.create(ticket=ticket, kind="auto_resolved", detail={"article_id": payload.get("a")})
    return AutoReplyAnswer(ticket, "resolved")


def public_conversation(ticket: Ticket) -> list[Interaction]:
    return list(ticket.interactions.filter(is_internal=False).select_related("author").order_by("created_at"))


def queue_auto_reply_after_triage(*, ticket: Ticket) -> None:
    """Listener of ``ticket_triaged`` (inside the triage transaction): a drafted answer goes into the outbox with it."""
    queue_auto_reply(ticket)


def acknowledge_after_triage(*, ticket: Ticket) -> None:
    """Listener of ``ticket_triaged`` (inside, after the auto-reply's): the acknowledgement, in the language triage found."""
    queue_acknowledgement(ticket)
