"""What an import reads from any source, before anything is written: one ``SourceTicket`` per source row.

Pure Python (no Django), so every reader can be tested on its own and a bad row is found
before the database is touched. A reader yields either a ``SourceTicket`` or a ``RowError``
(the row's line and the reason); the importer never sees a half-parsed row.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field, fields
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

STATUSES = ("new", "triaged", "assigned", "in_progress", "pending_customer", "resolved", "closed")
CHANNELS = ("email", "phone", "chat", "social", "web_form", "api")


class RowProblem(ValueError):
    """A row cannot be imported; the message names the field and says why."""


@dataclass(frozen=True)
class SourceComment:
    external_id: str
    author_kind: str  # "customer" or "agent"
    body: str
    created_at: datetime
    is_internal: bool = False
    author_email: str = ""
    author_name: str = ""


@dataclass(frozen=True)
class SourceStatusChange:
    """A status change the source recorded (Zendesk's ticket audits), in our status words."""

    created_at: datetime
    old: str
    new: str


@dataclass
class SourceTicket:
    line: int
    external_id: str
    subject: str
    body: str
    requester_email: str
    created_at: datetime
    status: str
    requester_name: str = ""
    organization: str = ""
    priority: int | None = None  # None: the source has no priority (the default applies, no label)
    category: str = ""
    team: str = ""
    assignee_email: str = ""
    assignee_name: str = ""
    tags: list[str] = field(default_factory=list)
    channel: str = "email"
    assigned_at: datetime | None = None  # None: the source does not say (the ticket counts as assigned at creation)
    first_response_at: datetime | None = None
    resolved_at: datetime | None = None
    closed_at: datetime | None = None
    csat: int | None = None
    csat_comment: str = ""
    agent_replies: int | None = None  # None: counted from the comments
    comments: list[SourceComment] = field(default_factory=list)
    status_changes: list[SourceStatusChange] = field(default_factory=list)

    def pending_periods(self) -> list[tuple[datetime, datetime]]:
        """When the ticket waited on the customer: from each change to pending until the next change away from it
        (a ticket still pending at resolution waited until then; one still pending and open is not counted)."""
        periods, since = [], None
        for change in self.status_changes:
            if since is None and change.new == "pending_customer":
                since = change.created_at
            elif since is not None and change.new != "pending_customer":
                periods.append((since, change.created_at))
                since = None
        if since is not None and self.resolved_at is not None:
            periods.append((since, max(since, self.resolved_at)))
        return periods

    def fingerprint(self) -> str:
        """SHA-256 of everything imported (not the line): a changed source row has a new one."""
        # Field by field, not dataclasses.asdict (its deep copy was a fifth of an import's time).
        values = [getattr(self, name) for name in _FINGERPRINTED]
        values.append([[getattr(c, name) for name in _COMMENT_FIELDS] for c in self.comments])
        return hashlib.sha256(json.dumps(values, default=str).encode()).hexdigest()


_FINGERPRINTED = [f.name for f in fields(SourceTicket) if f.name not in ("line", "comments")]
_COMMENT_FIELDS = [f.name for f in fields(SourceComment)]


@dataclass(frozen=True)
class RowError:
    line: int
    external_id: str
    reason: str


def parse_time(value: object, *, field: str, zone: str = "UTC", fmt: str = "") -> datetime | None:
    """An aware instant from ISO 8601 (``Z`` accepted), a Unix timestamp or ``fmt``; naive times are in ``zone``."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, tz=UTC)
    text = str(value).strip()
    try:
        if fmt:
            moment = datetime.strptime(text, fmt)
        elif text.isdigit():
            return datetime.fromtimestamp(int(text), tz=UTC)
        else:
            moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except (ValueError, OverflowError, OSError):
        raise RowProblem(f"{field}: {text[:40]!r} is not a date and time") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=ZoneInfo(zone))
    return moment.astimezone(UTC)


def check_email(value: object, *, field: str, required: bool = True) -> str:
    text = str(value or "").strip().lower()
    if not text:
        if required:
            raise RowProblem(f"{field}: missing")
        return ""
    local, _, domain = text.rpartition("@")
    if not local or "." not in domain or " " in text or len(text) > 254:
        raise RowProblem(f"{field}: {text[:60]!r} is not an e-mail address")
    return text


def clean(value: object, *, max_length: int | None = None) -> str:
    text = str(value if value is not None else "").replace("\x00", "").strip()
    return text[:max_length] if max_length else text


def check_ticket(ticket: SourceTicket) -> SourceTicket:
    """Invariants every reader's output must meet (times in order, a closed ticket has its times)."""
    if not ticket.external_id:
        raise RowProblem("id: missing")
    if not ticket.subject and not ticket.body:
        raise RowProblem("subject: missing (and no body)")
    if ticket.status not in STATUSES:
        raise RowProblem(f"status: unknown {ticket.status!r}")
    if ticket.priority is not None and ticket.priority not in (0, 1, 2, 3):
        raise RowProblem(f"priority: {ticket.priority!r} is not P0–P3")
    if ticket.channel not in CHANNELS:
        raise RowProblem(f"channel: unknown {ticket.channel!r}")
    if ticket.csat is not None and not 1 <= ticket.csat <= 5:
        raise RowProblem(f"csat: {ticket.csat!r} is not 1–5")
    if ticket.status in ("resolved", "closed"):
        if ticket.resolved_at is None:
            ticket.resolved_at = ticket.closed_at or max((c.created_at for c in ticket.comments), default=None)
        if ticket.resolved_at is None:
            raise RowProblem("resolved_at: a resolved or closed ticket needs its resolution time")
        if ticket.status == "closed" and ticket.closed_at is None:
            ticket.closed_at = ticket.resolved_at
    else:
        ticket.resolved_at = ticket.closed_at = None
    if ticket.assigned_at is not None and not ticket.assignee_email:
        ticket.assigned_at = None
    ticket.status_changes = sorted(ticket.status_changes, key=lambda c: c.created_at)
    if ticket.status_changes and ticket.status_changes[0].created_at < ticket.created_at:
        raise RowProblem(f"audits: a status change at {ticket.status_changes[0].created_at.isoformat()} is before created_at")
    if ticket.first_response_at is None:
        ticket.first_response_at = next(
            (c.created_at for c in sorted(ticket.comments, key=lambda c: c.created_at) if c.author_kind == "agent" and not c.is_internal),
            None,
        )
    for name in ("assigned_at", "first_response_at", "resolved_at", "closed_at"):
        moment = getattr(ticket, name)
        if moment is not None and moment < ticket.created_at:
            raise RowProblem(f"{name}: {moment.isoformat()} is before created_at {ticket.created_at.isoformat()}")
    if ticket.resolved_at and ticket.closed_at and ticket.closed_at < ticket.resolved_at:
        raise RowProblem("closed_at: before resolved_at")
    if not ticket.subject:
        ticket.subject = ticket.body.splitlines()[0][:300]
    ticket.subject = ticket.subject[:300]
    return ticket
