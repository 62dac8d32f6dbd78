"""Beat polls the IMAP server through a real worker: new mail within a minute, once, also after a kill -9 mid-fetch."""

from __future__ import annotations

import signal
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import stop_process, wait_for
from tests.imapserver import ImapServer, imap_server
from tests.tickets.mailfactory import make_mail
from tickets.models import Interaction, Mailbox, MailboxReceipt, Ticket

pytestmark = pytest.mark.integration


@pytest.fixture
def imap(tmp_path: Path) -> Iterator[ImapServer]:
    with imap_server(log=tmp_path / "pymap.log") as server:
        yield server


def test_beat_fetches_new_mail_within_a_minute_and_once(celery_worker_process: Any, imap: ImapServer) -> None:
    # The production schedule: beat (inside the worker here) polls every 60 s.
    celery_worker_process("--beat", IMAP_URL=imap.url, IMAP_POLL_SECONDS="60")
    imap.deliver(make_mail(message_id="<first@customer.example>", subject="Printer on fire"))
    delivered = time.monotonic()
    ticket = wait_for(lambda: Ticket.objects.filter(subject="Printer on fire").first(), timeout=90, interval=0.5, what="first poll")
    # The first tick comes one interval after beat starts (worker start-up included).
    assert time.monotonic() - delivered < 80
    wait_for(lambda: imap.unseen() == [], timeout=10, what="marked seen")

    imap.deliver(make_mail(sender="bo@example.org", message_id="<second@customer.example>", subject="Second one"))
    delivered = time.monotonic()
    wait_for(lambda: Ticket.objects.filter(subject="Second one").exists(), timeout=75, interval=0.5, what="next poll")
    assert time.monotonic() - delivered <= 62  # within a minute of arriving
    polled_at = Mailbox.objects.get().last_polled_at
    wait_for(lambda: Mailbox.objects.get().last_polled_at != polled_at, timeout=75, interval=1, what="another poll")
    assert Ticket.objects.count() == 2 and Interaction.objects.filter(ticket=ticket).count() == 1
    assert imap.unseen() == [] and MailboxReceipt.objects.count() == 2
    assert Mailbox.objects.get().last_error == ""


def test_worker_killed_mid_fetch_loses_nothing_and_stores_each_message_once(celery_worker_process: Any, imap: ImapServer) -> None:
    messages = 120
    imap.deliver(
        *(make_mail(sender=f"c{n}@example.com", message_id=f"<bulk{n}@customer.example>", subject=f"Request {n}") for n in range(messages))
    )
    # A fast schedule and a short lease, so the test need not wait minutes for the next tick.
    env = {"IMAP_URL": imap.url, "IMAP_POLL_SECONDS": "2", "IMAP_LEASE_SECONDS": "4"}
    worker = celery_worker_process("--beat", **env)
    wait_for(lambda: MailboxReceipt.objects.count() >= 5, timeout=90, interval=0.02, what="the fetch under way")
    stop_process(worker, sig=signal.SIGKILL)  # mid-fetch: no warm shutdown, the lease is left behind
    stored_before = MailboxReceipt.objects.count()
    assert stored_before < messages, "the poll finished before the kill; the test proves nothing"
    assert len(imap.unseen()) >= messages - stored_before  # what was not stored is still unseen

    celery_worker_process("--beat", **env)
    wait_for(lambda: imap.unseen() == [], timeout=180, interval=0.5, what="every message stored and seen")
    # (120 similar requests at once may also open one incident ticket, which is no message.)
    assert Ticket.objects.filter(is_incident=False).count() == messages
    ids = Counter(Interaction.objects.filter(author_kind="customer").values_list("external_message_id", flat=True))
    assert len(ids) == messages and set(ids.values()) == {1}
    assert MailboxReceipt.objects.count() == messages
    assert Mailbox.objects.get().stored_count == messages
