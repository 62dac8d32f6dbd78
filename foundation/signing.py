"""HMAC-SHA256 over "<timestamp>.<body>": the one signature scheme of inbound and outgoing webhooks.

``hex(hmac_sha256(secret, f"{timestamp}.".encode() + body))`` travels as
``X-Escalation-Signature: sha256=<hex>`` beside ``X-Escalation-Timestamp: <unix seconds>``.
"""

from __future__ import annotations

import hashlib
import hmac

SIGNATURE_HEADER = "X-Escalation-Signature"
TIMESTAMP_HEADER = "X-Escalation-Timestamp"


def sign(secret: str, timestamp: str, body: bytes) -> str:
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"sha256={digest}"
