"""Polled IMAP mailboxes against a real IMAP server (pymap): stored once, then seen; errors shown, never lost."""

from __future__ import annotations

import json
from collections.abc import Iterator
from io import StringIO
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from tests.imapserver import ImapServer, imap_server
from tests.tickets.mailfactory import make_mail
from tickets import mail, mailboxes
from tickets.models import Interaction, Mailbox, MailboxReceipt, Ticket

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def imap(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ImapServer]:
    with imap_server(log=Path(tmp_path_factory.mktemp("imap")) / "pymap.log") as server:
        yield server


@pytest.fixture
def inbox(imap: ImapServer) -> ImapServer:
    """The server's INBOX emptied for this test."""
    with imap.client() as client:
        _, data = client.uid("search", None, "ALL")  # type: ignore[arg-type]
        for uid in (data[0] or b"").split():
            client.uid("store", uid, "+FLAGS", "(\\Deleted)")  # type: ignore[arg-type]
        client.expunge()
    return imap


@pytest.fixture
def mailbox(inbox: ImapServer, monkeypatch: pytest.MonkeyPatch) -> Mailbox:
    monkeypatch.setenv("SUPPORT_IMAP_PASSWORD", inbox.password)
    return Mailbox.objects.create(
        name="support", host=inbox.host, port=inbox.port, security=Mailbox.Security.PLAIN, username=inbox.user,
        password_env="SUPPORT_IMAP_PASSWORD",
    )  # fmt: skip


def poll(mailbox: Mailbox) -> mailboxes.PollResult:
    result = mailboxes.poll_mailbox(mailbox_id=mailbox.pk)
    mailbox.refresh_from_db()
    return result


def test_new_mail_is_stored_once_and_only_then_marked_seen(inbox: ImapServer, mailbox: Mailbox) -> None:
    inbox.deliver(make_mail(message_id="<a1@customer.example>"), make_mail(sender="bo@example.org", message_id="<a2@x>", subject="Invoice"))
    assert len(inbox.unseen()) == 2

    first = poll(mailbox)
    assert (first.stored, first.refused, first.errors) == (2, 0, [])
    assert inbox.unseen() == [] and len(inbox.uids()) == 2  # marked seen, not deleted
    assert Ticket.objects.count() == 2 and MailboxReceipt.objects.filter(mailbox=mailbox).count() == 2
    assert mailbox.last_error == "" and mailbox.last_success_at is not None and mailbox.stored_count == 2

    second = poll(mailbox)
    assert (second.stored, second.already_stored) == (0, 0)
    assert Ticket.objects.count() == 2


def test_a_message_that_cannot_be_stored_stays_unseen_and_its_error_shows_in_admin_and_healthz(
    inbox: ImapServer, mailbox: Mailbox, make_user: Any
) -> None:
    inbox.deliver(b"Subject: no sender here\r\n\r\nwho am I?\r\n", make_mail(message_id="<ok@x>"))
    result = poll(mailbox)
    assert (result.stored, result.refused) == (1, 1)
    assert len(inbox.unseen()) == 1  # the bad one, for a person to look at
    assert "no valid From address" in mailbox.last_error and mailbox.last_error_at is not None

    assert json.loads(Client().get("/healthz").content)["checks"]["mailboxes"] == {"ok": False}  # no names for outsiders
    admin = Client()
    admin.force_login(make_user("admin", is_staff=True, is_superuser=True))
    health = json.loads(admin.get("/healthz").content)["checks"]["mailboxes"]
    assert health["ok"] is False
    assert health["mailboxes"][0]["name"] == "support" and "no valid From address" in health["mailboxes"][0]["error"]

    page = admin.get("/admin/tickets/mailbox/").content.decode()
    assert "no valid From address" in page

    # Still unseen on the next poll, still refused, still not stored twice.
    again = poll(mailbox)
    assert (again.stored, again.refused) == (0, 1) and Ticket.objects.count() == 1


def test_a_poller_stopped_after_storing_but_before_marking_seen_never_stores_twice(
    inbox: ImapServer, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch
) -> None:
    inbox.deliver(make_mail(message_id="<crash@x>"))

    def die(self: mail.ImapSource, uid: object) -> None:
        raise OSError("connection reset (the worker died here)")

    with monkeypatch.context() as patched:
        patched.setattr(mail.ImapSource, "mark_seen", die)
        crashed = poll(mailbox)
    assert crashed.stored == 0 and "connection reset" in mailbox.last_error
    assert len(inbox.unseen()) == 1 and Ticket.objects.count() == 1  # stored, not yet seen

    recovered = poll(mailbox)
    assert (recovered.stored, recovered.already_stored) == (0, 1)
    assert inbox.unseen() == [] and Ticket.objects.count() == 1 and Interaction.objects.count() == 1
    assert mailbox.last_error == ""


def test_one_poller_at_a_time_per_mailbox(inbox: ImapServer, mailbox: Mailbox) -> None:
    inbox.deliver(make_mail(message_id="<busy@x>"))
    assert mailboxes._take_lease(mailbox.pk)  # another worker is polling it
    assert poll(mailbox).busy and Ticket.objects.count() == 0
    Mailbox.objects.filter(pk=mailbox.pk).update(lease_until=None)  # it finished (or its lease ran out)
    assert poll(mailbox).stored == 1


def test_mailboxes_from_the_environment_are_polled_and_shown(inbox: ImapServer, settings: Any) -> None:
    settings.IMAP_URLS = (inbox.url,)
    inbox.deliver(make_mail(message_id="<env@x>"))
    [result] = mailboxes.poll_all()
    assert result.stored == 1
    row = Mailbox.objects.get()
    assert row.from_environment and row.username == inbox.user and row.password_env == ""
    assert inbox.password not in json.dumps(mailboxes.health())  # the password never leaves the environment

    settings.IMAP_URLS = ()
    assert mailboxes.poll_all() == []
    assert not Mailbox.objects.get().is_active


def test_a_wrong_password_is_the_mailboxes_error(inbox: ImapServer, mailbox: Mailbox, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SUPPORT_IMAP_PASSWORD", "wrong")
    result = poll(mailbox)
    assert result.errors and mailbox.last_error.startswith("IMAP:") and mailbox.lease_until is None
    monkeypatch.delenv("SUPPORT_IMAP_PASSWORD")
    poll(mailbox)
    assert "SUPPORT_IMAP_PASSWORD" in mailbox.last_error and "is not set" in mailbox.last_error


def test_ingest_mail_imap_command_reads_the_folder_once(inbox: ImapServer) -> None:
    inbox.deliver(make_mail(message_id="<cmd1@x>"), make_mail(sender="x@example.net", message_id="<cmd2@x>", subject="Other"))
    out = StringIO()
    call_command("ingest_mail", "--imap", inbox.url, stdout=out)
    assert "created 2" in out.getvalue() and inbox.unseen() == []
    call_command("ingest_mail", "--imap", inbox.url, stdout=(out := StringIO()))
    assert "no new mail" in out.getvalue() and Ticket.objects.count() == 2
    with pytest.raises(CommandError, match="IMAP"):
        call_command("ingest_mail", "--imap", inbox.url.replace(inbox.password, "nope"))
