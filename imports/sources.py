"""Readers: a source (a file or a database) → ``SourceTicket`` rows or ``RowError``s, one per source row.

- ``read_csv``: a generic CSV, one ticket per row, with a mapping file naming the columns.
- ``read_zendesk``: Zendesk's ticket JSON (the REST API's ticket objects with their
  ``comments``, ``metric_set`` (solved and initially-assigned times), ``audits`` (status changes,
  so pending periods) and ``satisfaction_rating``, users / groups / organizations sideloaded)
  as one JSON document or as JSON Lines (Zendesk's own JSON export).
- ``read_freshdesk``: Freshdesk's ticket JSON (``include=requester,stats,conversations``;
  agents, groups and companies sideloaded), a document or JSON Lines.
- ``read_helpdesk``: a django-helpdesk database through a DB-API connection
  (``helpdesk_ticket``, ``helpdesk_followup``, ``helpdesk_queue``, ``auth_user``).

Pure Python (no Django). Each row is checked here (``records.check_ticket``), so the importer
only writes complete tickets.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from imports.records import (
    RowError,
    RowProblem,
    SourceComment,
    SourceStatusChange,
    SourceTicket,
    check_email,
    check_ticket,
    clean,
    parse_time,
)

Row = SourceTicket | RowError

FIELDS = (
    "id", "subject", "body", "requester_email", "requester_name", "organization", "created_at", "first_response_at",
    "resolved_at", "closed_at", "status", "priority", "category", "team", "assignee_email", "assignee_name", "tags",
    "channel", "csat", "csat_comment", "agent_replies",
)  # fmt: skip

STATUS_WORDS = {
    "new": "new", "open": "triaged", "triaged": "triaged", "assigned": "assigned", "in progress": "in_progress",
    "in_progress": "in_progress", "on hold": "in_progress", "hold": "in_progress", "pending": "pending_customer",
    "pending_customer": "pending_customer", "waiting on customer": "pending_customer", "solved": "resolved",
    "resolved": "resolved", "closed": "closed", "done": "closed",
}  # fmt: skip
PRIORITY_WORDS = {
    "p0": 0, "0": 0, "urgent": 0, "critical": 0, "p1": 1, "1": 1, "high": 1, "p2": 2, "2": 2, "normal": 2,
    "medium": 2, "p3": 3, "3": 3, "low": 3, "very low": 3,
}  # fmt: skip
CHANNEL_WORDS = {
    "email": "email", "e-mail": "email", "mail": "email", "phone": "phone", "voice": "phone", "chat": "chat",
    "social": "social", "twitter": "social", "facebook": "social", "web": "web_form", "web_form": "web_form",
    "portal": "web_form", "form": "web_form", "api": "api",
}  # fmt: skip


class SourceError(ValueError):
    """The source as a whole cannot be read (not one row): a bad mapping, a file that is not JSON."""


def _word(table: dict[str, Any], value: object, *, field: str, extra: dict[str, Any] | None = None) -> Any:
    text = clean(value)
    for candidates in (extra or {}, table):
        for key in (text, text.lower()):
            if key in candidates:
                return candidates[key]
    raise RowProblem(f"{field}: unknown value {text[:40]!r}")


def _working_status(status: str, assignee: str) -> str:
    """An agent holds an assigned or in-progress ticket; without an assignee it waits in the queue."""
    if status in ("assigned", "in_progress") and not assignee:
        return "triaged"
    if status == "triaged" and assignee:
        return "assigned"
    return status


def _row(line: int, external_id: object, build: Callable[[], SourceTicket]) -> Row:
    try:
        return check_ticket(build())
    except RowProblem as problem:
        return RowError(line=line, external_id=clean(external_id), reason=str(problem))


# --- generic CSV ---------------------------------------------------------------------------------


def load_mapping(text: str | None) -> dict[str, Any]:
    """The CSV mapping file (JSON): ``columns`` (our field → the CSV header), optional ``values``
    (``status`` / ``priority`` / ``channel`` word → ours), ``time_zone``, ``time_format``, ``tags_separator``."""
    if not text:
        return {}
    try:
        mapping = json.loads(text)
    except json.JSONDecodeError as error:
        raise SourceError(f"mapping: not JSON ({error.msg} at line {error.lineno})") from None
    if not isinstance(mapping, dict):
        raise SourceError("mapping: must be a JSON object")
    unknown = set(mapping.get("columns", {})) - set(FIELDS)
    if unknown:
        raise SourceError(f"mapping: unknown field(s) {', '.join(sorted(unknown))}; fields are {', '.join(FIELDS)}")
    return mapping


def read_csv(text: str, *, mapping: dict[str, Any] | None = None) -> Iterator[Row]:
    mapping = mapping or {}
    columns = {name: mapping.get("columns", {}).get(name, name) for name in FIELDS}
    values = mapping.get("values", {})
    zone, fmt = mapping.get("time_zone", "UTC"), mapping.get("time_format", "")
    separator = mapping.get("tags_separator", ",")
    reader = csv.DictReader(io.StringIO(text))
    headers = set(reader.fieldnames or [])
    missing = [columns[name] for name in ("id", "requester_email", "created_at") if columns[name] not in headers]
    if missing:
        raise SourceError(f"CSV: missing column(s) {', '.join(missing)} (see the mapping file's 'columns')")
    while True:
        line = reader.line_num + 1
        try:
            record = next(reader)
        except StopIteration:
            return
        except csv.Error as error:
            yield RowError(line=line, external_id="", reason=f"CSV: {error}")
            return

        def get(name: str, record: dict[str, Any] = record) -> str:
            return clean(record.get(columns[name]))

        def build(get: Callable[[str], str] = get, line: int = line) -> SourceTicket:
            def when(name: str) -> datetime | None:
                return parse_time(get(name), field=name, zone=zone, fmt=fmt)

            assignee = check_email(get("assignee_email"), field="assignee_email", required=False)
            status = _word(STATUS_WORDS, get("status") or "closed", field="status", extra=values.get("status"))
            created = when("created_at")
            if created is None:
                raise RowProblem("created_at: missing")
            csat = get("csat")
            replies = get("agent_replies")
            if csat and not csat.isdigit():
                raise RowProblem(f"csat: {csat[:20]!r} is not a whole number 1–5")
            if replies and not replies.isdigit():
                raise RowProblem(f"agent_replies: {replies[:20]!r} is not a whole number")
            return SourceTicket(
                line=line,
                external_id=get("id"),
                subject=get("subject"),
                body=get("body"),
                requester_email=check_email(get("requester_email"), field="requester_email"),
                requester_name=get("requester_name")[:200],
                organization=get("organization")[:200],
                created_at=created,
                first_response_at=when("first_response_at"),
                resolved_at=when("resolved_at"),
                closed_at=when("closed_at"),
                status=_working_status(status, assignee),
                priority=_word(PRIORITY_WORDS, get("priority"), field="priority", extra=values.get("priority"))
                if get("priority")
                else None,
                category=get("category")[:120],
                team=get("team")[:120],
                assignee_email=assignee,
                assignee_name=get("assignee_name")[:150],
                tags=[t.strip()[:64] for t in get("tags").split(separator) if t.strip()],
                channel=_word(CHANNEL_WORDS, get("channel") or "email", field="channel", extra=values.get("channel")),
                csat=int(csat) if csat else None,
                csat_comment=get("csat_comment"),
                agent_replies=int(replies) if replies else None,
            )

        yield _row(line, record.get(columns["id"]), build)


# --- JSON documents and JSON Lines ---------------------------------------------------------------------


def json_tickets(text: str, *, key: str = "tickets") -> tuple[list[tuple[int, Any]], dict[str, Any]]:
    """The ticket objects with the line each starts on, and the document's other keys (sideloads).

    Accepts a JSON document (an array of tickets, or an object with ``key`` and sideloaded
    lists) or JSON Lines (one ticket per line; a line holding only sideload lists, such as
    ``{"users": [...]}``, adds to them). A line that is not JSON is reported by the caller.
    """
    stripped = text.lstrip()
    decoder = json.JSONDecoder()
    if stripped.startswith("["):
        return _array_items(text, text.index("["), decoder), {}
    try:
        document = json.loads(text)
    except json.JSONDecodeError:
        document = None
    if isinstance(document, dict) and isinstance(document.get(key), list):
        start = text.index("[", _key_position(text, key, decoder))
        return _array_items(text, start, decoder), {k: v for k, v in document.items() if k != key}
    items: list[tuple[int, Any]] = []
    sideloads: dict[str, Any] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        try:
            value = json.loads(line)
        except json.JSONDecodeError as error:
            items.append((number, RowProblem(f"JSON: {error.msg} at column {error.colno}")))
            continue
        if isinstance(value, dict) and "id" not in value and value and all(isinstance(v, list) for v in value.values()):
            for name, rows in value.items():
                sideloads.setdefault(name, []).extend(rows)
        else:
            items.append((number, value))
    return items, sideloads


def _key_position(text: str, key: str, decoder: json.JSONDecoder) -> int:
    # The top-level key: scan the object's members with the decoder (a string value could contain the key's text).
    position = text.index("{") + 1
    while True:
        while text[position] in " \t\r\n,":
            position += 1
        name, position = decoder.raw_decode(text, position)
        while text[position] in " \t\r\n:":
            position += 1
        if name == key:
            return position
        _, position = decoder.raw_decode(text, position)


def _array_items(text: str, start: int, decoder: json.JSONDecoder) -> list[tuple[int, Any]]:
    items: list[tuple[int, Any]] = []
    position, line = start + 1, text.count("\n", 0, start) + 1
    while True:
        while position < len(text) and text[position] in " \t\r\n,":
            if text[position] == "\n":
                line += 1
            position += 1
        if position >= len(text) or text[position] == "]":
            return items
        value, end = decoder.raw_decode(text, position)
        items.append((line, value))
        line += text.count("\n", position, end)
        position = end


def _by_id(rows: object) -> dict[Any, dict[str, Any]]:
    return {row.get("id"): row for row in rows if isinstance(row, dict)} if isinstance(rows, list) else {}


def _parse_json(text: str, *, key: str = "tickets") -> tuple[list[tuple[int, Any]], dict[str, Any]]:
    try:
        return json_tickets(text, key=key)
    except (json.JSONDecodeError, ValueError, IndexError) as error:
        raise SourceError(f"not a JSON export: {error}") from None


# --- Zendesk -------------------------------------------------------------------------------------

ZENDESK_STATUS = {"new": "triaged", "open": "triaged", "pending": "pending_customer", "hold": "in_progress",
                  "solved": "resolved", "closed": "closed"}  # fmt: skip
ZENDESK_PRIORITY = {"urgent": 0, "high": 1, "normal": 2, "low": 3}
ZENDESK_CHANNEL = {"email": "email", "web": "web_form", "api": "api", "chat": "chat", "native_messaging": "chat",
                   "voice": "phone", "twitter": "social", "facebook": "social", "mobile_sdk": "api"}  # fmt: skip
ZENDESK_SCORE = {"good": 5, "bad": 1}


def _category(ticket: dict[str, Any], field: object) -> str:
    """The category: a top-level key (``type``) or a custom field id (``custom_fields`` / ``fields``)."""
    if field is None or field == "":
        return ""
    if isinstance(field, str) and not field.isdigit():
        return clean(ticket.get(field), max_length=120)
    for custom in ticket.get("custom_fields") or ticket.get("fields") or []:
        if isinstance(custom, dict) and str(custom.get("id")) == str(field):
            return clean(custom.get("value"), max_length=120)
    return ""


def _zendesk_status_changes(ticket: dict[str, Any], assignee: str) -> list[SourceStatusChange]:
    """Status changes from the ticket's ``audits`` (Zendesk's Ticket Audits API: ``Change`` events of ``status``)."""
    changes = []
    for audit in ticket.get("audits") or []:
        if not isinstance(audit, dict):
            raise RowProblem("audits: not an audit object")
        for event in audit.get("events") or []:
            if not isinstance(event, dict) or event.get("type") != "Change" or event.get("field_name") != "status":
                continue
            at = parse_time(event.get("created_at") or audit.get("created_at"), field=f"audits[{audit.get('id')}].created_at")
            if at is None:
                raise RowProblem(f"audits[{audit.get('id')}].created_at: missing")
            old = _word(ZENDESK_STATUS, event.get("previous_value") or "new", field="audits.previous_value")
            new = _word(ZENDESK_STATUS, event.get("value") or "", field="audits.value")
            changes.append(SourceStatusChange(created_at=at, old=_working_status(old, assignee), new=_working_status(new, assignee)))
    return changes


def read_zendesk(text: str, *, mapping: dict[str, Any] | None = None) -> Iterator[Row]:
    mapping = mapping or {}
    items, sideloads = _parse_json(text)
    users, groups, orgs = _by_id(sideloads.get("users")), _by_id(sideloads.get("groups")), _by_id(sideloads.get("organizations"))
    for line, ticket in items:
        if isinstance(ticket, RowProblem):
            yield RowError(line=line, external_id="", reason=str(ticket))
            continue
        if not isinstance(ticket, dict):
            yield RowError(line=line, external_id="", reason="not a ticket object")
            continue
        for user in ticket.get("users") or []:  # a JSON Lines export may carry its people on each line
            users.setdefault(user.get("id"), user)

        def build(ticket: dict[str, Any] = ticket, line: int = line) -> SourceTicket:
            requester = users.get(ticket.get("requester_id")) or ticket.get("requester") or {}
            assignee = users.get(ticket.get("assignee_id")) or ticket.get("assignee") or {}
            comments = []
            for comment in ticket.get("comments") or []:
                author = users.get(comment.get("author_id")) or {}
                is_customer = comment.get("author_id") == ticket.get("requester_id") or author.get("role") == "end-user"
                at = parse_time(comment.get("created_at"), field=f"comments[{comment.get('id')}].created_at")
                if at is None:
                    raise RowProblem(f"comments[{comment.get('id')}].created_at: missing")
                comments.append(
                    SourceComment(
                        external_id=clean(comment.get("id")),
                        author_kind="customer" if is_customer else "agent",
                        body=clean(comment.get("body") or comment.get("plain_body")),
                        created_at=at,
                        is_internal=comment.get("public") is False,
                        author_email=clean(author.get("email")).lower(),
                        author_name=clean(author.get("name"), max_length=150),
                    )
                )
            metrics = ticket.get("metric_set") or {}
            status = _word(ZENDESK_STATUS, ticket.get("status") or "", field="status")
            assignee_email = check_email(assignee.get("email"), field="assignee.email", required=False)
            rating = ticket.get("satisfaction_rating") or {}
            solved = parse_time(metrics.get("solved_at"), field="metric_set.solved_at")
            if solved is None and status in ("resolved", "closed"):
                solved = parse_time(ticket.get("updated_at"), field="updated_at")
            created = parse_time(ticket.get("created_at"), field="created_at")
            if created is None:
                raise RowProblem("created_at: missing")
            org = orgs.get(ticket.get("organization_id")) or {}
            priority = ticket.get("priority")
            return SourceTicket(
                line=line,
                external_id=clean(ticket.get("id")),
                subject=clean(ticket.get("subject") or ticket.get("raw_subject")),
                body=clean(ticket.get("description")) or (comments[0].body if comments else ""),
                requester_email=check_email(requester.get("email"), field="requester.email"),
                requester_name=clean(requester.get("name"), max_length=200),
                organization=clean(org.get("name"), max_length=200),
                created_at=created,
                assigned_at=parse_time(
                    metrics.get("initially_assigned_at") or metrics.get("assigned_at"), field="metric_set.initially_assigned_at"
                ),
                resolved_at=solved,
                closed_at=solved if status == "closed" else None,
                status=_working_status(status, assignee_email),
                priority=_word(ZENDESK_PRIORITY, priority, field="priority") if priority else None,
                category=_category(ticket, mapping.get("category_field")),
                team=clean((groups.get(ticket.get("group_id")) or {}).get("name"), max_length=120),
                assignee_email=assignee_email,
                assignee_name=clean(assignee.get("name"), max_length=150),
                tags=[clean(t, max_length=64) for t in ticket.get("tags") or []],
                channel=ZENDESK_CHANNEL.get(clean((ticket.get("via") or {}).get("channel")), "email"),
                csat=ZENDESK_SCORE.get(clean(rating.get("score"))),
                csat_comment=clean(rating.get("comment")),
                comments=comments,
                status_changes=_zendesk_status_changes(ticket, assignee_email),
            )

        yield _row(line, ticket.get("id"), build)


# --- Freshdesk -----------------------------------------------------------------------------------

FRESHDESK_STATUS = {2: "triaged", 3: "pending_customer", 4: "resolved", 5: "closed", 6: "pending_customer", 7: "in_progress"}
FRESHDESK_PRIORITY = {4: 0, 3: 1, 2: 2, 1: 3}
FRESHDESK_SOURCE = {1: "email", 2: "web_form", 3: "phone", 5: "social", 6: "social", 7: "chat", 9: "web_form", 10: "email"}
FRESHDESK_RATING = {103: 5, 102: 5, 101: 4, 100: 3, -101: 2, -102: 1, -103: 1}


def _int(value: object, *, field: str) -> int | None:
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, int | str) or not str(value).lstrip("-").isdigit():
        raise RowProblem(f"{field}: {str(value)[:20]!r} is not a whole number")
    return int(value)


def read_freshdesk(text: str, *, mapping: dict[str, Any] | None = None) -> Iterator[Row]:
    mapping = mapping or {}
    items, sideloads = _parse_json(text)
    agents, groups = _by_id(sideloads.get("agents")), _by_id(sideloads.get("groups"))
    contacts, companies = _by_id(sideloads.get("contacts")), _by_id(sideloads.get("companies"))
    category_field = mapping.get("category_field", "type")
    for line, ticket in items:
        if isinstance(ticket, RowProblem):
            yield RowError(line=line, external_id="", reason=str(ticket))
            continue
        if not isinstance(ticket, dict):
            yield RowError(line=line, external_id="", reason="not a ticket object")
            continue

        def person(agent_id: object) -> dict[str, Any]:
            agent = agents.get(agent_id) or {}
            return agent.get("contact") or agent

        def build(ticket: dict[str, Any] = ticket, line: int = line) -> SourceTicket:
            requester = ticket.get("requester") or contacts.get(ticket.get("requester_id")) or {}
            assignee = person(ticket.get("responder_id"))
            stats = ticket.get("stats") or {}
            comments = []
            for conversation in ticket.get("conversations") or []:
                cid = conversation.get("id")
                at = parse_time(conversation.get("created_at"), field=f"conversations[{cid}].created_at")
                if at is None:
                    raise RowProblem(f"conversations[{cid}].created_at: missing")
                incoming = bool(conversation.get("incoming"))
                author = {} if incoming else person(conversation.get("user_id"))
                comments.append(
                    SourceComment(
                        external_id=clean(cid),
                        author_kind="customer" if incoming else "agent",
                        body=clean(conversation.get("body_text") or conversation.get("body")),
                        created_at=at,
                        is_internal=bool(conversation.get("private")),
                        author_email=clean(author.get("email") or conversation.get("from_email")).lower(),
                        author_name=clean(author.get("name"), max_length=150),
                    )
                )
            status_code = _int(ticket.get("status"), field="status")
            if status_code not in FRESHDESK_STATUS:
                raise RowProblem(f"status: unknown {ticket.get('status')!r}")
            status = FRESHDESK_STATUS[status_code]
            priority_code = _int(ticket.get("priority"), field="priority")
            if priority_code is not None and priority_code not in FRESHDESK_PRIORITY:
                raise RowProblem(f"priority: unknown {priority_code!r}")
            assignee_email = check_email(assignee.get("email"), field="responder.email", required=False)
            created = parse_time(ticket.get("created_at"), field="created_at")
            if created is None:
                raise RowProblem("created_at: missing")
            rating = ticket.get("satisfaction_rating") or {}
            score = _int((rating.get("ratings") or {}).get("default_question"), field="satisfaction_rating")
            company = ticket.get("company") or companies.get(ticket.get("company_id")) or {}
            return SourceTicket(
                line=line,
                external_id=clean(ticket.get("id")),
                subject=clean(ticket.get("subject")),
                body=clean(ticket.get("description_text") or ticket.get("description")),
                requester_email=check_email(requester.get("email"), field="requester.email"),
                requester_name=clean(requester.get("name"), max_length=200),
                organization=clean(company.get("name"), max_length=200),
                created_at=created,
                first_response_at=parse_time(stats.get("first_responded_at"), field="stats.first_responded_at"),
                resolved_at=parse_time(stats.get("resolved_at"), field="stats.resolved_at"),
                closed_at=parse_time(stats.get("closed_at"), field="stats.closed_at"),
                status=_working_status(status, assignee_email),
                priority=FRESHDESK_PRIORITY[priority_code] if priority_code is not None else None,
                category=clean(ticket.get(category_field), max_length=120) if category_field else "",
                team=clean((groups.get(ticket.get("group_id")) or {}).get("name"), max_length=120),
                assignee_email=assignee_email,
                assignee_name=clean(assignee.get("name"), max_length=150),
                tags=[clean(t, max_length=64) for t in ticket.get("tags") or []],
                channel=FRESHDESK_SOURCE.get(_int(ticket.get("source"), field="source") or 1, "email"),
                csat=FRESHDESK_RATING.get(score) if score is not None else None,
                csat_comment=clean(rating.get("feedback")),
                comments=comments,
            )

        yield _row(line, ticket.get("id"), build)


# --- django-helpdesk -----------------------------------------------------------------------------

HELPDESK_STATUS = {1: "triaged", 2: "triaged", 3: "resolved", 4: "closed", 5: "closed"}  # open, reopened, resolved, closed, duplicate
HELPDESK_PRIORITY = {1: 0, 2: 1, 3: 2, 4: 3, 5: 3}  # critical, high, normal, low, very low

_HELPDESK_TICKETS = """
SELECT t.id, t.title, t.description, t.submitter_email, t.created, t.status, t.priority, t.on_hold,
       q.title, u.email, u.first_name, u.last_name
FROM helpdesk_ticket t JOIN helpdesk_queue q ON q.id = t.queue_id LEFT JOIN auth_user u ON u.id = t.assigned_to_id
ORDER BY t.id"""
_HELPDESK_FOLLOWUPS = """
SELECT f.id, f.ticket_id, f.date, f.comment, f.public, f.new_status, u.email, u.first_name, u.last_name
FROM helpdesk_followup f LEFT JOIN auth_user u ON u.id = f.user_id
ORDER BY f.ticket_id, f.date, f.id"""


def read_helpdesk(connection: Any) -> Iterator[Row]:
    """Tickets of a django-helpdesk database; "line" is the ticket's id there (a database has no lines)."""
    cursor = connection.cursor()
    cursor.execute(_HELPDESK_FOLLOWUPS)
    followups: dict[int, list[tuple[Any, ...]]] = {}
    for row in cursor.fetchall():
        followups.setdefault(row[1], []).append(row)
    cursor.execute(_HELPDESK_TICKETS)
    for tid, title, description, submitter, created, status, priority, on_hold, queue, email, first, last in cursor.fetchall():

        def build(tid: int = tid, title: str = title, description: str = description, submitter: str = submitter,
                  created: Any = created, status: int = status, priority: int = priority, on_hold: bool = on_hold,
                  queue: str = queue, email: str = email, first: str = first, last: str = last) -> SourceTicket:  # fmt: skip
            if status not in HELPDESK_STATUS:
                raise RowProblem(f"status: unknown {status!r}")
            if priority not in HELPDESK_PRIORITY:
                raise RowProblem(f"priority: unknown {priority!r}")
            comments, resolved, closed = [], None, None
            for fid, _, date, comment, public, new_status, f_email, f_first, f_last in followups.get(tid, []):
                at = parse_time(date if isinstance(date, str) else date.isoformat(), field=f"followup[{fid}].date")
                assert at is not None
                if new_status == 3:
                    resolved = at
                if new_status in (4, 5):
                    closed = at
                if not clean(comment):
                    continue  # a status change without words
                comments.append(
                    SourceComment(
                        external_id=str(fid),
                        author_kind="customer" if f_email is None else "agent",
                        body=clean(comment),
                        created_at=at,
                        is_internal=not public,
                        author_email=clean(f_email).lower(),
                        author_name=clean(f"{f_first or ''} {f_last or ''}", max_length=150),
                    )
                )
            ours = HELPDESK_STATUS[status]
            if on_hold and ours == "triaged":
                ours = "pending_customer"
            moment = parse_time(created if isinstance(created, str) else created.isoformat(), field="created")
            assert moment is not None
            assignee = check_email(email, field="assigned_to.email", required=False)
            return SourceTicket(
                line=tid,
                external_id=str(tid),
                subject=clean(title),
                body=clean(description),
                requester_email=check_email(submitter, field="submitter_email"),
                created_at=moment,
                resolved_at=resolved or closed,
                closed_at=closed if ours == "closed" else None,
                status=_working_status(ours, assignee),
                priority=HELPDESK_PRIORITY[priority],
                team=clean(queue, max_length=120),
                assignee_email=assignee,
                assignee_name=clean(f"{first or ''} {last or ''}", max_length=150),
                comments=comments,
            )

        yield _row(tid, tid, build)
