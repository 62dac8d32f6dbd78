"""The sign-in e-mail, in the customer's language (``templates/mail/portal_link*.txt``, ``foundation.customer_mail``)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from foundation.customer_mail import render_mail
from foundation.models import OutboxMessage
from tickets.selectors import customer_language
from tickets.services import clean_header_text

LINK_REF = "portal.signinlink"  # the outbox's pointer to the link it carries


def sign_in_message(*, link: Any, customer: Any, url: str) -> dict[str, Any]:
    """The finished sign-in e-mail, as ``foundation.outbox.queue`` arguments, in the language of the customer's latest ticket."""
    mail = render_mail(
        "portal_link",
        language=customer_language(customer.pk),
        context={"name": customer.name or customer.email, "url": url, "valid_minutes": settings.PORTAL_LINK_MAX_AGE_MINUTES},
    )
    return {
        "kind": OutboxMessage.Kind.PORTAL_LINK,
        "dedupe_key": f"portal_link:{link.pk}",
        "recipient": customer.email,
        "subject": clean_header_text(mail.subject, limit=998),
        "body": mail.body,
        "headers": mail.headers,
        "ref_kind": LINK_REF,
        "ref_id": link.pk,
    }
