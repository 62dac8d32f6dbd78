"""Signed reply addresses: ``support+<ticket>-<signature>@example.com`` in the desk's outgoing mail.

A customer's answer to such an address proves that they received our mail about that
ticket (only this desk can compute the signature), so it threads onto the ticket even when
their mail client drops ``In-Reply-To``. A forged or altered address proves nothing.
"""

from __future__ import annotations

import email.utils
import hmac
import re
from collections.abc import Iterable

from django.conf import settings
from django.utils.crypto import salted_hmac

_SALT = "tickets.reply-address"
_TAG = re.compile(r"^[^+@\s]+\+(\d{1,18})-([0-9a-f]{16})@", re.IGNORECASE)


def _signature(ticket_id: int) -> str:
    # Lower-case hex: mail systems may change the case of the local part.
    return salted_hmac(_SALT, str(ticket_id)).hexdigest()[:16]


def reply_address(ticket_id: int) -> str:
    """The desk's address with this ticket's signed tag, e.g. ``support+42-0f1e…@example.com``."""
    _, address = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)
    local, _, domain = address.partition("@")
    return f"{local}+{ticket_id}-{_signature(ticket_id)}@{domain}"


def tickets_in(addresses: Iterable[str]) -> list[int]:
    """Ticket ids of the correctly signed reply addresses among these (To, Cc, Delivered-To …)."""
    found: list[int] = []
    for address in addresses:
        match = _TAG.match(address.strip())
        if match and hmac.compare_digest(match.group(2).lower(), _signature(int(match.group(1)))):
            ticket_id = int(match.group(1))
            if ticket_id not in found:
                found.append(ticket_id)
    return found


def is_reply_address(address: str) -> bool:
    """Whether this looks like one of the desk's tagged reply addresses (signed or not): never a person."""
    _, own = email.utils.parseaddr(settings.DEFAULT_FROM_EMAIL)
    local, _, domain = own.lower().partition("@")
    match = _TAG.match(address.strip())
    return bool(match) and address.strip().lower().startswith(f"{local}+") and address.strip().lower().endswith(f"@{domain}")
