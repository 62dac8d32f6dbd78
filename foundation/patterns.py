"""Regular expressions that users write (routing rules, …), run on a linear-time engine.

Python's ``re`` backtracks: one admin's ``^(\\w+\\s?)*$`` took 48 s on a 44-character
ticket and held the database write lock meanwhile. Every user-supplied pattern is compiled
here with RE2 (``google-re2``), whose matching time is linear in the text, inside a memory
budget, and is searched only in the first ``MAX_SEARCHED_CHARS`` characters. Patterns RE2
cannot run (backreferences, look-around) are refused with the reason, at save time by
``pattern_problem`` and at match time by ``UnsafePattern``.

RE2 differences a rule author may notice: ``\\w``, ``\\d`` and ``\\b`` are ASCII-only (use
``\\pL`` for any letter), and there are no backreferences or look-around assertions.

Pure Python, no Django: the routing core and the simulator use it too.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

import re2

MAX_PATTERN_LENGTH = 500
MAX_SEARCHED_CHARS = 20_000
# RE2's budget for one compiled program; a pattern needing more is refused, not slowed.
MAX_PROGRAM_BYTES = 2 << 20


class UnsafePattern(ValueError):
    """A pattern the safe engine refuses; ``str(exc)`` says why in words an admin understands."""


def _options() -> Any:
    options = re2.Options()
    options.case_sensitive = False
    options.log_errors = False
    options.max_mem = MAX_PROGRAM_BYTES
    return options


@lru_cache(maxsize=1024)
def compile_pattern(pattern: str) -> Any:
    """The compiled case-insensitive pattern; raises ``UnsafePattern`` when it cannot run safely."""
    if len(pattern) > MAX_PATTERN_LENGTH:
        raise UnsafePattern(f"The pattern is longer than {MAX_PATTERN_LENGTH} characters.")
    try:
        return re2.compile(pattern, _options())
    except re2.error as exc:
        reason = exc.args[0].decode(errors="replace") if exc.args and isinstance(exc.args[0], bytes) else str(exc)
        raise UnsafePattern(
            f"Not supported by the safe regular-expression engine (RE2): {reason}. "
            "Backreferences and look-around are not available; keep to alternatives, classes and repeats."
        ) from None


def pattern_problem(pattern: str) -> str | None:
    """Why the pattern cannot be used (None when it can): for form, API and migration checks."""
    try:
        compile_pattern(pattern)
    except UnsafePattern as exc:
        return str(exc)
    return None


def search(pattern: str, text: str) -> bool:
    """Whether the pattern occurs in the text's first ``MAX_SEARCHED_CHARS`` characters."""
    return compile_pattern(pattern).search(text[:MAX_SEARCHED_CHARS]) is not None
