"""Signed customer links: the ticket status page and the auto-reply "did this solve it?" answer.

``django.core.signing`` with a salt per purpose and a timestamp: tampering is refused,
a link of one purpose cannot be used for another, and each purpose has its own lifetime.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.urls import reverse

STATUS_SALT = "helpcenter.status"
AUTO_REPLY_SALT = "helpcenter.auto-reply"
SURVEY_SALT = "analytics.csat"


class LinkError(Exception):
    def __init__(self, message: str, status: int) -> None:
        super().__init__(message)
        self.status = status


INVALID = "This link is not valid. Please use the link from your e-mail as it is."


def load_signed(
    token: str, *, salt: str, max_age: timedelta, expired: str = "This link has expired.", invalid: str = INVALID
) -> dict[str, Any]:
    """The payload of a signed customer link, or ``LinkError``: tampered or foreign 400, expired 410."""
    try:
        payload = signing.loads(token, salt=salt, max_age=max_age)
    except signing.SignatureExpired:
        raise LinkError(expired, 410) from None
    except signing.BadSignature:
        raise LinkError(invalid, 400) from None
    if not isinstance(payload, dict):
        raise LinkError(invalid, 400)
    return payload


def status_token(ticket: Any) -> str:
    return signing.dumps({"t": ticket.pk, "c": ticket.customer_id}, salt=STATUS_SALT, compress=True)


def status_url(ticket: Any) -> str:
    return settings.PUBLIC_BASE_URL + reverse("ticket-status", args=[status_token(ticket)])


def ticket_for_status(token: str) -> Any:
    from tickets.models import Ticket

    payload = load_signed(token, salt=STATUS_SALT, max_age=timedelta(days=settings.STATUS_LINK_MAX_AGE_DAYS))
    ticket = Ticket.objects.select_related("customer").filter(pk=payload.get("t") or 0, customer_id=payload.get("c") or 0).first()
    if ticket is None:
        raise LinkError("This request no longer exists.", 404)
    return ticket


def auto_reply_token(ticket: Any, article_id: int) -> str:
    return signing.dumps({"t": ticket.pk, "a": article_id}, salt=AUTO_REPLY_SALT, compress=True)


def auto_reply_url(ticket: Any, article_id: int, answer: str) -> str:
    return settings.PUBLIC_BASE_URL + reverse("auto-reply-answer", args=[auto_reply_token(ticket, article_id), answer])


def auto_reply_payload(token: str) -> dict[str, Any]:
    return load_signed(token, salt=AUTO_REPLY_SALT, max_age=timedelta(hours=settings.AUTO_REPLY_ANSWER_HOURS))


def survey_token(survey: Any) -> str:
    """The signed token of a satisfaction survey (the survey's id and nonce)."""
    return signing.dumps({"s": survey.pk, "n": survey.nonce}, salt=SURVEY_SALT, compress=True)


def survey_url(survey: Any, rating: int | None = None) -> str:
    url = settings.PUBLIC_BASE_URL + reverse("csat-survey", args=[survey_token(survey)])
    return f"{url}?rating={rating}" if rating else url
