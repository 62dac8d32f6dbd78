"""Polled IMAP mailboxes: every minute (beat ``tickets.poll_mailboxes``) each active mailbox is read once.

1. ``sync_environment_mailboxes`` gives every ``IMAP_URL`` / ``IMAP_URLS`` entry a ``Mailbox``
   row (its password stays in the environment), so its state shows in admin and ``/healthz``.
2. ``poll_mailbox`` takes the mailbox's lease (a compare-and-set on ``lease_until``): one
   poller per mailbox however many workers run; a killed worker's lease runs out after
   ``IMAP_LEASE_SECONDS`` and the next tick takes over.
3. For each unseen message (``BODY.PEEK``, so reading never marks it): a ``MailboxReceipt``
   for (mailbox, UIDVALIDITY, UID) means it is stored already; otherwise the message is stored
   (``receive_email``: a ticket or a threaded reply, duplicates by Message-ID are a no-op) and
   its receipt is written in the same transaction. Only then is it marked seen. A worker killed
   between the commit and the mark leaves a receipt, so the next poll only marks it.
4. A message that cannot be stored stays unseen (for the next poll or a person) and its reason
   is the mailbox's ``last_error``; so is a connection or login failure.
"""

from __future__ import annotations

import imaplib
import logging
import os
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from foundation.errors import ApplicationError
from foundation.health import register_check
from tickets import mail
from tickets.models import Mailbox, MailboxReceipt

logger = logging.getLogger(__name__)


@dataclass
class PollResult:
    mailbox: str
    stored: int = 0
    already_stored: int = 0
    refused: int = 0
    busy: bool = False
    errors: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "mailbox": self.mailbox, "stored": self.stored, "already_stored": self.already_stored,
            "refused": self.refused, "busy": self.busy, "errors": self.errors,
        }  # fmt: skip


def _environment_sources() -> dict[str, mail.ImapSource]:
    sources: dict[str, mail.ImapSource] = {}
    for index, url in enumerate(settings.IMAP_URLS):
        try:
            source = mail.ImapSource(url, timeout=settings.IMAP_TIMEOUT_SECONDS)
        except mail.MailError:
            logger.error("IMAP_URLS entry %s is not an IMAP URL; ignored", index + 1)
            continue
        sources[f"env: {source.user}@{source.host}/{source.folder}"[:100]] = source
    return sources


def sync_environment_mailboxes() -> list[Mailbox]:
    """One ``Mailbox`` row per ``IMAP_URLS`` entry (created or updated; rows of removed entries switched off)."""
    sources = _environment_sources()
    rows = []
    for name, source in sources.items():
        row, _ = Mailbox.objects.update_or_create(
            name=name,
            defaults={
                "host": source.host, "port": source.port, "security": source.security, "username": source.user,
                "folder": source.folder, "from_environment": True, "is_active": True, "password_env": "",
            },
        )  # fmt: skip
        rows.append(row)
    Mailbox.objects.filter(from_environment=True, is_active=True).exclude(name__in=list(sources)).update(is_active=False)
    return rows


def source_for(mailbox: Mailbox) -> mail.ImapSource:
    """How to reach the mailbox: its fields, and the password from the environment."""
    if mailbox.from_environment:
        source = _environment_sources().get(mailbox.name)
        if source is None:
            raise mail.MailError("This mailbox is no longer in IMAP_URLS.")
        return source
    password = os.environ.get(mailbox.password_env, "") if mailbox.password_env else ""
    if mailbox.password_env and not password:
        raise mail.MailError(f"The environment variable {mailbox.password_env} (the mailbox's password) is not set.")
    return mail.ImapSource(
        host=mailbox.host, port=mailbox.port or 0, security=mailbox.security, user=mailbox.username, password=password,
        folder=mailbox.folder or "INBOX", timeout=settings.IMAP_TIMEOUT_SECONDS,
    )  # fmt: skip


def _take_lease(mailbox_id: int) -> bool:
    now = timezone.now()
    free = Q(lease_until__isnull=True) | Q(lease_until__lt=now)
    lease = now + timedelta(seconds=settings.IMAP_LEASE_SECONDS)
    return Mailbox.objects.filter(free, pk=mailbox_id, is_active=True).update(lease_until=lease, last_polled_at=now) == 1


def _renew_lease(mailbox_id: int) -> None:
    Mailbox.objects.filter(pk=mailbox_id).update(lease_until=timezone.now() + timedelta(seconds=settings.IMAP_LEASE_SECONDS))


def _store(mailbox: Mailbox, uid_validity: int, uid: int, raw: bytes) -> None:
    """The message and its receipt in one transaction: stored once, whatever happens after."""
    with transaction.atomic():
        result = mail.receive_email(raw)
        MailboxReceipt.objects.create(
            mailbox=mailbox,
            uid_validity=uid_validity,
            uid=uid,
            message_id=(result.interaction.external_message_id if result.interaction else "")[:255],
            ticket=result.ticket,
        )
        Mailbox.objects.filter(pk=mailbox.pk).update(stored_count=F("stored_count") + 1)


def poll_mailbox(*, mailbox_id: int) -> PollResult:
    """Read one mailbox's unseen messages, store each once, then mark it seen (see the module's steps).

    Returns what happened; the mailbox row records the time and the last error for admin and
    ``/healthz``. Never raises for a bad message or an unreachable server.
    """
    mailbox = Mailbox.objects.filter(pk=mailbox_id).first()
    if mailbox is None:
        return PollResult(mailbox=str(mailbox_id), busy=True)
    result = PollResult(mailbox=mailbox.name)
    if not _take_lease(mailbox.pk):
        result.busy = True
        return result
    try:
        source = source_for(mailbox)
        with source:
            for uid_bytes in source.unseen_uids()[: settings.IMAP_BATCH]:
                _renew_lease(mailbox.pk)
                uid = int(uid_bytes)
                if MailboxReceipt.objects.filter(mailbox=mailbox, uid_validity=source.uid_validity, uid=uid).exists():
                    source.mark_seen(uid_bytes)  # stored by a poller that stopped before marking it
                    result.already_stored += 1
                    continue
                raw = source.fetch(uid_bytes)
                if raw is None:
                    continue  # expunged meanwhile
                try:
                    _store(mailbox, source.uid_validity, uid, raw)
                except (mail.MailError, ValidationError, ApplicationError) as exc:
                    result.refused += 1
                    result.errors.append(f"message UID {uid} left unread: {_reason(exc)}")
                    continue
                except Exception as exc:
                    logger.exception("could not store message UID %s of mailbox %s", uid, mailbox.name)
                    result.refused += 1
                    result.errors.append(f"message UID {uid} left unread: {type(exc).__name__}: {exc}")
                    continue
                source.mark_seen(uid_bytes)
                result.stored += 1
    except (OSError, imaplib.IMAP4.error, mail.MailError) as exc:
        result.errors.append(f"IMAP: {type(exc).__name__}: {exc}")
    finally:
        _finish(mailbox.pk, result)
    return result


def _reason(exc: Exception) -> str:
    if isinstance(exc, ValidationError):
        return "; ".join(exc.messages)
    return str(exc)


def _finish(mailbox_id: int, result: PollResult) -> None:
    now = timezone.now()
    changes: dict[str, Any] = {"lease_until": None}
    if result.errors:
        changes.update(last_error="\n".join(result.errors)[:4000], last_error_at=now)
        logger.warning("mailbox %s: %s", result.mailbox, "; ".join(result.errors)[:1000])
    else:
        changes.update(last_error="", last_success_at=now)
    Mailbox.objects.filter(pk=mailbox_id).update(**changes)


def poll_all() -> list[PollResult]:
    """Beat's minute: the environment's mailboxes synced, then every active mailbox polled once."""
    sync_environment_mailboxes()
    ids = list(Mailbox.objects.filter(is_active=True).order_by("pk").values_list("pk", flat=True))
    return [poll_mailbox(mailbox_id=pk) for pk in ids]


def health() -> dict[str, Any]:
    """The ``/healthz`` entry: every active mailbox's last poll and last error (informs, does not decide)."""
    rows = list(Mailbox.objects.filter(is_active=True).order_by("name").values("name", "last_polled_at", "last_success_at", "last_error"))
    stale_after = timedelta(seconds=max(3 * settings.IMAP_POLL_SECONDS, 180))
    now = timezone.now()
    report = []
    for row in rows:
        entry: dict[str, Any] = {
            "name": row["name"],
            "ok": not row["last_error"] and row["last_success_at"] is not None and now - row["last_success_at"] <= stale_after,
            "last_polled_at": row["last_polled_at"].isoformat() if row["last_polled_at"] else None,
            "last_success_at": row["last_success_at"].isoformat() if row["last_success_at"] else None,
        }
        if row["last_error"]:
            entry["error"] = row["last_error"][:300]
        elif not entry["ok"]:
            entry["error"] = "not polled successfully recently" if row["last_success_at"] else "never polled"
        report.append(entry)
    return {"ok": all(entry["ok"] for entry in report), "mailboxes": report}


def register_health_check() -> None:
    register_check("mailboxes", health)
