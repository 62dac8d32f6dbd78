"""One entry for the command and the admin's background task: a format and a source → the importer's report."""

from __future__ import annotations

import csv
import io
import sqlite3
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

from imports import sources
from imports.importer import ImportReport, import_tickets
from imports.records import RowError, SourceTicket

FORMATS = ("csv", "zendesk", "freshdesk", "helpdesk")


def connect_helpdesk(url: str) -> Any:
    """A DB-API connection to a django-helpdesk database: ``postgresql://…`` (``?options=-csearch_path%3D…`` for a
    schema) or ``sqlite:///path/to/db.sqlite3``."""
    scheme = urlparse(url).scheme
    if scheme in ("postgres", "postgresql"):
        import psycopg

        return psycopg.connect(url.replace("postgres://", "postgresql://", 1))
    if scheme == "sqlite":
        return sqlite3.connect(url.removeprefix("sqlite:///").removeprefix("sqlite://") or ":memory:")
    raise sources.SourceError(f"helpdesk: {scheme or 'no'} scheme; give a postgresql:// or sqlite:/// database URL")


def read(format: str, *, text: str | None = None, url: str | None = None, mapping: str | None = None) -> Iterator[SourceTicket | RowError]:
    """The rows of one source. Raises ``SourceError`` when the source as a whole cannot be read."""
    parsed_mapping = sources.load_mapping(mapping)
    if format == "helpdesk":
        if not url:
            raise sources.SourceError("helpdesk: give the database URL as PATH")
        connection = connect_helpdesk(url)
        try:
            yield from sources.read_helpdesk(connection)
        finally:
            connection.close()
        return
    if text is None:
        raise sources.SourceError(f"{format}: no file")
    if format == "csv":
        yield from sources.read_csv(text, mapping=parsed_mapping)
    elif format == "zendesk":
        yield from sources.read_zendesk(text, mapping=parsed_mapping)
    elif format == "freshdesk":
        yield from sources.read_freshdesk(text, mapping=parsed_mapping)
    else:
        raise sources.SourceError(f"unknown format {format!r}; use one of {', '.join(FORMATS)}")


def read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")  # spreadsheet CSVs often start with a BOM
    except UnicodeDecodeError:
        raise sources.SourceError(f"{path}: not UTF-8 text") from None


def run(
    format: str,
    *,
    text: str | None = None,
    url: str | None = None,
    mapping: str | None = None,
    source: str | None = None,
    dry_run: bool = False,
    progress: Callable[[ImportReport], None] | None = None,
    batch_size: int | None = None,
) -> ImportReport:
    rows = read(format, text=text, url=url, mapping=mapping)
    kwargs: dict[str, Any] = {} if batch_size is None else {"batch_size": batch_size}
    return import_tickets(rows, source=source or format, dry_run=dry_run, progress=progress, **kwargs)


def count_rows(format: str, *, text: str | None = None, url: str | None = None) -> int:
    """How many source rows there are (for the progress bar); 0 when unknown."""
    try:
        if format == "csv" and text is not None:
            return max(0, sum(1 for _ in csv.reader(io.StringIO(text))) - 1)
        if format in ("zendesk", "freshdesk") and text is not None:
            return len(sources.json_tickets(text)[0])
        if format == "helpdesk" and url:
            connection = connect_helpdesk(url)
            try:
                cursor = connection.cursor()
                cursor.execute("SELECT count(*) FROM helpdesk_ticket")
                return int(cursor.fetchone()[0])
            finally:
                connection.close()
    except Exception:  # noqa: BLE001 - the count only drives the progress bar; reading reports the real error
        return 0
    return 0
