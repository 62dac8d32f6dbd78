"""Fixed-window counters in the cache, shared by the web form limit and the login lockout.

A cache outage must not take intake or sign-in down with it: every helper fails open
(logs and behaves as if nothing had been counted).
"""

from __future__ import annotations

import logging

from django.core.cache import cache

logger = logging.getLogger(__name__)


def hit(key: str, *, window: int) -> int:
    """Count one event for ``key`` in a window of ``window`` seconds; return the count so far."""
    try:
        cache.add(key, 0, timeout=window)
        try:
            return int(cache.incr(key))
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=window)
            return 1
    except Exception:  # noqa: BLE001 - cache down: count nothing rather than refuse everyone
        logger.warning("rate-limit cache unavailable; not counting %s", key.split(":", 1)[0], exc_info=True)
        return 0


def count(key: str) -> int:
    try:
        return int(cache.get(key) or 0)
    except Exception:  # noqa: BLE001 - see hit()
        logger.warning("rate-limit cache unavailable; not checking %s", key.split(":", 1)[0], exc_info=True)
        return 0


def reset(key: str) -> None:
    try:
        cache.delete(key)
    except Exception:  # noqa: BLE001 - see hit()
        logger.warning("rate-limit cache unavailable; could not reset %s", key.split(":", 1)[0], exc_info=True)


def mark(key: str, *, seconds: int) -> None:
    """Set a flag (a lock) that expires by itself."""
    try:
        cache.set(key, 1, timeout=seconds)
    except Exception:  # noqa: BLE001 - see hit()
        logger.warning("rate-limit cache unavailable; could not set %s", key.split(":", 1)[0], exc_info=True)
