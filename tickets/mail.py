"""Inbound e-mail: parse RFC 822 messages and read them from IMAP, Maildir or mbox.

Parsing never throws away a message for a bad charset: undecodable bytes become U+FFFD
and the message is still stored. Only a message with no usable sender is refused, with
a clear reason (there is nobody to answer).
"""

from __future__ import annotations

import contextlib
import email
import email.policy
import email.utils
import hashlib
import imaplib
import logging
import mailbox
import re
import ssl
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from email.message import Message
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import quote, unquote, urlparse

from django.conf import settings
from django.db.models import Q
from django.utils import timezone

from tickets import reply_address
from tickets.models import AuthorKind, Channel, Customer, Interaction
from tickets.services import RATE_LIMITED, IncomingAttachment, IntakeResult, receive_contact

logger = logging.getLogger(__name__)


class MailError(ValueError):
    """A message that cannot become a ticket; the text says why."""


@dataclass
class ParsedMail:
    message_id: str
    from_email: str
    from_name: str
    subject: str
    body: str
    in_reply_to: list[str] = field(default_factory=list)
    attachments: list[IncomingAttachment] = field(default_factory=list)
    recipients: list[str] = field(default_factory=list)  # To, Cc and the relay's delivery headers
    sender_verified: bool = False  # the From domain passed DMARC at a relay we trust
    cc: list[str] = field(default_factory=list)  # the Cc header only: the ticket's followers
    automatic_reason: str = ""  # why this is a robot's mail (``automatic_reason``), or ""


class _TextExtractor(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style"):
            self._skip += 1
        elif tag in ("br", "p", "div", "li", "tr"):
            self.parts.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style") and self._skip:
            self._skip -= 1

    def handle_data(self, data: str) -> None:
        if not self._skip:
            self.parts.append(data)


def html_to_text(html: str) -> str:
    parser = _TextExtractor()
    parser.feed(html)
    return re.sub(r"\n{3,}", "\n\n", "".join(parser.parts)).strip()


def _decode_part(part: Message) -> str:
    payload = part.get_payload(decode=True)
    if payload is None:
        return ""
    if not isinstance(payload, bytes):
        return str(payload)
    charset = part.get_content_charset() or "utf-8"
    try:
        return payload.decode(charset, errors="replace")
    except LookupError:  # an unknown charset name: keep the bytes readable anyway
        return payload.decode("utf-8", errors="replace")


def _message_ids(value: str | None) -> list[str]:
    return re.findall(r"<[^<>\s]+>", value or "")


def _header(message: Message, name: str) -> str:
    try:
        value = message.get(name)
    except Exception:  # noqa: BLE001 - a malformed header is treated as absent
        return ""
    return str(value or "").strip()


def parse_message(raw: bytes) -> ParsedMail:
    """Turn raw RFC 822 bytes into what intake needs. Raises ``MailError`` with a reason."""
    if not raw or not raw.strip():
        raise MailError("The message is empty.")
    message = email.message_from_bytes(raw, policy=email.policy.default)
    if not message.keys():
        raise MailError("The message has no headers; expected an RFC 822 message.")
    # Identity is the From address, never Reply-To (which anyone may set to a victim's address).
    name, address = email.utils.parseaddr(_header(message, "From"))
    if not address or "@" not in address:
        raise MailError("The message has no valid From address.")
    subject = " ".join(_header(message, "Subject").split()) or "(no subject)"
    # Without a Message-ID, a digest of the bytes still makes re-reading the same mail a no-op.
    message_id = (_message_ids(_header(message, "Message-ID")) or [f"<sha256.{hashlib.sha256(raw).hexdigest()}@escalation>"])[0]
    in_reply_to = _message_ids(_header(message, "In-Reply-To")) + _message_ids(_header(message, "References"))

    text_parts: list[str] = []
    html_parts: list[str] = []
    attachments: list[IncomingAttachment] = []
    parts = message.walk() if message.is_multipart() else iter([message])
    for part in parts:
        if part.is_multipart():
            continue
        disposition = (part.get_content_disposition() or "").lower()
        content_type = part.get_content_type()
        if disposition == "attachment" or (disposition == "inline" and part.get_filename()) or not content_type.startswith("text/"):
            content = part.get_payload(decode=True)
            if isinstance(content, bytes):
                attachments.append(
                    IncomingAttachment(filename=part.get_filename() or "attachment", content_type=content_type, content=content)
                )
            continue
        if content_type == "text/html":
            html_parts.append(_decode_part(part))
        else:
            text_parts.append(_decode_part(part))
    body = "\n\n".join(p.strip() for p in text_parts if p.strip()) or html_to_text("\n".join(html_parts))
    if not body.strip():
        body = "(empty message)" if not attachments else "(attachments only)"
    from_email = address.lower()
    return ParsedMail(
        message_id=message_id,
        from_email=from_email,
        from_name=name,
        subject=subject,
        body=body.replace("\x00", ""),
        in_reply_to=in_reply_to,
        attachments=attachments,
        recipients=_recipients(message),
        sender_verified=dmarc_passed(message, from_email.rpartition("@")[2], settings.MAIL_TRUSTED_AUTHSERV_IDS),
        cc=[address.lower() for _, address in email.utils.getaddresses(_all_headers(message, "Cc")) if "@" in address][:50],
        automatic_reason=automatic_reason(message, from_email),
    )


_ROBOT_SENDERS = frozenset({"mailer-daemon", "postmaster"})
_BULK_PRECEDENCE = frozenset({"bulk", "junk", "list"})


def automatic_reason(message: Message, from_email: str) -> str:
    """Why this mail was sent by a machine, or "" for a person's mail (RFC 3834 and common practice).

    ``Auto-Submitted`` other than ``no`` (out-of-office, vacation, our own kind of mail), a
    ``Precedence`` of bulk/junk/list, ``X-Autoreply`` / ``X-Autorespond``, a mailer-daemon or
    postmaster sender, or an empty ``Return-Path`` (a bounce). Such mail is stored but never
    answered automatically: two robots answering each other never stop.
    """
    submitted = _header(message, "Auto-Submitted").split(";", 1)[0].strip().lower()
    if submitted and submitted != "no":
        return "auto-submitted"
    if _header(message, "Precedence").lower() in _BULK_PRECEDENCE:
        return "precedence"
    if _header(message, "X-Autoreply") or _header(message, "X-Autorespond"):
        return "x-autoreply"
    if from_email.partition("@")[0] in _ROBOT_SENDERS:
        return "mailer-daemon"
    if message.get("Return-Path") is not None and _header(message, "Return-Path") in ("<>", ""):
        return "bounce"
    return ""


def _all_headers(message: Message, name: str) -> list[str]:
    try:
        return [str(value) for value in message.get_all(name) or []]
    except Exception:  # noqa: BLE001 - a malformed header is treated as absent
        return []


def _recipients(message: Message) -> list[str]:
    values = [value for name in ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To") for value in _all_headers(message, name)]
    return [address.lower() for _, address in email.utils.getaddresses(values) if "@" in address][:100]


def dmarc_passed(message: Message, from_domain: str, trusted_authserv_ids: frozenset[str] | set[str]) -> bool:
    """Whether a relay we trust reports ``dmarc=pass`` for the From domain (RFC 8601 Authentication-Results).

    Anyone can write an Authentication-Results header, so only those naming one of
    ``MAIL_TRUSTED_AUTHSERV_IDS`` count: the receiving relay must strip incoming headers that
    claim its id (RFC 8601 §5), as Postfix, Exim, Gmail and Microsoft 365 do. With no trusted
    id configured nothing is trusted.
    """
    if not trusted_authserv_ids or not from_domain:
        return False
    for value in _all_headers(message, "Authentication-Results"):
        authserv, _, results = value.partition(";")
        words = authserv.split()
        if not words or words[0].lower() not in trusted_authserv_ids:
            continue
        for clause in results.split(";"):
            clause = " ".join(clause.split()).lower()
            if clause.startswith("dmarc=pass"):
                domain = re.search(r"header\.from=([^\s;()]+)", clause)
                if domain and domain.group(1).strip('"') == from_domain.lower():
                    return True
    return False


def read_maildir(path: Path) -> Iterator[tuple[bytes, object]]:
    """Unread messages of a Maildir, as (raw bytes, key); mark them read with ``mark_maildir_seen``."""
    box = mailbox.Maildir(path, create=False)
    for key in list(box.keys()):
        msg = box.get_message(key)
        if "S" in msg.get_flags():
            continue
        yield box.get_bytes(key), key


def mark_maildir_seen(path: Path, key: object) -> None:
    box = mailbox.Maildir(path, create=False)
    msg = box.get_message(str(key))
    msg.set_subdir("cur")
    msg.add_flag("S")
    box[str(key)] = msg


def read_mbox(path: Path) -> Iterator[tuple[bytes, object]]:
    """Every message of an mbox file; duplicates across runs are dropped by Message-ID."""
    box = mailbox.mbox(path, create=False)
    for key in box.iterkeys():
        yield box.get_bytes(key), key


@dataclass
class ImapSource:
    """``imap://user:password@host[:port]/FOLDER`` (``imaps://``, ``imap+starttls://``): unseen messages, marked seen after storing."""

    url: str = ""
    host: str = ""
    port: int = 0
    security: str = "imaps"  # imaps / starttls / imap
    user: str = ""
    password: str = field(default="", repr=False)
    folder: str = "INBOX"
    timeout: float = 30.0

    def __post_init__(self) -> None:
        if self.url:
            parts = urlparse(self.url)
            schemes = {"imaps": "imaps", "imap": "imap", "imap+starttls": "starttls"}
            if parts.scheme not in schemes or not parts.hostname:
                raise MailError("IMAP source must look like imaps://user:password@host/INBOX")
            self.security = schemes[parts.scheme]
            self.host = parts.hostname
            self.port = parts.port or 0
            self.user = unquote(parts.username or "")
            self.password = unquote(parts.password or "")
            self.folder = unquote(parts.path.lstrip("/")) or "INBOX"
        self.secure = self.security == "imaps"
        self.port = self.port or (993 if self.secure else 143)
        self.client: imaplib.IMAP4 | None = None
        self.uid_validity = 0

    @property
    def redacted_url(self) -> str:
        """The source without its password, fit for logs and names."""
        scheme = {"imaps": "imaps", "imap": "imap", "starttls": "imap+starttls"}[self.security]
        return f"{scheme}://{quote(self.user, safe='@')}@{self.host}:{self.port}/{quote(self.folder)}"

    def __enter__(self) -> ImapSource:
        if self.secure:
            self.client = imaplib.IMAP4_SSL(self.host, self.port, timeout=self.timeout)
        else:
            self.client = imaplib.IMAP4(self.host, self.port, timeout=self.timeout)
            if self.security == "starttls":
                self.client.starttls(ssl.create_default_context())
        self.client.login(self.user, self.password)
        status, _ = self.client.select(_quoted_folder(self.folder))
        if status != "OK":
            raise MailError(f"IMAP folder {self.folder!r} cannot be opened: {status}")
        _, validity = self.client.response("UIDVALIDITY")
        with contextlib.suppress(TypeError, ValueError, IndexError):
            self.uid_validity = int(validity[0] or 0)
        return self

    def __exit__(self, *exc: object) -> None:
        if self.client is not None:
            with contextlib.suppress(Exception):  # the session is over either way
                self.client.logout()

    def unseen_uids(self) -> list[bytes]:
        assert self.client is not None
        status, data = self.client.uid("search", None, "UNSEEN")  # type: ignore[arg-type]
        if status != "OK":
            raise MailError(f"IMAP search failed: {status}")
        return (data[0] or b"").split()

    def fetch(self, uid: bytes) -> bytes | None:
        """The message's bytes without marking it seen (``BODY.PEEK``); None when it is gone."""
        assert self.client is not None
        status, fetched = self.client.uid("fetch", uid, "(BODY.PEEK[])")  # type: ignore[arg-type]
        if status == "OK" and fetched and isinstance(fetched[0], tuple):
            return bytes(fetched[0][1])
        return None

    def messages(self) -> Iterator[tuple[bytes, object]]:
        for uid in self.unseen_uids():
            raw = self.fetch(uid)
            if raw is not None:
                yield raw, uid

    def mark_seen(self, uid: object) -> None:
        assert self.client is not None
        status, _ = self.client.uid("store", uid, "+FLAGS", "(\\Seen)")  # type: ignore[arg-type]
        if status != "OK":
            raise MailError(f"IMAP could not mark message {uid!r} seen: {status}")


def _quoted_folder(folder: str) -> str:
    return folder if folder.isalnum() else '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


SENDER_WINDOW = timedelta(seconds=60)


def sender_over_limit(from_email: str) -> bool:
    """Whether this sender already sent ``MAIL_SENDER_RATE_PER_MINUTE`` messages in the last minute (a robot we cannot recognise).

    Counted from the stored messages themselves (one indexed query), not a cache counter: it
    follows the database's clock and transactions, and every process sees the same count.
    """
    customer_id = Customer.objects.filter(email=from_email).values_list("pk", flat=True).first()
    if customer_id is None:
        return False
    recent = Interaction.objects.filter(author_kind=AuthorKind.CUSTOMER, created_at__gte=timezone.now() - SENDER_WINDOW).filter(
        Q(follower_id=customer_id) | Q(follower__isnull=True, ticket__customer_id=customer_id)
    )
    return recent.count() >= settings.MAIL_SENDER_RATE_PER_MINUTE


def receive_email(raw: bytes) -> IntakeResult:
    """Store one inbound e-mail: a new ticket, a threaded reply, or nothing for a duplicate.

    A robot's mail, and any mail of a sender past the per-minute limit, is stored all the
    same (a person's mail is never dropped) but marked, so no automatic mail answers it.
    """
    parsed = parse_message(raw)
    reason = parsed.automatic_reason
    if not reason and sender_over_limit(parsed.from_email):
        reason = RATE_LIMITED
    return receive_contact(
        channel=Channel.EMAIL,
        customer_email=parsed.from_email,
        customer_name=parsed.from_name,
        subject=parsed.subject,
        body=parsed.body,
        external_message_id=parsed.message_id,
        in_reply_to=parsed.in_reply_to,
        reply_address_tickets=reply_address.tickets_in(parsed.recipients),
        sender_verified=parsed.sender_verified,
        attachments=parsed.attachments,
        max_attachment_bytes=settings.MAX_ATTACHMENT_BYTES,
        cc=parsed.cc,
        automatic_reason=reason,
    )
