"""CSAT: a survey e-mail on resolution with a signed, expiring, single-use link.

The link carries ``{survey id, nonce}`` signed with ``django.core.signing`` (salted, with a
timestamp), so it cannot be forged or pointed at another survey, expires after
``CSAT_LINK_MAX_AGE_DAYS``, and stops working once answered. Opening the link never
records anything (mail scanners prefetch links); only the form's POST does. A rating at or
below ``CSAT_FOLLOW_UP_AT_OR_BELOW`` reopens the ticket and puts it in the supervisors'
escalation inbox with the customer's words.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from analytics.models import SatisfactionSurvey
from escalation_engine.services import request_escalation
from escalation_engine.sweep import ticket_signals
from foundation import outbox
from foundation.customer_mail import render_mail
from foundation.models import OutboxMessage
from foundation.parsing import clean_text, parse_int
from tickets import links
from tickets.links import LinkError, load_signed, status_url
from tickets.models import OPEN_STATUSES, Ticket, TicketEvent, TicketStatus
from tickets.services import change_status, clean_header_text

logger = logging.getLogger(__name__)
SALT = links.SURVEY_SALT
MAX_COMMENT = 2000


# Why a survey link cannot be used; ``status`` is the HTTP status of the page shown.
SurveyLinkError = LinkError
INVALID = "This survey link is not valid. Please use the link from your e-mail as it is."


@dataclass(frozen=True)
class Answer:
    survey: SatisfactionSurvey
    followed_up: bool


token_for = links.survey_token
survey_url = links.survey_url


def survey_for_token(token: str) -> SatisfactionSurvey:
    """The survey a link points to, or ``SurveyLinkError`` (tampered 400, expired 410, used 409)."""
    payload = load_signed(
        token, salt=SALT, max_age=timedelta(days=settings.CSAT_LINK_MAX_AGE_DAYS),
        expired="This survey link has expired. Thank you all the same.", invalid=INVALID,
    )  # fmt: skip
    survey = SatisfactionSurvey.objects.select_related("ticket").filter(pk=payload.get("s") or 0, nonce=payload.get("n") or "").first()
    if survey is None:
        raise SurveyLinkError(INVALID, 400)
    if survey.answered_at is not None:
        raise SurveyLinkError("This survey has already been answered. Thank you!", 409)
    return survey


def on_resolved(ticket: Ticket) -> None:
    """Inside the resolving transaction: create the survey (once per ticket) and send it after commit."""
    if ticket.automatic_mail_blocked:
        return  # opened by a robot's mail (an out-of-office, a bounce): nobody to ask, and no loop to start

    survey, created = SatisfactionSurvey.objects.get_or_create(
        ticket=ticket,
        defaults={
            "customer_id": ticket.customer_id,
            "team_id": ticket.team_id,
            "agent_id": ticket.assignee_id,
            "category_id": ticket.category_id,
            "priority": ticket.priority,
            "channel": ticket.channel,
            "signals": ticket_signals(ticket, now=timezone.now()),
        },
    )
    if created:
        outbox.queue(**survey_message(survey=survey, ticket=ticket, customer=ticket.customer))


SURVEY_REF = "analytics.satisfactionsurvey"  # the outbox's pointer to the survey it carries


def survey_message(*, survey: Any, ticket: Any, customer: Any) -> dict[str, Any]:
    """The finished survey e-mail, as ``foundation.outbox.queue`` arguments (also used by the migration that filled the outbox)."""
    mail = render_mail(
        "survey",
        language=getattr(ticket, "language", ""),
        context={
            "ticket_id": ticket.pk,
            "subject": ticket.subject,
            "name": customer.name or customer.email,
            "ratings": [{"number": n, "stars": "★" * n + "☆" * (5 - n), "url": survey_url(survey, n)} for n in range(5, 0, -1)],
            "max_age_days": settings.CSAT_LINK_MAX_AGE_DAYS,
            "status_url": status_url(ticket),
        },
    )
    return {
        "kind": "survey",
        "dedupe_key": f"survey:{survey.pk}",
        "recipient": customer.email,
        "subject": clean_header_text(mail.subject, limit=998),
        "body": mail.body,
        "headers": mail.headers,
        "ref_kind": SURVEY_REF,
        "ref_id": survey.pk,
    }


def send(*, survey_id: int) -> bool:
    """Queue an unsent survey in the outbox if it is not there yet and hand it to the outbox's task (idempotent).

    What the deprecated ``analytics.send_survey`` task does for tasks queued before the outbox.
    """
    with transaction.atomic():
        survey = SatisfactionSurvey.objects.select_for_update().select_related("ticket__customer").filter(pk=survey_id).first()
        if survey is None:
            return False
        if survey.sent_at is None:
            outbox.queue(**survey_message(survey=survey, ticket=survey.ticket, customer=survey.ticket.customer))
    return outbox.send_by_key(f"survey:{survey_id}")


def record_survey_sent(*, message: OutboxMessage) -> None:
    """Listener of ``outbox_message_sent`` (inside): the survey's ``sent_at``, which response rates count from."""
    if message.kind == outbox.Kind.SURVEY and message.ref_id is not None:
        SatisfactionSurvey.objects.filter(pk=message.ref_id, sent_at__isnull=True).update(sent_at=message.sent_at)


def answer(*, token: str, rating: Any, comment: str = "") -> Answer:
    """Record the answer once; a low rating reopens the ticket for a supervisor's follow-up."""
    rating = parse_int(rating, minimum=1, maximum=5)
    if rating is None:
        raise ValidationError({"rating": "Choose a rating from 1 to 5."})
    comment = clean_text(comment).strip()[:MAX_COMMENT]
    with transaction.atomic():
        survey = survey_for_token(token)
        survey = SatisfactionSurvey.objects.select_for_update().get(pk=survey.pk)
        if survey.answered_at is not None:  # answered by a parallel request since the check above
            raise SurveyLinkError("This survey has already been answered. Thank you!", 409)
        survey.rating, survey.comment, survey.answered_at = rating, comment, timezone.now()
        survey.save(update_fields=["rating", "comment", "answered_at"])
        TicketEvent.objects.create(ticket_id=survey.ticket_id, kind="csat_answered", detail={"rating": rating})
        followed_up = rating <= settings.CSAT_FOLLOW_UP_AT_OR_BELOW
        if followed_up:
            _follow_up(survey)
    return Answer(survey=survey, followed_up=followed_up)


def _follow_up(survey: SatisfactionSurvey) -> None:
    ticket = Ticket.objects.get(pk=survey.ticket_id)
    if ticket.status not in OPEN_STATUSES:
        ticket = change_status(ticket=ticket, status=TicketStatus.IN_PROGRESS, by=None)
    reason = f"Customer rated {survey.rating}/5" + (f": {survey.comment[:250]}" if survey.comment else "")
    request_escalation(ticket=ticket, by=None, reason=reason)


def on_ticket_resolved(*, ticket: Ticket, by: Any) -> None:
    """Listener of ``ticket_resolved`` (inside the resolving transaction)."""
    on_resolved(ticket)
