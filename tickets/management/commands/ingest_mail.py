"""``manage.py ingest_mail --maildir PATH | --mbox PATH | --imap URL``: turn inbound mail into tickets."""

from __future__ import annotations

import imaplib
import logging
from collections import Counter
from pathlib import Path
from typing import Any

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError, CommandParser

from foundation.errors import ApplicationError
from tickets import mail

logger = logging.getLogger(__name__)


class Command(BaseCommand):
    help = "Read inbound e-mail from a Maildir, an mbox file or an IMAP folder; new mail becomes tickets or threaded replies."

    def add_arguments(self, parser: CommandParser) -> None:
        source = parser.add_mutually_exclusive_group(required=True)
        source.add_argument("--maildir", type=Path)
        source.add_argument("--mbox", type=Path)
        source.add_argument("--imap", help='imaps://user:password@host/INBOX (put secrets in the environment: --imap "$IMAP_URL")')

    def handle(self, *args: Any, **options: Any) -> None:
        counts: Counter[str] = Counter()
        if options["maildir"]:
            path = options["maildir"]
            if not (path / "new").is_dir() and not (path / "cur").is_dir():
                raise CommandError(f"{path} is not a Maildir (no new/ or cur/ folder).")
            for raw, key in mail.read_maildir(path):
                if self._ingest(raw, counts):
                    mail.mark_maildir_seen(path, key)
        elif options["mbox"]:
            if not options["mbox"].is_file():
                raise CommandError(f"{options['mbox']} is not a file.")
            for raw, _key in mail.read_mbox(options["mbox"]):
                self._ingest(raw, counts)
        else:
            try:
                source = mail.ImapSource(options["imap"])
                with source:
                    for raw, uid in source.messages():
                        if self._ingest(raw, counts):
                            source.mark_seen(uid)
            except mail.MailError as exc:
                raise CommandError(str(exc)) from None
            except (OSError, imaplib.IMAP4.error) as exc:
                raise CommandError(f"IMAP connection failed: {exc}") from None
        summary = ", ".join(f"{key} {value}" for key, value in sorted(counts.items())) or "no new mail"
        self.stdout.write(summary)
        unstored = counts["failed"] + counts["refused"]
        if unstored:
            raise CommandError(f"{unstored} message(s) could not be stored; they stay unread for the next run or a person to look at.")

    def _ingest(self, raw: bytes, counts: Counter[str]) -> bool:
        """True when the message is safely stored (or was already), so it may be marked read."""
        try:
            result = mail.receive_email(raw)
        except (mail.MailError, ValidationError, ApplicationError) as exc:
            # Not stored, so not marked read: the message stays in the mailbox for a person to look at.
            counts["refused"] += 1
            self.stderr.write(f"refused (left unread): {exc}")
            return False
        except Exception:
            counts["failed"] += 1
            logger.exception("could not store an inbound message")
            return False
        counts["created" if result.created else "threaded" if result.threaded else "duplicate"] += 1
        return True
