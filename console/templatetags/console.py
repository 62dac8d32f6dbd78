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
