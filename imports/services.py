"""Import runs started from admin: queue one, and the worker's side that runs it and records progress."""

from __future__ import annotations

import logging
from typing import Any

from django.db import transaction
from django.utils import timezone

from foundation.queue import enqueue_on_commit
from imports import runner
from imports.importer import ImportReport
from imports.models import ImportRun
from imports.sources import SourceError

logger = logging.getLogger(__name__)


def queue_import(*, run: ImportRun) -> ImportRun:
    """Hand a saved run to a worker once it is committed (``imports.run_import``)."""
    enqueue_on_commit("imports.run_import", run.pk)
    return run


def _progress(run_id: int) -> Any:
    def record(report: ImportReport) -> None:
        ImportRun.objects.filter(pk=run_id).update(
            processed=report.total, created=report.created, updated=report.updated, unchanged=report.unchanged, failed=report.failed
        )

    return record


def execute_run(*, run_id: int) -> ImportRun | None:
    """Run a queued import (safe to run again: the import is idempotent). Progress is written after each batch."""
    with transaction.atomic():
        run = ImportRun.objects.select_for_update().filter(pk=run_id).first()
        if run is None or run.status in (ImportRun.Status.DONE, ImportRun.Status.FAILED):
            return run
        run.status = ImportRun.Status.RUNNING
        run.save(update_fields=["status"])
    try:
        with run.file.open("rb") as handle:
            text = handle.read().decode("utf-8-sig")
        run.total = runner.count_rows(run.format, text=text)
        ImportRun.objects.filter(pk=run.pk).update(total=run.total)
        report = runner.run(
            run.format, text=text, mapping=run.mapping or None, source=run.source_name or None, dry_run=run.dry_run,
            progress=_progress(run.pk),
        )  # fmt: skip
    except (SourceError, UnicodeDecodeError, ValueError, OSError) as error:
        ImportRun.objects.filter(pk=run.pk).update(status=ImportRun.Status.FAILED, message=str(error)[:2000], finished_at=timezone.now())
        run.refresh_from_db()
        return run
    ImportRun.objects.filter(pk=run.pk).update(
        status=ImportRun.Status.DONE,
        processed=report.total,
        total=max(run.total, report.total),
        created=report.created,
        updated=report.updated,
        unchanged=report.unchanged,
        failed=report.failed,
        errors=report.as_dict()["errors"][:1000],
        message="Dry run: nothing was written." if run.dry_run else f"{len(report.days)} days of dashboards rebuilt.",
        finished_at=timezone.now(),
    )
    run.refresh_from_db()
    return run
