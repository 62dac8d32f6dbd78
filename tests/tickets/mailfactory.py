"""Build raw RFC 822 messages for tests."""

from __future__ import annotations

from email.message import EmailMessage


def make_mail(
    *,
    sender: str = "Jane Roe <jane@example.com>",
    subject: str = "Cannot log in",
    body: str = "My password reset e-mail never arrives.",
    message_id: str = "<m1@mail.example.com>",
    in_reply_to: str | None = None,
    attachments: list[tuple[str, str, bytes]] | None = None,
    html: str | None = None,
    cc: str | None = None,
    to: str = "support@escalation.localhost",
    headers: dict[str, str] | None = None,
) -> bytes:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject
    if message_id:
        message["Message-ID"] = message_id
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        message["References"] = in_reply_to
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    if html:
        message.add_alternative(html, subtype="html")
    for filename, content_type, content in attachments or []:
        maintype, subtype = content_type.split("/")
        message.add_attachment(content, maintype=maintype, subtype=subtype, filename=filename)
    return bytes(message)
