"""Placeholders in macro bodies (canned replies): ``{{ customer.first_name }}`` and nothing more.

A macro body is agent-written text, so it is never handed to a template engine: no tags
(``{% ... %}``), no comments (``{# ... #}``), no filters (``|``), no attribute walking
(``__class__`` or any segment starting with ``_``), and only names from an allow-list.
The body is read by one forward scan with ``str.find`` (linear time, no regular
expressions); values are substituted as plain text and escaped (HTML by default), the
body itself is not.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Mapping

__all__ = ["MACRO_PLACEHOLDERS", "MAX_PROBLEMS", "PlaceholderError", "render", "validate"]

MACRO_PLACEHOLDERS: frozenset[str] = frozenset(
    {
        "customer.first_name",
        "customer.name",
        "ticket.reference",
        "ticket.subject",
        "agent.name",
        "article.title",
        "article.url",
    }
)

# A hostile body could hold thousands of bad placeholders; the report stops here.
MAX_PROBLEMS = 20

_OPEN = "{{"
_CLOSE = "}}"
_SHOWN = 40  # characters of a bad placeholder quoted back in a message
_LOWER = frozenset("abcdefghijklmnopqrstuvwxyz")
_SEGMENT_CHARS = _LOWER | frozenset("0123456789_")


class PlaceholderError(ValueError):
    """The body holds something other than text and allowed ``{{ name.path }}`` placeholders."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _shown(text: str) -> str:
    return text if len(text) <= _SHOWN else text[:_SHOWN] + "…"


def _name_problem(name: str, allowed: frozenset[str]) -> str | None:
    """Why ``name`` (the stripped text between the braces) is not an allowed placeholder."""
    if not name:
        return "empty placeholder {{ }}"
    if "|" in name:
        return f"filters are not allowed: {{{{ {_shown(name)} }}}}"
    for segment in name.split("."):
        if segment.startswith("_") or segment.endswith("_"):
            return f"attribute access is not allowed: {{{{ {_shown(name)} }}}}"
        if not segment or segment[0] not in _LOWER or not set(segment) <= _SEGMENT_CHARS:
            return f"not a placeholder name: {{{{ {_shown(name)} }}}}"
    if name not in allowed:
        return f"unknown placeholder: {{{{ {_shown(name)} }}}}"
    return None


def _scan(body: str, allowed: frozenset[str]) -> tuple[list[str], list[tuple[int, int, str]]]:
    """Problems, and the (start, end, name) of each good placeholder, in one forward pass."""
    problems: list[str] = []
    if "{%" in body:
        problems.append("template tags ({% ... %}) are not allowed")
    if "{#" in body:
        problems.append("template comments ({# ... #}) are not allowed")
    found: list[tuple[int, int, str]] = []
    position = 0
    while len(problems) < MAX_PROBLEMS:
        start = body.find(_OPEN, position)
        if start < 0:
            break
        close = body.find(_CLOSE, start + len(_OPEN))
        if close < 0:
            problems.append(f"unclosed {{{{ at character {start}")
            break
        end = close + len(_CLOSE)
        name = body[start + len(_OPEN) : close].strip()
        problem = _name_problem(name, allowed)
        if problem is None:
            found.append((start, end, name))
        else:
            problems.append(problem)
        position = end
    return problems, found


def validate(body: str, *, allowed: frozenset[str] = MACRO_PLACEHOLDERS) -> list[str]:
    """Human-readable problems with ``body``; empty when it can be rendered."""
    return _scan(body, allowed)[0]


def render(
    body: str,
    *,
    values: Mapping[str, str],
    escape: Callable[[str], str] | None = None,
    allowed: frozenset[str] = MACRO_PLACEHOLDERS,
) -> str:
    """``body`` with each placeholder replaced by its escaped value ('' when missing).

    Raises ``PlaceholderError`` (a ``ValueError``) when ``validate`` finds problems.
    """
    problems, found = _scan(body, allowed)
    if problems:
        raise PlaceholderError(problems)
    quote = html.escape if escape is None else escape
    parts: list[str] = []
    position = 0
    for start, end, name in found:
        parts.append(body[position:start])
        parts.append(quote(values.get(name, "")))
        position = end
    parts.append(body[position:])
    return "".join(parts)
