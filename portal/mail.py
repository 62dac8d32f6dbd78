"""The sign-in e-mail's words, in one place (so they can be translated with the other customer mail)."""

from __future__ import annotations

from typing import Any

from django.conf import settings

from foundation.models import OutboxMessage
from tickets.services import clean_header_text

LINK_REF = "portal.signinlink"  # the outbox's pointer to the link it carries


def sign_in_message(*, link: Any, customer: Any, url: str) -> dict[str, Any]:
    """The finished sign-in e-mail, as ``foundation.outbox.queue`` arguments."""
    minutes = settings.PORTAL_LINK_MAX_AGE_MINUTES
    lines = [
        f"Hello {customer.name or customer.email},",
        "",
        "here is your link to sign in to your support requests:",
        "",
        f"  {url}",
        "",
        f"It works once, for {minutes} minutes. If you did not ask for it, you can ignore this e-mail;",
        "nobody can sign in without it.",
    ]
    return {
        "kind": OutboxMessage.Kind.PORTAL_LINK,
        "dedupe_key": f"portal_link:{link.pk}",
        "recipient": customer.email,
        "subject": clean_header_text("Your sign-in link for your support requests", limit=998),
        "body": "\n".join(lines),
        "ref_kind": LINK_REF,
        "ref_id": link.pk,
    }
