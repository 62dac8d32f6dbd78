"""foundation.parsing: ASCII digits only, bounded ids, JSON without deep nesting, NaN or infinity."""

import pytest

from foundation.parsing import (
    ID_URL_DIGITS,
    MAX_DATABASE_ID,
    IdConverter,
    InputError,
    clean_text,
    json_depth_exceeds,
    loads_json,
    parse_id,
    parse_int,
    strict_id,
    strict_int,
    strict_text,
)


@pytest.mark.parametrize("value", ["²", "٣", "1e400", "NaN", "' OR 1=1", "\x00", "[]", "", None, True, 3.0, "+3", "3 3"])
def test_only_ascii_whole_numbers_are_numbers(value: object) -> None:
    assert parse_int(value, minimum=-10, maximum=10) is None


def test_whole_numbers_parse_within_their_bounds() -> None:
    assert parse_int(" 3\n", minimum=0, maximum=3) == 3
    assert parse_int(-1, minimum=-1, maximum=3) == -1
    assert parse_int("4", minimum=0, maximum=3) is None
    assert parse_int("-1", minimum=0, maximum=3) is None


def test_ids_fit_the_database() -> None:
    assert parse_id(str(MAX_DATABASE_ID)) == MAX_DATABASE_ID
    assert parse_id(str(MAX_DATABASE_ID + 1)) is None
    assert parse_id("99999999999999999999999") is None
    assert parse_id("0") is None and parse_id("-1") is None


def test_strict_parsers_name_the_field() -> None:
    with pytest.raises(InputError, match=r"^priority must be a whole number from 0 to 3\.$") as caught:
        strict_int("²", field="priority", minimum=0, maximum=3)
    assert caught.value.field == "priority"
    with pytest.raises(InputError, match=r"^ticket must be the id of a record"):
        strict_id("٣", field="ticket")
    with pytest.raises(InputError, match=r"^reason must not contain NUL"):
        strict_text("a\x00b", field="reason", max_length=300)
    with pytest.raises(InputError, match=r"^reason must be at most 300"):
        strict_text("x" * 301, field="reason", max_length=300)


def test_filters_drop_nul_characters() -> None:
    assert clean_text("bill\x00ing", max_length=4) == "bill"
    assert clean_text(None) == "" and clean_text(["x"]) == ""


def test_json_nested_too_deep_is_refused_before_parsing() -> None:
    with pytest.raises(InputError, match="nested more than 32 levels"):
        loads_json("[" * 1000 + "]" * 1000)
    with pytest.raises(InputError, match="nested more than 2 levels"):
        loads_json(b'{"a": {"b": [1]}}', max_depth=2)
    assert loads_json("[" * 32 + "]" * 32) is not None


def test_brackets_inside_strings_do_not_count_as_nesting() -> None:
    text = '{"subject": "' + "[{" * 500 + '\\" [[["}'
    assert not json_depth_exceeds(text, 2)
    assert loads_json(text)["subject"].startswith("[{[{")


@pytest.mark.parametrize("raw", ['{"a": NaN}', "[Infinity]", "[-Infinity]", "[1e400]", "[-1e400]"])
def test_json_has_no_nan_or_infinity(raw: str) -> None:
    with pytest.raises(InputError, match=r"^body "):
        loads_json(raw)


@pytest.mark.parametrize("raw", [b"\xff\xfe", "{", "[1,]", "[" + "1" * 5000 + "]"])
def test_malformed_json_is_an_input_error(raw: bytes | str) -> None:
    with pytest.raises(InputError):
        loads_json(raw)


def test_the_url_converter_matches_only_ids_the_database_can_hold() -> None:
    import re

    converter = IdConverter()
    assert re.fullmatch(converter.regex, "9" * ID_URL_DIGITS)
    assert not re.fullmatch(converter.regex, "9" * (ID_URL_DIGITS + 1))
    assert not re.fullmatch(converter.regex, "²") and not re.fullmatch(converter.regex, "٣")
    assert converter.to_python("42") == 42 and converter.to_url(42) == "42"
    with pytest.raises(ValueError):
        converter.to_url("²")
