"""Self-service actions: deflections, votes, auto-replies and their answers, status-page replies."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from email.utils import make_msgid
from typing import Any

from django.conf import settings
from django.core.mail import EmailMessage
from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from foundation.parsing import clean_text, parse_id
from foundation.queue import enqueue
from helpcenter.models import ArticleVote, Deflection, KnowledgeArticle
from tickets import links
from tickets.models import OPEN_STATUSES, AuthorKind, Interaction, Ticket, TicketEvent, TicketStatus
from tickets.reply_address import reply_address
from tickets.services import change_status

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


def send_auto_reply(*, ticket_id: int) -> bool:
    """E-mail the article triage chose, with signed yes/no links. Idempotent; SLA untouched."""
    with transaction.atomic():
        ticket = Ticket.objects.select_for_update().select_related("customer").filter(pk=ticket_id).first()
        if ticket is None or ticket.auto_reply_sent_at or not ticket.auto_reply_draft or ticket.auto_reply_article_id is None:
            return False
        if ticket.status not in OPEN_STATUSES:
            return False
        article_id = ticket.auto_reply_article_id
        body = "\n".join(
            [
                ticket.auto_reply_draft,
                "",
                "Did this solve your problem?",
                f"  Yes, it is solved: {links.auto_reply_url(ticket, article_id, 'yes')}",
                f"  No, I still need help: {links.auto_reply_url(ticket, article_id, 'no')}",
                "",
                f"Your request and our conversation: {links.status_url(ticket)}",
            ]
        )
        # A Message-ID we keep and a signed Reply-To: the customer's answer threads back onto this ticket.
        message_id = make_msgid(idstring=f"ticket{ticket.pk}", domain=settings.DEFAULT_FROM_EMAIL.split("@")[-1])
        EmailMessage(
            subject=f"Re: [#{ticket.pk}] {ticket.subject}",
            body=body,
            from_email=settings.DEFAULT_FROM_EMAIL,
            to=[ticket.customer.email],
            headers={"Message-ID": message_id, "Reply-To": reply_address(ticket.pk), "Auto-Submitted": "auto-replied"},
        ).send()
        now = timezone.now()
        Interaction.objects.create(
            ticket=ticket,
            author_kind=AuthorKind.SYSTEM,
            channel=ticket.channel,
            body=ticket.auto_reply_draft,
            external_message_id=message_id,
        )
        ticket.auto_reply_sent_at = now
        ticket.save(update_fields=["auto_reply_sent_at", "updated_at"])
        TicketEvent.objects.create(ticket=ticket, kind="auto_reply_sent", detail={"article_id": article_id})
    return True


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


def send_auto_reply_after_triage(*, ticket: Ticket) -> None:
    """Listener of ``ticket_triaged`` (after commit): a drafted answer goes out; the agent still has the draft if this fails."""
    if ticket.auto_reply_draft and ticket.auto_reply_sent_at is None:
        enqueue("helpcenter.send_auto_reply", ticket.pk)  # send_auto_reply is idempotent
