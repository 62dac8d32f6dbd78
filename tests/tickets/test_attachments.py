"""Attachments: size and type limits, sanitised names, random storage names, download only."""

from pathlib import Path
from typing import Any

import pytest
from django.test import Client

from tests.factories import AgentFactory, TeamFactory
from tests.tickets.mailfactory import make_mail
from tickets import attachments, mail
from tickets.models import Attachment, TicketEvent

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _media(settings: Any, tmp_path: Path) -> None:
    settings.STORAGES = {**settings.STORAGES, "default": {**settings.STORAGES["default"], "OPTIONS": {"location": tmp_path}}}


@pytest.mark.parametrize(
    ("raw", "safe"),
    [
        ("report.pdf", "report.pdf"),
        ("../../etc/passwd", "passwd"),
        ("C:\\Users\\me\\Desktop\\photo.jpg", "photo.jpg"),
        ("bad\x00name\r\n.txt", "badname.txt"),
        ("<script>alert(1)</script>.html", "script_.html"),  # "/" splits: only the last part is kept
        ("`rm -rf`; $(x).txt", "_rm -rf__ _(x).txt"),
        ("...", "attachment"),
        ("", "attachment"),
        ("a" * 300 + ".png", "a" * 116 + ".png"),
    ],
)
def test_names_lose_paths_controls_and_metacharacters(raw: str, safe: str) -> None:
    assert attachments.safe_filename(raw) == safe


@pytest.mark.parametrize(
    ("name", "content_type", "content", "reason"),
    [
        ("setup.exe", "application/octet-stream", b"hello", "file type .exe"),
        ("invoice.pdf.exe", "application/pdf", b"%PDF", "file type .exe"),
        ("INVOICE.PDF.JS", "application/pdf", b"%PDF", "file type .js"),
        ("notes.txt", "application/x-msdownload", b"text", "content type application/x-msdownload"),
        ("notes.txt", "text/plain", b"MZ\x90\x00rest", "executable content"),
        ("run.txt", "text/plain", b"#!/bin/sh\nrm -rf /", "executable content"),
    ],
)
def test_executables_and_scripts_are_refused(name: str, content_type: str, content: bytes, reason: str) -> None:
    verdict = attachments.check(name, content_type, content)
    assert not verdict.ok and reason in verdict.reason


def test_ordinary_files_pass_and_the_admin_list_adds_types(settings: Any) -> None:
    assert attachments.check("screenshot.png", "image/png", b"\x89PNG....").ok
    assert attachments.check("statement.pdf", "application/pdf", b"%PDF-1.7").ok
    settings.ATTACHMENT_BLOCKED_EXTENSIONS = [".zip"]
    assert "file type .zip" in attachments.check("logs.zip", "application/zip", b"PK\x03\x04").reason


def test_mail_keeps_good_attachments_under_random_names_and_lists_the_refused() -> None:
    raw = make_mail(
        attachments=[
            ("../../../var/www/index.html", "text/html", b"<p>hi</p>"),
            ("payload.exe", "application/octet-stream", b"MZ\x90\x00"),
        ]
    )
    result = mail.receive_email(raw)
    stored = Attachment.objects.get(interaction__ticket=result.ticket)
    assert stored.filename == "index.html"
    stored_name = Path(stored.file.name)
    assert stored_name.parts[0] == "attachments" and ".." not in stored_name.parts
    assert stored_name.suffix == ".html" and len(stored_name.stem) == 32  # random, not the sender's name
    assert result.rejected_attachments == ["payload.exe (file type .exe is not accepted)"]
    created = TicketEvent.objects.get(ticket=result.ticket, kind="created")
    assert created.detail["attachments_rejected"] == result.rejected_attachments


def test_download_is_forced_with_a_safe_name_and_a_sandbox(make_user: Any) -> None:
    team = TeamFactory.create()
    agent = AgentFactory.create()
    agent.teams.add(team)
    result = mail.receive_email(make_mail(attachments=[('quote"; filename=evil.html', "text/html", b"<script>alert(1)</script>")]))
    result.ticket.team = team
    result.ticket.save(update_fields=["team"])
    attachment = Attachment.objects.get(interaction__ticket=result.ticket)

    client = Client()
    client.force_login(agent.user)
    response = client.get(f"/console/attachment/{attachment.pk}/")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/octet-stream"
    assert response["Content-Disposition"] == 'attachment; filename="quote__ filename=evil.html"'
    assert response["Content-Security-Policy"] == "default-src 'none'; sandbox"
    assert response.getvalue() == b"<script>alert(1)</script>"
    page = client.get(f"/console/ticket/{result.ticket.pk}/")
    assert f'href="/console/attachment/{attachment.pk}/"'.encode() in page.content
