"""Who else has a ticket open right now, who is replying, and who said "I'm on it".

Nothing here is a database row: the open workspace sends a heartbeat every 10 s (and when the
agent types in the reply box) and each beat refreshes one entry in the shared cache (Redis in
production) under ``presence:ticket:<id>``, a small dict ``{user id: {name, state, at, draft}}``
kept for ``PRESENCE_SECONDS``. Each entry also carries its own timestamp, and readers drop
entries older than ``PRESENCE_SECONDS`` however long the cache keeps the key, so a closed tab
disappears within 30 s. Two agents beating in the same instant may overwrite each other's entry
for one beat; the next beat restores it (presence is advisory, never a lock).

A soft claim (``claim:ticket:<id>``) is one agent's "I'm on it" for ``CLAIM_SECONDS``, renewed by
that agent's heartbeats while they are replying. Anyone may take it over: it informs, it does not
forbid.

The queue asks for a whole page of tickets with one ``get_many``.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.core.cache import cache
from django.utils import timezone

PRESENCE_SECONDS = 30
CLAIM_SECONDS = 600
DRAFT_PREVIEW_CHARS = 200
VIEWING, REPLYING = "viewing", "replying"
STATES = (VIEWING, REPLYING)


@dataclass(frozen=True)
class Presence:
    user_id: int
    name: str
    state: str
    at: datetime
    draft: str = ""


@dataclass(frozen=True)
class Claim:
    user_id: int
    name: str
    at: datetime
    until: datetime


@dataclass(frozen=True)
class TicketPresence:
    """What a queue row shows: the other agents with the ticket open, and the claim."""

    others: list[Presence]
    claim: Claim | None


def presence_key(ticket_id: int) -> str:
    return f"presence:ticket:{ticket_id}"


def claim_key(ticket_id: int) -> str:
    return f"claim:ticket:{ticket_id}"


def display_name(user: Any) -> str:
    return str(user.get_full_name() or user.get_username())


def _fresh(entries: Any, now: datetime) -> dict[str, dict[str, Any]]:
    if not isinstance(entries, dict):
        return {}
    cutoff = now.timestamp() - PRESENCE_SECONDS
    return {uid: e for uid, e in entries.items() if isinstance(e, dict) and e.get("at", 0) > cutoff}


def _presences(entries: Any, *, now: datetime, exclude_user_id: int | None) -> list[Presence]:
    found = [
        Presence(
            user_id=int(uid),
            name=e["name"],
            state=e["state"],
            at=datetime.fromtimestamp(e["at"], tz=timezone.get_current_timezone()),
            draft=e.get("draft", ""),
        )
        for uid, e in _fresh(entries, now).items()
        if int(uid) != exclude_user_id
    ]
    return sorted(found, key=lambda p: (p.state != REPLYING, p.name))


def _claim(raw: Any, now: datetime) -> Claim | None:
    if not isinstance(raw, dict) or raw.get("until", 0) <= now.timestamp():
        return None
    tz = timezone.get_current_timezone()
    return Claim(
        user_id=raw["user_id"],
        name=raw["name"],
        at=datetime.fromtimestamp(raw["at"], tz=tz),
        until=datetime.fromtimestamp(raw["until"], tz=tz),
    )


def beat(*, ticket_id: int, user: Any, state: str, draft: str = "") -> None:
    """Record that ``user`` has the ticket open (``viewing``) or is typing a reply (``replying``)."""
    if state not in STATES:
        raise ValueError(f"state must be one of {', '.join(STATES)}")
    now = timezone.now()
    key = presence_key(ticket_id)
    entries = _fresh(cache.get(key), now)
    entries[str(user.pk)] = {
        "name": display_name(user),
        "state": state,
        "at": now.timestamp(),
        "draft": draft.strip()[:DRAFT_PREVIEW_CHARS] if state == REPLYING else "",
    }
    cache.set(key, entries, timeout=PRESENCE_SECONDS)
    if state == REPLYING:
        current = _claim(cache.get(claim_key(ticket_id)), now)
        if current is not None and current.user_id == user.pk:
            claim(ticket_id=ticket_id, user=user)  # renewed while they are replying


def others_on(*, ticket_id: int, user: Any) -> list[Presence]:
    """The other agents with the ticket open now, those replying first."""
    return _presences(cache.get(presence_key(ticket_id)), now=timezone.now(), exclude_user_id=user.pk)


def claim(*, ticket_id: int, user: Any) -> Claim:
    now = timezone.now()
    raw = {"user_id": user.pk, "name": display_name(user), "at": now.timestamp(), "until": now.timestamp() + CLAIM_SECONDS}
    previous = _claim(cache.get(claim_key(ticket_id)), now)
    if previous is not None and previous.user_id == user.pk:
        raw["at"] = previous.at.timestamp()  # renewing keeps "since"
    cache.set(claim_key(ticket_id), raw, timeout=CLAIM_SECONDS)
    result = _claim(raw, now)
    assert result is not None
    return result


def release(*, ticket_id: int, user: Any) -> bool:
    """Drop the claim if it is ``user``'s; another agent's claim stays."""
    current = current_claim(ticket_id=ticket_id)
    if current is None or current.user_id != user.pk:
        return False
    cache.delete(claim_key(ticket_id))
    return True


def current_claim(*, ticket_id: int) -> Claim | None:
    return _claim(cache.get(claim_key(ticket_id)), timezone.now())


def for_tickets(ticket_ids: list[int], *, user: Any) -> dict[int, TicketPresence]:
    """Presence and claim of every ticket on a queue page: one cache round trip, no query."""
    if not ticket_ids:
        return {}
    keys = [presence_key(pk) for pk in ticket_ids] + [claim_key(pk) for pk in ticket_ids]
    found = cache.get_many(keys)
    now = timezone.now()
    return {
        pk: TicketPresence(
            others=_presences(found.get(presence_key(pk)), now=now, exclude_user_id=user.pk),
            claim=_claim(found.get(claim_key(pk)), now),
        )
        for pk in ticket_ids
    }
