"""CSV export of a dashboard: every section shown, flattened, safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
from typing import Any

from django.http import HttpResponse

# A cell starting with one of these is run as a formula by spreadsheet programs.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise CSV formula injection: text that a spreadsheet would evaluate gets a leading '."""
    if value is None:
        return ""
    if isinstance(value, list):
        value = "; ".join(" ".join(str(v) for v in item.values()) if isinstance(item, dict) else str(item) for item in value)
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def _flatten(row: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in row.items():
        if isinstance(value, dict):
            flat.update(_flatten(value, f"{prefix}{key}_"))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def sections_of(data: dict[str, Any], by: str) -> list[tuple[str, list[dict[str, Any]]]]:
    sections: list[tuple[str, list[dict[str, Any]]]] = [("total", [data["totals"]])]
    for name in ("now", "backlog"):
        if name in data:
            sections.append((name, [data[name]]))
    sections.append((f"by {by}", data["breakdown"]))
    sections.append(("day", data["trend"]))
    for name in ("predicted", "churn_risk", "agent_load", "helpfulness", "content_gaps"):
        if name in data:
            sections.append((name.replace("_", " "), data[name]))
    return sections


def csv_response(filename: str, data: dict[str, Any], by: str) -> HttpResponse:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    for section, rows in sections_of(data, by):
        flat = [_flatten(row) for row in rows]
        header: list[str] = []
        for row in flat:
            header.extend(key for key in row if key not in header)
        writer.writerow(["section", *header])
        for row in flat:
            writer.writerow([section, *(safe_cell(row.get(key)) for key in header)])
        writer.writerow([])
    response = HttpResponse(buffer.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
