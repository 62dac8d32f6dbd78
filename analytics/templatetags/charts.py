"""Server-side SVG charts (no chart library, no inline style: geometry is computed here)."""

from __future__ import annotations

from typing import Any

from django import template

register = template.Library()

WIDTH, HEIGHT, PAD = 600, 140, 18


@register.inclusion_tag("analytics/_bars.html")
def bars(points: list[dict[str, Any]], value: str, *, label: str = "day", percent: bool = False, title: str = "") -> dict[str, Any]:
    """A bar per point; ``percent`` scales 0–1 values to 0–100 %. Missing values leave a gap."""
    values = [point.get(value) for point in points]
    top = 1.0 if percent else max([v for v in values if v is not None] or [0]) or 1
    slot = (WIDTH - PAD) / max(1, len(points))
    drawn = []
    for index, (point, raw) in enumerate(zip(points, values, strict=True)):
        if raw is None:
            continue
        height = (HEIGHT - PAD) * float(raw) / top
        shown = f"{raw * 100:.1f} %" if percent else (f"{raw:g}" if isinstance(raw, float) else str(raw))
        drawn.append(
            {"x": round(PAD + index * slot + slot * 0.1, 1), "y": round(HEIGHT - PAD - height, 1), "w": round(max(1.0, slot * 0.8), 1),
             "h": round(height, 1), "tip": f"{point.get(label)}: {shown}"}
        )  # fmt: skip
    top_label = "100 %" if percent else f"{top:g}"
    first = points[0].get(label) if points else ""
    last = points[-1].get(label) if points else ""
    return {"bars": drawn, "width": WIDTH, "height": HEIGHT, "pad": PAD, "top_label": top_label, "first": first, "last": last,
            "title": title, "baseline": HEIGHT - PAD}  # fmt: skip


@register.filter
def pct(value: Any) -> str:
    return "—" if value is None else f"{value * 100:.1f} %"


@register.filter
def minutes(value: Any) -> str:
    """12.5 → "12.5 min", 150 → "2.5 h", 4320 → "3.0 d"."""
    if value is None:
        return "—"
    if value < 90:
        return f"{value:g} min"
    if value < 60 * 48:
        return f"{value / 60:.1f} h"
    return f"{value / 1440:.1f} d"


@register.filter
def dash(value: Any) -> Any:
    return "—" if value is None else value
