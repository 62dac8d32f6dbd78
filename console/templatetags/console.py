"""Small display helpers for the console."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone

register = template.Library()


@register.filter
def countdown(due: datetime | None, now: datetime | None = None) -> str:
    """ "in 2h 05m" or "3h 10m overdue"; empty when there is no clock."""
    if due is None:
        return ""
    seconds = int((due - (now or timezone.now())).total_seconds())
    late, seconds = seconds < 0, abs(seconds)
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes = rest // 60
    text = f"{days}d {hours}h" if days else f"{hours}h {minutes:02d}m" if hours else f"{minutes}m"
    return f"{text} overdue" if late else f"in {text}"


@register.filter
def percent(value: Any) -> str:
    try:
        return f"{float(value) * 100:.0f}%"
    except (TypeError, ValueError):
        return ""


@register.filter
def priority_label(value: Any) -> str:
    return f"P{value}" if value is not None else ""


@register.filter
def get(mapping: Any, key: Any) -> Any:
    try:
        return mapping.get(key) if hasattr(mapping, "get") else mapping[key]
    except (KeyError, IndexError, TypeError):
        return None


@register.filter
def words(value: Any) -> str:
    """snake_case → words: "at_risk" → "at risk"."""
    return str(value or "").replace("_", " ")


CHART_WIDTH, CHART_HEIGHT = 420, 190
CHART_TOP, CHART_BOTTOM, CHART_LEFT = 26, 22, 40  # legend above, group labels below, the scale's top on the left


@register.inclusion_tag("agents/_paired_bars.html")
def paired_bars(
    groups: list[tuple[str, Any, Any]], *, percent: bool = False, title: str = "", scenario: str = "scenario"
) -> dict[str, Any]:
    """Two bars per group (baseline, scenario), drawn here as SVG geometry; a missing value leaves a gap.

    Every text (titles, team and agent names, the scenario's name) goes through the template's escaping."""
    values = [v for _, *pair in groups for v in pair if v is not None]
    top = 1.0 if percent else float(max(values, default=0) or 1)
    plot = CHART_HEIGHT - CHART_TOP - CHART_BOTTOM
    slot = (CHART_WIDTH - CHART_LEFT) / max(1, len(groups))
    width = max(1.0, slot * 0.36)
    bars, labels = [], []
    for index, (label, *pair) in enumerate(groups):
        left = CHART_LEFT + index * slot + slot * 0.14
        for side, (kind, raw) in enumerate(zip(("baseline", scenario), pair, strict=True)):
            if raw is None:
                continue
            height = plot * min(float(raw), top) / top
            shown = f"{raw * 100:.2f} %" if percent else str(raw)
            bars.append(
                {"x": round(left + side * width, 1), "y": round(CHART_TOP + plot - height, 1), "w": round(width, 1), "h": round(height, 1),
                 "kind": "scenario" if side else "baseline", "tip": f"{label} · {kind}: {shown}"}
            )  # fmt: skip
        labels.append({"x": round(CHART_LEFT + index * slot + slot / 2, 1), "text": label})
    return {
        "bars": bars, "labels": labels, "title": title, "scenario": scenario, "width": CHART_WIDTH, "height": CHART_HEIGHT,
        "left": CHART_LEFT, "top": CHART_TOP, "axis": CHART_TOP + plot, "top_label": "100 %" if percent else f"{top:g}",
        "label_y": CHART_HEIGHT - 6, "legend_x": CHART_LEFT + 70,
    }  # fmt: skip


@register.filter
def whatif_value(value: Any, measure: str) -> str:
    """A what-if number as a person reads it: shares as percentages (2 decimals, as stored), minutes and counts as they are."""
    if value is None:
        return "—"
    if "compliance" in measure or measure.startswith("utilization"):
        return f"{value * 100:.2f} %"
    return str(value)  # the replay rounds minutes to 2 decimals already; ``:g`` would cut 12345.67 to 12345.7
