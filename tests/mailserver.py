"""A real SMTP server (aiosmtpd) on a loopback port for tests, and the inbox it fills."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from email import message_from_bytes
from typing import Any

from aiosmtpd.controller import Controller

from tests.servers import free_port


class Inbox:
    def __init__(self) -> None:
        self.messages: list[Any] = []
        self.envelope_recipients: list[list[str]] = []  # RCPT TO of each message, in the same order
        self.port = 0

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.messages.append(message_from_bytes(envelope.content))
        self.envelope_recipients.append(list(envelope.rcpt_tos))
        return "250 OK"


@contextlib.contextmanager
def smtp_server(port: int | None = None) -> Iterator[Inbox]:
    """Run an SMTP server on ``port`` (a free one if unset); ``inbox.port`` says which."""
    inbox = Inbox()
    inbox.port = port or free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=inbox.port)
    controller.start()
    try:
        yield inbox
    finally:
        controller.stop()
