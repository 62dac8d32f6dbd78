"""Sign-in by e-mailed link and the customer sessions it opens.

1. ``request_link`` (the sign-in form): for a known address, a ``SignInLink`` row and its
   e-mail in the outbox, in one transaction; an unknown address gets nothing, and the page
   says the same either way. Rate limits per address and per client are the view's.
2. ``link_for_token`` checks a link: signed with its own salt (tampered or another kind of
   link: 400), younger than ``PORTAL_LINK_MAX_AGE_MINUTES`` (410), not used yet (409).
   Opening it records nothing (mail scanners fetch links); the page asks to confirm.
3. ``sign_in`` (the confirm POST) marks the link used under a row lock, so two clicks open
   one session, and creates a ``CustomerSession``; the browser keeps a random key whose
   SHA-256 is the row's, so the table alone cannot sign anyone in.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from foundation import outbox
from portal.mail import sign_in_message
from portal.models import CustomerSession, SignInLink
from tickets.links import LinkError, load_signed
from tickets.models import Customer

SALT = "portal.sign-in"
INVALID = "This sign-in link is not valid. Please use the link from your e-mail as it is, or ask for a new one."
EXPIRED = "This sign-in link has expired. Please ask for a new one."
USED = "This sign-in link has already been used. Please ask for a new one."


def normalize_email(value: Any) -> str:
    """The address as customers are stored (trimmed, lower case), or ``ValidationError`` naming the field."""
    email = (value if isinstance(value, str) else "").strip().lower()
    try:
        if len(email) > 254:
            raise ValidationError("too long")
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": "Enter a valid e-mail address."}) from None
    return email


def token_for(link: SignInLink) -> str:
    return signing.dumps({"l": link.pk, "n": link.nonce}, salt=SALT, compress=True)


def link_url(link: SignInLink) -> str:
    return settings.PUBLIC_BASE_URL + reverse("portal-sign-in-link", args=[token_for(link)])


def request_link(*, email: str) -> SignInLink | None:
    """Queue a sign-in e-mail for a known customer (``None``, and nothing sent, for an unknown address)."""
    email = normalize_email(email)
    customer = Customer.objects.filter(email=email).first()
    if customer is None:
        return None
    with transaction.atomic():
        link = SignInLink.objects.create(customer=customer, nonce=secrets.token_urlsafe(24))
        outbox.queue(**sign_in_message(link=link, customer=customer, url=link_url(link)))
    return link


def link_for_token(token: str) -> SignInLink:
    """The unused link a token names, or ``LinkError`` (tampered 400, expired 410, used 409)."""
    payload = load_signed(
        token, salt=SALT, max_age=timedelta(minutes=settings.PORTAL_LINK_MAX_AGE_MINUTES), expired=EXPIRED, invalid=INVALID
    )
    link_id, nonce = payload.get("l"), payload.get("n")
    if not isinstance(link_id, int) or not isinstance(nonce, str):
        raise LinkError(INVALID, 400)
    link = SignInLink.objects.select_related("customer").filter(pk=link_id, nonce=nonce).first()
    if link is None:
        raise LinkError(INVALID, 400)
    if link.used_at is not None:
        raise LinkError(USED, 409)
    return link


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def sign_in(*, token: str) -> tuple[CustomerSession, str]:
    """Use the link once and open a customer session; returns the session and the key for the cookie."""
    with transaction.atomic():
        link = link_for_token(token)
        link = SignInLink.objects.select_for_update().select_related("customer").get(pk=link.pk)
        if link.used_at is not None:  # used by a parallel request since the check above
            raise LinkError(USED, 409)
        now = timezone.now()
        link.used_at = now
        link.save(update_fields=["used_at"])
        key = secrets.token_urlsafe(32)
        session = CustomerSession.objects.create(
            customer=link.customer, key_hash=_hash(key), created_at=now, expires_at=now + timedelta(hours=settings.PORTAL_SESSION_HOURS)
        )
    return session, key


def session_for_key(key: str | None) -> CustomerSession | None:
    """The live session this cookie value opens (with its customer), or ``None``."""
    if not key or len(key) > 100:
        return None
    return (
        CustomerSession.objects.select_related("customer")
        .filter(key_hash=_hash(key), ended_at__isnull=True, expires_at__gt=timezone.now())
        .first()
    )


def sign_out(*, session: CustomerSession) -> CustomerSession:
    """End the session (the cookie stops working at once, on every device that copied it)."""
    with transaction.atomic():
        CustomerSession.objects.filter(pk=session.pk, ended_at__isnull=True).update(ended_at=timezone.now())
    session.refresh_from_db()
    return session
