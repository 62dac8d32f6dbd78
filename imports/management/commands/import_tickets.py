"""``manage.py import_tickets PATH --format csv|zendesk|freshdesk|helpdesk [--mapping FILE] [--dry-run]``.

Imports another desk's history (see ``imports/importer.py``): prints a progress bar on stderr,
then the report as JSON (created, updated, unchanged, failed, each bad row with its line and
reason). Exits with status 1 when some rows failed, so a script notices.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from imports import runner
from imports.importer import ImportReport
from imports.sources import SourceError


class ProgressBar:
    def __init__(self, total: int, stream: Any) -> None:
        self.total, self.stream = total, stream

    def __call__(self, report: ImportReport) -> None:
        done = report.total
        fraction = min(1.0, done / self.total) if self.total else 0.0
        filled = int(fraction * 30)
        counts = f"{report.created} new, {report.updated} updated, {report.unchanged} unchanged, {report.failed} bad"
        self.stream.write(f"\r[{'#' * filled}{'.' * (30 - filled)}] {done}/{self.total or '?'}  {counts}")
        self.stream.flush()

    def close(self) -> None:
        self.stream.write("\n")


class Command(BaseCommand):
    help = "Import tickets from another help desk (CSV with a mapping, Zendesk or Freshdesk JSON, a django-helpdesk database)."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("path", help="the export file, or for --format helpdesk the database URL (postgresql://… or sqlite:///…)")
        parser.add_argument("--format", required=True, choices=runner.FORMATS)
        parser.add_argument("--mapping", type=Path, help="CSV: a JSON file mapping our fields to its columns (see the README)")
        parser.add_argument("--source", help="name of the source for idempotency (default: the format)")
        parser.add_argument("--dry-run", action="store_true", help="check and count everything, write nothing")
        parser.add_argument("--batch-size", type=int, default=None, help="tickets per transaction (default 500)")

    def handle(self, *args: Any, **options: Any) -> None:
        fmt, path = options["format"], options["path"]
        mapping = None
        try:
            if options["mapping"]:
                mapping = runner.read_text(options["mapping"])
            text = None if fmt == "helpdesk" else runner.read_text(Path(path))
        except (OSError, SourceError) as error:
            raise CommandError(str(error)) from None
        url = path if fmt == "helpdesk" else None
        bar = ProgressBar(runner.count_rows(fmt, text=text, url=url), sys.stderr)
        try:
            report = runner.run(
                fmt, text=text, url=url, mapping=mapping, source=options["source"], dry_run=options["dry_run"], progress=bar,
                batch_size=options["batch_size"],
            )  # fmt: skip
        except SourceError as error:
            raise CommandError(str(error)) from None
        except Exception as error:  # a source database that cannot be reached, for one
            if fmt == "helpdesk":
                raise CommandError(f"helpdesk: {error}") from None
            raise
        finally:
            bar.close()
        self.stdout.write(json.dumps(report.as_dict(), indent=2))
        if report.failed:
            sys.exit(1)
