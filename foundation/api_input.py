"""How the API reads input: a depth-limited JSON parser and number fields, both on ``foundation.parsing``.

DRF's stock ``JSONParser`` lets ``json.load`` recurse once per nesting level: a body nested
1,000 deep raised ``RecursionError`` (500). ``DepthLimitedJSONParser`` (the default parser,
see ``REST_FRAMEWORK`` in settings) answers 400 with the reason for too-deep bodies,
``NaN``/``Infinity`` and numbers that overflow to infinity.

DRF's ``IntegerField`` runs ``int()``, which takes Arabic-Indic and other Unicode digits
(``"٣"`` is 3) and any number of them; ``WholeNumberField`` and ``IdField`` take ASCII
digits or a JSON integer only, bounded to what the database can hold.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from rest_framework import serializers
from rest_framework.exceptions import ParseError
from rest_framework.parsers import JSONParser

from foundation.parsing import MAX_DATABASE_ID, InputError, loads_json, parse_int


class DepthLimitedJSONParser(JSONParser):
    def parse(self, stream: Any, media_type: str | None = None, parser_context: Any = None) -> Any:
        encoding = (parser_context or {}).get("encoding", settings.DEFAULT_CHARSET)
        raw = stream.read() if stream is not None else b""
        try:
            text = raw.decode(encoding)
        except (LookupError, UnicodeDecodeError):
            raise ParseError(f"JSON parse error - the body is not valid {encoding} text.") from None
        try:
            return loads_json(text)
        except InputError as error:
            raise ParseError(f"JSON parse error - {error.message}") from None


class WholeNumberField(serializers.IntegerField):
    """An integer from ASCII digits or a JSON integer (not a float, not a boolean), within 64 bits."""

    def to_internal_value(self, data: Any) -> int:
        number = parse_int(data, minimum=-MAX_DATABASE_ID - 1, maximum=MAX_DATABASE_ID)
        if number is None:
            self.fail("invalid")
        return number


class IdField(WholeNumberField):
    """The id of a database row: 1 … 2**63 - 1."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(min_value=1, max_value=MAX_DATABASE_ID, **kwargs)
