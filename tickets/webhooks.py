"""Signed inbound webhooks: HMAC-SHA256 over "<timestamp>.<raw body>", fresh within a window.

A sender computes ``hex(hmac_sha256(secret, f"{timestamp}.".encode() + body))`` and sends
it as ``X-Escalation-Signature: sha256=<hex>`` with ``X-Escalation-Timestamp: <unix
seconds>`` (``foundation.signing``: outgoing webhooks are signed the same way). Old
timestamps are refused (replay), and each event ``id`` is stored once.
"""

from __future__ import annotations

import hmac

from foundation.parsing import MAX_DATABASE_ID, parse_int
from foundation.signing import SIGNATURE_HEADER, TIMESTAMP_HEADER, sign

__all__ = ["SIGNATURE_HEADER", "TIMESTAMP_HEADER", "WebhookRejected", "sign", "verify"]


class WebhookRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def verify(*, secret: str, timestamp: str | None, signature: str | None, body: bytes, now: float, max_age_seconds: int) -> None:
    """Raise ``WebhookRejected`` unless the signature is valid and the timestamp fresh."""
    if not timestamp or not signature:
        raise WebhookRejected(401, f"Missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header.")
    sent_at = parse_int(timestamp, minimum=0, maximum=MAX_DATABASE_ID)
    if sent_at is None:
        raise WebhookRejected(400, f"{TIMESTAMP_HEADER} must be Unix seconds.")
    # Compare first, so a forged request learns nothing about the clock check.
    if not hmac.compare_digest(sign(secret, timestamp, body), signature.strip()):
        raise WebhookRejected(401, "Signature does not match.")
    if abs(now - sent_at) > max_age_seconds:
        raise WebhookRejected(401, f"Timestamp is more than {max_age_seconds} seconds away from now; possible replay.")
