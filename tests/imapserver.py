"""A real IMAP server (pymap's in-memory backend, pure Python) on a loopback port, and a client to fill it."""

from __future__ import annotations

import contextlib
import imaplib
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tests.servers import free_port

USER = "desk"
PASSWORD = "imap-test-secret"


class ImapServer:
    def __init__(self, port: int) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.user = USER
        self.password = PASSWORD

    @property
    def url(self) -> str:
        return f"imap://{self.user}:{self.password}@{self.host}:{self.port}/INBOX"

    @contextlib.contextmanager
    def client(self) -> Iterator[imaplib.IMAP4]:
        client = imaplib.IMAP4(self.host, self.port, timeout=10)
        client.login(self.user, self.password)
        client.select("INBOX")
        try:
            yield client
        finally:
            with contextlib.suppress(Exception):
                client.logout()

    def deliver(self, *messages: bytes) -> None:
        """Put messages into INBOX as new mail (unseen)."""
        with self.client() as client:
            for raw in messages:
                answer: Any = client.append("INBOX", None, None, raw)  # type: ignore[arg-type]  # no flags, no date: "now"
                assert answer[0] == "OK", answer

    def uids(self, criterion: str = "ALL") -> list[int]:
        with self.client() as client:
            status, data = client.uid("search", None, criterion)  # type: ignore[arg-type]
            assert status == "OK", data
            return [int(uid) for uid in (data[0] or b"").split()]

    def unseen(self) -> list[int]:
        return self.uids("UNSEEN")


@contextlib.contextmanager
def imap_server(port: int | None = None, *, log: Path | None = None) -> Iterator[ImapServer]:
    """Run ``pymap`` (dict backend: one user, mail kept in memory) on ``port`` (a free one if unset)."""
    port = port or free_port()
    command = [
        str(Path(sys.executable).parent / "pymap"),
        "--host", "127.0.0.1", "--port", str(port), "--no-tls",
        "--no-service", "admin", "--no-service", "managesieve", "--no-service", "swim",
        "dict", "--demo-user", USER, "--demo-password", PASSWORD,
    ]  # fmt: skip
    out = open(log, "wb") if log else subprocess.DEVNULL  # noqa: SIM115 - closed below
    process = subprocess.Popen(command, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    if sock.recv(64).startswith(b"* OK"):
                        break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"pymap did not start (exit code {process.poll()})")
            time.sleep(0.1)
        yield ImapServer(port)
    finally:
        process.terminate()
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
        if log:
            out.close()  # type: ignore[union-attr]
