"""Inbound e-mail: parsing, threading, duplicates, attachments, bad charsets, mailbox sources."""

import mailbox
from pathlib import Path
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from tests.tickets.mailfactory import make_mail
from tickets import mail
from tickets.models import Attachment, Interaction, Ticket

pytestmark = pytest.mark.django_db


def test_parse_plain_message() -> None:
    parsed = mail.parse_message(make_mail(in_reply_to="<old@x>"))
    assert parsed.from_email == "jane@example.com" and parsed.from_name == "Jane Roe"
    assert parsed.subject == "Cannot log in"
    assert parsed.message_id == "<m1@mail.example.com>"
    assert parsed.in_reply_to == ["<old@x>", "<old@x>"]
    assert "never arrives" in parsed.body


def test_html_only_mail_becomes_text_without_scripts() -> None:
    raw = (
        b"From: a@example.com\r\nSubject: hi\r\nMessage-ID: <h@x>\r\nContent-Type: text/html; charset=utf-8\r\n\r\n"
        b"<p>Hello <b>there</b></p><script>alert(1)</script><p>Second</p>"
    )
    parsed = mail.parse_message(raw)
    assert "Hello there" in parsed.body and "Second" in parsed.body
    assert "alert" not in parsed.body


def test_non_utf8_and_wrongly_declared_charsets_are_kept_not_dropped() -> None:
    latin = (
        b"From: b@example.com\r\nSubject: caf\xe9\r\nMessage-ID: <l@x>\r\n"
        b"Content-Type: text/plain; charset=iso-8859-1\r\n\r\nCr\xe8me br\xfbl\xe9e"
    )
    assert mail.parse_message(latin).body == "Crème brûlée"
    lying = b"From: b@example.com\r\nSubject: x\r\nMessage-ID: <u@x>\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nbad \xff\xfe bytes"
    assert mail.parse_message(lying).body.startswith("bad ")
    unknown = b"From: b@example.com\r\nSubject: x\r\nMessage-ID: <k@x>\r\nContent-Type: text/plain; charset=klingon\r\n\r\nplain"
    assert mail.parse_message(unknown).body == "plain"


@pytest.mark.parametrize(
    ("raw", "reason"),
    [(b"", "empty"), (b"just some text with no headers", "no headers"), (b"Subject: x\r\n\r\nbody", "no valid From")],
)
def test_unanswerable_mail_is_refused_with_a_reason(raw: bytes, reason: str) -> None:
    with pytest.raises(mail.MailError, match=reason):
        mail.parse_message(raw)


def test_same_message_id_twice_creates_nothing_new() -> None:
    first = mail.receive_email(make_mail())
    second = mail.receive_email(make_mail())
    assert first.created and not second.created
    assert second.ticket.pk == first.ticket.pk
    assert Ticket.objects.count() == 1 and Interaction.objects.count() == 1


def test_message_without_id_is_deduplicated_by_content() -> None:
    raw = make_mail(message_id="")
    assert mail.receive_email(raw).created
    assert not mail.receive_email(raw).created
    assert Ticket.objects.count() == 1


def test_reply_threads_by_in_reply_to() -> None:
    first = mail.receive_email(make_mail())
    reply = mail.receive_email(
        make_mail(subject="Re: Cannot log in", body="Still broken.", message_id="<m2@x>", in_reply_to="<m1@mail.example.com>")
    )
    assert reply.threaded and reply.ticket.pk == first.ticket.pk
    assert Ticket.objects.count() == 1
    assert list(Interaction.objects.filter(ticket=first.ticket).values_list("body", flat=True)) == [first.ticket.body, "Still broken."]


def test_reply_threads_by_reference_in_subject_but_only_for_the_same_customer() -> None:
    first = mail.receive_email(make_mail())
    ref = first.ticket.pk
    reply = mail.receive_email(make_mail(subject=f"Re: [#{ref}] Cannot log in", message_id="<m3@x>", body="Any news?"))
    assert reply.threaded and reply.ticket.pk == ref
    stranger = mail.receive_email(make_mail(sender="mallory@evil.example", subject=f"[#{ref}] hijack", message_id="<m4@x>"))
    assert stranger.created and stranger.ticket.pk != ref


def test_reply_to_a_resolved_ticket_reopens_it() -> None:
    first = mail.receive_email(make_mail())
    Ticket.objects.filter(pk=first.ticket.pk).update(status="resolved")
    mail.receive_email(make_mail(message_id="<m5@x>", in_reply_to="<m1@mail.example.com>", body="It broke again"))
    assert Ticket.objects.get(pk=first.ticket.pk).status == "triaged"


def test_attachments_are_stored_and_oversized_ones_rejected(settings: Any, tmp_path: Path) -> None:
    settings.MAX_ATTACHMENT_BYTES = 1000
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    raw = make_mail(
        attachments=[("screenshot.png", "image/png", b"\x89PNG" + b"0" * 100), ("dump.bin", "application/octet-stream", b"0" * 5000)]
    )
    result = mail.receive_email(raw)
    stored = Attachment.objects.get(interaction__ticket=result.ticket)
    assert stored.filename == "screenshot.png" and stored.size == 104
    assert stored.file.read().startswith(b"\x89PNG")
    assert result.rejected_attachments == ["dump.bin (larger than 1000 bytes)"]


def test_inbound_email_endpoint(make_user: Any) -> None:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user(role='integration')).key}")
    ok = client.post("/api/v1/inbound/email", data=make_mail(), content_type="message/rfc822")
    assert ok.status_code == 201, ok.content
    again = client.post("/api/v1/inbound/email", data=make_mail(), content_type="message/rfc822")
    assert again.status_code == 200 and again.json()["ticket"]["id"] == ok.json()["ticket"]["id"]
    bad = client.post("/api/v1/inbound/email", data=b"garbage", content_type="message/rfc822")
    assert bad.status_code == 400 and "RFC 822" in bad.json()["detail"]
    assert APIClient().post("/api/v1/inbound/email", data=make_mail(), content_type="message/rfc822").status_code in (401, 403)


def test_ingest_mail_from_maildir_marks_stored_mail_read(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    box.add(make_mail(message_id="<a@x>"))
    box.add(make_mail(message_id="<b@x>", subject="Invoice is wrong", sender="bob@example.com"))
    call_command("ingest_mail", maildir=tmp_path / "inbox")
    assert Ticket.objects.count() == 2
    assert all("S" in box.get_message(key).get_flags() for key in box.iterkeys())
    call_command("ingest_mail", maildir=tmp_path / "inbox")  # nothing unread: nothing new
    assert Ticket.objects.count() == 2


def test_ingest_mail_from_mbox_is_idempotent(tmp_path: Path) -> None:
    box = mailbox.mbox(tmp_path / "in.mbox")
    box.add(make_mail(message_id="<c@x>"))
    box.add(make_mail(message_id="<d@x>", in_reply_to="<c@x>", body="more"))
    box.flush()
    call_command("ingest_mail", mbox=tmp_path / "in.mbox")
    call_command("ingest_mail", mbox=tmp_path / "in.mbox")
    assert Ticket.objects.count() == 1 and Interaction.objects.count() == 2


def test_ingest_mail_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not a Maildir"):
        call_command("ingest_mail", maildir=tmp_path)
    with pytest.raises(CommandError, match="imaps://"):
        call_command("ingest_mail", imap="http://nope")
