"""Numbers, ids and JSON from untrusted input, parsed the same way everywhere.

Python's own parsers accept more than a form or a query string should: ``"²".isdigit()``
is true but ``int("²")`` fails; ``int("٣")`` is 3 (Arabic-Indic digits); ``int()`` of a
23-digit id succeeds and then overflows the database's 64-bit column; ``json.loads``
turns ``1e400`` into infinity, accepts ``NaN`` and recurses once per nesting level until a
``RecursionError``. Each of those answered 500. Here:

- whole numbers are ASCII digits only (an optional leading ``-``), with explicit bounds;
- database ids are 1 … ``MAX_DATABASE_ID``; in URLs ``IdConverter`` matches 1–18 digits,
  so a longer id is simply no match (404);
- JSON is refused above ``MAX_JSON_DEPTH`` levels (counted without recursion, before
  parsing) and without ``NaN``/``Infinity`` or numbers that overflow to infinity;
- text never carries NUL characters, which PostgreSQL can neither store nor compare
  (``DataError``, 500): dropped from filters and searches, refused in text that is kept.

Lenient helpers (``parse_int``, ``parse_id``, ``clean_text``) answer ``None`` or clean text
for filters that ignore a bad value; strict ones (``strict_int``, ``strict_id``,
``strict_text``, ``loads_json``) raise ``InputError`` whose message names the field, for a 400.

Pure Python, no Django.
"""

from __future__ import annotations

import json
import math
import re
from typing import Any

MAX_DATABASE_ID = 2**63 - 1  # PostgreSQL bigint / SQLite INTEGER
ID_URL_DIGITS = 18  # every 18-digit number fits MAX_DATABASE_ID
MAX_JSON_DEPTH = 32
PRIORITY_RANGE = (0, 3)  # P0 … P3

_WHOLE = re.compile(r"-?[0-9]+")
# A JSON string (skipped whole, escapes included) or one bracket.
_JSON_TOKENS = re.compile(r'"[^"\\]*(?:\\.[^"\\]*)*"|[\[{]|[\]}]', re.DOTALL)


class InputError(ValueError):
    """Input that cannot be used; ``message`` names the field and says what is expected."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field
        self.message = message


def _whole_number(value: Any, *, minimum: int, maximum: int) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip(" \t\r\n")
        # Longer than the widest bound cannot be in range; checking first keeps int() cheap.
        if len(text) > max(len(str(minimum)), len(str(maximum))) + 1 or not _WHOLE.fullmatch(text):
            return None
        number = int(text)
    else:
        return None
    return number if minimum <= number <= maximum else None


def parse_int(value: Any, *, minimum: int, maximum: int) -> int | None:
    """``value`` (text of ASCII digits, or an int) as an int in [minimum, maximum]; else ``None``."""
    return _whole_number(value, minimum=minimum, maximum=maximum)


def strict_int(value: Any, *, field: str, minimum: int, maximum: int) -> int:
    """Like ``parse_int``, but a missing or unusable value raises ``InputError`` naming ``field``."""
    number = _whole_number(value, minimum=minimum, maximum=maximum)
    if number is None:
        raise InputError(field, f"{field} must be a whole number from {minimum} to {maximum}.")
    return number


def parse_id(value: Any) -> int | None:
    """A database id (1 … ``MAX_DATABASE_ID``, ASCII digits) or ``None``."""
    return _whole_number(value, minimum=1, maximum=MAX_DATABASE_ID)


def strict_id(value: Any, *, field: str) -> int:
    """A database id, or ``InputError`` naming ``field``."""
    number = parse_id(value)
    if number is None:
        raise InputError(field, f"{field} must be the id of a record (a positive whole number).")
    return number


def clean_text(value: Any, *, max_length: int | None = None) -> str:
    """Text for a filter, a search or a note: NUL characters dropped, at most ``max_length`` characters."""
    return value.replace("\x00", "")[:max_length] if isinstance(value, str) else ""


def strict_text(value: Any, *, field: str, max_length: int) -> str:
    """Text to keep (a reason, a comment): ``InputError`` naming ``field`` if it holds NUL or is too long."""
    text = value if isinstance(value, str) else ""
    if "\x00" in text:
        raise InputError(field, f"{field} must not contain NUL characters.")
    if len(text) > max_length:
        raise InputError(field, f"{field} must be at most {max_length:,} characters.")
    return text


def json_depth_exceeds(text: str, max_depth: int) -> bool:
    """True if arrays/objects nest deeper than ``max_depth``; brackets inside strings do not count."""
    if text.count("[") + text.count("{") <= max_depth:
        return False
    depth = 0
    for match in _JSON_TOKENS.finditer(text):
        found = match.group()
        if found in "[{":
            depth += 1
            if depth > max_depth:
                return True
        elif found in "]}":
            depth -= 1
    return False


class _Refused(ValueError):
    pass


def _refuse_constant(name: str) -> Any:
    raise _Refused(f"must not contain {name}; JSON numbers only")


def _finite_float(text: str) -> float:
    number = float(text)
    if not math.isfinite(number):
        raise _Refused(f"holds the number {text[:40]}, which is too large")
    return number


def loads_json(raw: bytes | str, *, max_depth: int = MAX_JSON_DEPTH, field: str = "body") -> Any:
    """Parse JSON from an untrusted source, or raise ``InputError`` saying what is wrong with it."""
    if isinstance(raw, bytes):
        try:
            raw = raw.decode("utf-8")
        except UnicodeDecodeError:
            raise InputError(field, f"{field} must be UTF-8 encoded JSON.") from None
    if json_depth_exceeds(raw, max_depth):
        raise InputError(field, f"{field} is JSON nested more than {max_depth} levels deep.")
    try:
        return json.loads(raw, parse_constant=_refuse_constant, parse_float=_finite_float)
    except _Refused as refused:
        raise InputError(field, f"{field} {refused}.") from None
    except (ValueError, RecursionError) as error:  # JSONDecodeError; an integer of more than 4,300 digits
        raise InputError(field, f"{field} must be valid JSON: {error}") from None


class IdConverter:
    """Path converter for ``<id:pk>``: 1–18 ASCII digits, so any matched id fits the database.

    Django's ``<int:…>`` matches any number of digits; a 23-digit id reached the query and
    overflowed (500). Registered as ``id`` by the project (``escalation.apps``).
    """

    regex = f"[0-9]{{1,{ID_URL_DIGITS}}}"

    def to_python(self, value: str) -> int:
        return int(value)

    def to_url(self, value: Any) -> str:
        number = parse_id(value)
        if number is None or len(str(number)) > ID_URL_DIGITS:
            raise ValueError(f"{value!r} is not a database id")
        return str(number)
