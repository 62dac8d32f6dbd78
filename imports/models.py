"""Import runs and the map from a source's ids to our tickets (what makes a re-run idempotent)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone


class ImportFormat(models.TextChoices):
    CSV = "csv", "Generic CSV (with a mapping file)"
    ZENDESK = "zendesk", "Zendesk JSON export"
    FRESHDESK = "freshdesk", "Freshdesk JSON export"
    HELPDESK = "helpdesk", "django-helpdesk database"


class ImportedTicket(models.Model):
    """One source ticket we imported: ``(source, external_id)`` is unique, ``fingerprint`` says whether it changed."""

    source = models.CharField(max_length=80, help_text="The format, or the name given with --source.")
    external_id = models.CharField(max_length=120)
    ticket = models.OneToOneField("tickets.Ticket", on_delete=models.CASCADE, related_name="import_origin")
    fingerprint = models.CharField(max_length=64)
    imported_at = models.DateTimeField(default=timezone.now)
    updated_at = models.DateTimeField(default=timezone.now)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["source", "external_id"], name="importedticket_source_id_unique")]

    def __str__(self) -> str:
        return f"{self.source}:{self.external_id} → #{self.ticket_id}"


class ImportRun(models.Model):
    """An import started from admin (an uploaded file) or the command; the worker records its progress here."""

    class Status(models.TextChoices):
        QUEUED = "queued", "Queued"
        RUNNING = "running", "Running"
        DONE = "done", "Done"
        FAILED = "failed", "Failed"

    format = models.CharField(max_length=16, choices=ImportFormat.choices)
    source_name = models.CharField(
        max_length=80, blank=True, help_text="Names the source for idempotency (default: the format). Re-import under the same name."
    )
    file = models.FileField(upload_to="imports/%Y/%m/", blank=True, help_text="The export file (CSV or JSON).")
    mapping = models.TextField(blank=True, help_text="CSV: the mapping file's JSON (columns, values, time_zone, time_format).")
    dry_run = models.BooleanField(default=False, help_text="Read and check everything, report what would change, write nothing.")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.QUEUED)
    total = models.PositiveIntegerField(default=0)
    processed = models.PositiveIntegerField(default=0)
    created = models.PositiveIntegerField(default=0)
    updated = models.PositiveIntegerField(default=0)
    unchanged = models.PositiveIntegerField(default=0)
    failed = models.PositiveIntegerField(default=0)
    errors = models.JSONField(default=list, blank=True, help_text="Each bad row: line, source id, reason.")
    message = models.TextField(blank=True)
    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.get_format_display()} import #{self.pk} ({self.status})"

    @property
    def percent(self) -> int:
        return int(100 * self.processed / self.total) if self.total else (100 if self.status == self.Status.DONE else 0)
