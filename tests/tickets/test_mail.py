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


def desk_reply(ticket: Ticket, body: str = "Please try the link again.") -> Any:
    """An agent answers through the real service; returns the e-mail the customer receives."""
    from django.core import mail as outbox

    from tests.conftest import send_from_outbox
    from tests.factories import UserFactory
    from tickets.services import add_agent_reply

    reply = add_agent_reply(ticket=ticket, body=body, by=UserFactory.create(role="agent"))
    assert send_from_outbox(f"reply:{reply.pk}").status == "sent"
    return outbox.outbox[-1]


def test_reply_threads_by_in_reply_to_a_message_the_desk_sent() -> None:
    first = mail.receive_email(make_mail())
    sent = desk_reply(first.ticket)
    reply = mail.receive_email(
        make_mail(subject="Re: Cannot log in", body="Still broken.", message_id="<m2@x>", in_reply_to=sent.extra_headers["Message-ID"])
    )
    assert reply.threaded and reply.ticket.pk == first.ticket.pk
    assert Ticket.objects.count() == 1
    assert list(Interaction.objects.filter(ticket=first.ticket, author_kind="customer").values_list("body", flat=True)) == [
        first.ticket.body,
        "Still broken.",
    ]


def test_in_reply_to_a_message_the_desk_did_not_send_opens_a_linked_ticket() -> None:
    """Message-IDs of the customer's own mail are no secret (they sit in every Cc'd inbox): no proof."""
    first = mail.receive_email(make_mail())
    reply = mail.receive_email(make_mail(message_id="<m2@x>", in_reply_to="<m1@mail.example.com>", body="Still broken."))
    assert reply.created and reply.ticket.pk != first.ticket.pk
    assert reply.ticket.repeat_of_id == first.ticket.pk


def test_a_subject_reference_alone_links_but_never_threads_without_dmarc() -> None:
    first = mail.receive_email(make_mail())
    ref = first.ticket.pk
    reply = mail.receive_email(make_mail(subject=f"Re: [#{ref}] Cannot log in", message_id="<m3@x>", body="Any news?"))
    assert reply.created and reply.ticket.pk != ref and reply.ticket.repeat_of_id == ref
    stranger = mail.receive_email(make_mail(sender="mallory@evil.example", subject=f"[#{ref}] hijack", message_id="<m4@x>"))
    assert stranger.created and stranger.ticket.pk != ref and stranger.ticket.repeat_of_id is None
    assert Interaction.objects.filter(ticket_id=ref).count() == 1


def with_auth_results(raw: bytes, header: str) -> bytes:
    return f"Authentication-Results: {header}\r\n".encode() + raw


def test_a_subject_reference_threads_when_our_relay_reports_dmarc_pass(settings: Any) -> None:
    settings.MAIL_TRUSTED_AUTHSERV_IDS = frozenset({"mx.escalation.localhost"})
    first = mail.receive_email(make_mail())
    ref = first.ticket.pk
    passed = "mx.escalation.localhost; spf=pass smtp.mailfrom=example.com; dmarc=pass (p=reject) header.from=example.com"
    reply = mail.receive_email(with_auth_results(make_mail(subject=f"Re: [#{ref}] x", message_id="<m5@x>", body="More"), passed))
    assert reply.threaded and reply.ticket.pk == ref
    # The same claim from a relay we do not trust, or for another domain, or a failed check: no proof.
    for header in (
        "mx.attacker.example; dmarc=pass header.from=example.com",
        "mx.escalation.localhost; dmarc=pass header.from=evil.example",
        "mx.escalation.localhost; dmarc=fail header.from=example.com",
    ):
        other = mail.receive_email(with_auth_results(make_mail(subject=f"Re: [#{ref}] x", message_id=f"<{hash(header)}@x>"), header))
        assert other.created and other.ticket.pk != ref, header


def test_identity_is_the_from_address_never_reply_to() -> None:
    victim = mail.receive_email(make_mail())
    raw = make_mail(sender="attacker@evil.example", subject=f"Re: [#{victim.ticket.pk}] Cannot log in", message_id="<evil@x>")
    raw = b"Reply-To: Jane Roe <jane@example.com>\r\n" + raw
    parsed = mail.parse_message(raw)
    assert parsed.from_email == "attacker@evil.example"
    result = mail.receive_email(raw)
    assert result.created and result.ticket.customer.email == "attacker@evil.example"
    assert Interaction.objects.filter(ticket=victim.ticket).count() == 1


def test_a_signed_reply_address_threads_and_a_forged_one_does_not() -> None:
    from tickets.reply_address import reply_address

    first = mail.receive_email(make_mail())
    sent = desk_reply(first.ticket)
    assert sent.extra_headers["Reply-To"] == reply_address(first.ticket.pk)
    answer = bytes(make_mail(subject="Thanks", message_id="<r1@x>", body="That worked")).replace(
        b"To: support@escalation.localhost", f"To: {sent.extra_headers['Reply-To']}".encode()
    )
    assert mail.receive_email(answer).ticket.pk == first.ticket.pk
    forged_tag = sent.extra_headers["Reply-To"].replace("+", "+9").split("-")[0] + "-0000000000000000@escalation.localhost"
    forged = bytes(make_mail(subject="Thanks", message_id="<r2@x>")).replace(
        b"To: support@escalation.localhost", f"To: {forged_tag}".encode()
    )
    assert mail.receive_email(forged).created


def test_a_message_id_of_another_customers_mail_is_refused_with_409(make_user: Any) -> None:
    from foundation.errors import ApplicationError

    victim = mail.receive_email(make_mail())
    replayed = make_mail(sender="attacker@evil.example", message_id="<m1@mail.example.com>", subject="anything")
    with pytest.raises(ApplicationError) as refused:
        mail.receive_email(replayed)
    assert refused.value.status == 409
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {Token.objects.create(user=make_user(role='integration')).key}")
    response = client.post("/api/v1/inbound/email", data=replayed, content_type="message/rfc822")
    assert response.status_code == 409 and victim.ticket.subject not in response.content.decode()
    assert Ticket.objects.count() == 1


def test_reply_to_a_resolved_ticket_reopens_it() -> None:
    first = mail.receive_email(make_mail())
    sent = desk_reply(first.ticket)
    Ticket.objects.filter(pk=first.ticket.pk).update(status="resolved")
    mail.receive_email(make_mail(message_id="<m5@x>", in_reply_to=sent.extra_headers["Message-ID"], body="It broke again"))
    assert Ticket.objects.get(pk=first.ticket.pk).status == "triaged"  # reopened, back to the team (no assignee)


def test_long_mail_is_stored_cut_with_the_original_attached(settings: Any, tmp_path: Path) -> None:
    from tickets.services import MAX_BODY, MAX_SUBJECT

    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage", "OPTIONS": {"location": tmp_path}},
    }
    quoted = "\n".join(f"> line {n} of a very long quoted thread" for n in range(2_000))
    result = mail.receive_email(make_mail(subject="Invoice " + "very " * 70 + "wrong", body=f"See below.\n\n{quoted}"))
    assert result.created
    assert len(result.ticket.subject) == MAX_SUBJECT and len(result.ticket.body) <= MAX_BODY
    original = Attachment.objects.get(interaction__ticket=result.ticket, filename="original-message.txt")
    assert quoted in original.file.read().decode()


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
    box.add(make_mail(message_id="<d@x>", subject="Second question", body="more"))
    box.flush()
    call_command("ingest_mail", mbox=tmp_path / "in.mbox")
    call_command("ingest_mail", mbox=tmp_path / "in.mbox")
    assert Ticket.objects.count() == 2 and Interaction.objects.count() == 2


def test_ingest_mail_leaves_a_message_it_cannot_store_unread_and_fails(tmp_path: Path) -> None:
    box = mailbox.Maildir(tmp_path / "inbox", create=True)
    good = box.add(make_mail(message_id="<ok@x>"))
    bad = box.add(b"Subject: no sender at all\r\nMessage-ID: <nosender@x>\r\n\r\nWho am I?")
    with pytest.raises(CommandError, match="1 message\\(s\\) could not be stored"):
        call_command("ingest_mail", maildir=tmp_path / "inbox")
    assert "S" in box.get_message(good).get_flags()
    assert "S" not in box.get_message(bad).get_flags()  # still there for the next run or a person
    assert Ticket.objects.count() == 1


def test_ingest_mail_clear_errors(tmp_path: Path) -> None:
    with pytest.raises(CommandError, match="not a Maildir"):
        call_command("ingest_mail", maildir=tmp_path)
    with pytest.raises(CommandError, match="imaps://"):
        call_command("ingest_mail", imap="http://nope")
