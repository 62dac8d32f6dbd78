"""Admin: upload an export, a worker imports it in the background and records its progress."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from imports.models import ImportRun
from tests.factories import UserFactory
from tickets.models import Ticket

pytestmark = pytest.mark.django_db

SAMPLES = Path(__file__).parent / "samples"


@pytest.fixture
def admin_client(settings: Any, tmp_path: Path) -> Client:
    settings.MEDIA_ROOT = str(tmp_path / "media")
    client = Client()
    client.force_login(UserFactory.create(is_superuser=True, is_staff=True))
    return client


def test_an_uploaded_csv_is_imported_by_the_worker_with_progress(admin_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    upload = SimpleUploadedFile("desk.csv", (SAMPLES / "desk.csv").read_bytes(), content_type="text/csv")
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        response = admin_client.post(
            "/admin/imports/importrun/add/",
            {"format": "csv", "file": upload, "mapping": (SAMPLES / "desk_mapping.json").read_text(), "source_name": "old-desk"},
        )
    assert response.status_code == 302, response.content.decode()[:2000]
    assert any("enqueue" in getattr(c, "func", c).__qualname__ for c in callbacks), "handed to a worker after commit"
    run = ImportRun.objects.get()
    assert run.status == "done" and (run.total, run.processed, run.created, run.failed) == (5, 5, 2, 3) and run.percent == 100
    assert run.errors[0] == {"line": 5, "id": "T-3", "reason": "requester_email: 'not-an-email' is not an e-mail address"}
    assert Ticket.objects.filter(import_origin__source="old-desk").count() == 2
    page = admin_client.get(f"/admin/imports/importrun/{run.pk}/change/").content.decode()
    assert "100 %" in page and "line 5: requester_email" in page


def test_a_bad_mapping_or_a_missing_file_is_refused_on_the_form(admin_client: Client) -> None:
    response = admin_client.post("/admin/imports/importrun/add/", {"format": "csv", "mapping": "{nope"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "Upload the export file." in page and "mapping: not JSON" in page
    assert not ImportRun.objects.exists()


def test_a_file_that_cannot_be_read_fails_the_run_with_the_reason(admin_client: Client, django_capture_on_commit_callbacks: Any) -> None:
    upload = SimpleUploadedFile("tickets.json", b"\xff\xfe not utf-8", content_type="application/json")
    with django_capture_on_commit_callbacks(execute=True):
        admin_client.post("/admin/imports/importrun/add/", {"format": "zendesk", "file": upload})
    run = ImportRun.objects.get()
    assert run.status == "failed" and "utf-8" in run.message.lower()


def test_admins_by_role_start_imports_and_agents_cannot_open_them(client: Client) -> None:
    client.force_login(UserFactory.create(role="admin"))
    assert client.get("/admin/imports/importrun/add/").status_code == 200
    client.force_login(UserFactory.create(role="agent"))
    assert client.get("/admin/imports/importrun/add/").status_code == 302
