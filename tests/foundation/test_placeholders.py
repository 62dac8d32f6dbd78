"""foundation.placeholders: allowed ``{{ name }}`` placeholders only, values escaped, linear scan."""

import time

import pytest

from foundation.placeholders import (
    MACRO_PLACEHOLDERS,
    PlaceholderError,
    render,
    validate,
)


@pytest.mark.parametrize("name", sorted(MACRO_PLACEHOLDERS))
def test_renders_each_allowed_placeholder(name: str) -> None:
    assert validate(f"Hi {{{{ {name} }}}}!", allowed=MACRO_PLACEHOLDERS) == []
    assert render(f"Hi {{{{ {name} }}}}!", values={name: "V"}) == "Hi V!"
    assert render(f"Hi {{{{{name}}}}}!", values={name: "V"}) == "Hi V!"


def test_missing_value_is_empty_and_text_is_kept() -> None:
    body = "Dear {{ customer.first_name }}, re {{ ticket.reference }}: {{ ticket.subject }}."
    assert render(body, values={"ticket.reference": "T-1"}) == "Dear , re T-1: ."


def test_values_are_escaped_but_the_body_is_not() -> None:
    body = "<b>{{ ticket.subject }}</b>"
    out = render(body, values={"ticket.subject": "<script>alert(1)</script>"})
    assert out == "<b>&lt;script&gt;alert(1)&lt;/script&gt;</b>"


def test_custom_escape_applies_to_values_only() -> None:
    out = render("<{{ agent.name }}>", values={"agent.name": "<x>"}, escape=str.upper)
    assert out == "<<X>>"


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("{{ customer.__class__ }}", "attribute access"),
        ("{{ customer._secret }}", "attribute access"),
        ("{% load os %}", "template tags"),
        ("{# note #}", "template comments"),
        ("{{ ticket.subject|safe }}", "filters"),
        ("{{ unknown.x }}", "unknown placeholder: {{ unknown.x }}"),
        ("Hi {{ customer.name", "unclosed {{ at character 3"),
        ("{{ }}", "empty placeholder"),
        ("{{ customer.name() }}", "not a placeholder name"),
    ],
)
def test_refused_with_a_message_naming_the_problem(body: str, expected: str) -> None:
    problems = validate(body, allowed=MACRO_PLACEHOLDERS)
    assert any(expected in problem for problem in problems), problems
    with pytest.raises(PlaceholderError) as raised:
        render(body, values={"customer.name": "x"})
    assert expected in str(raised.value)
    assert isinstance(raised.value, ValueError)


def test_only_the_callers_allow_list_counts() -> None:
    assert validate("{{ agent.name }}", allowed=frozenset({"customer.name"})) != []


@pytest.mark.parametrize(
    "body",
    ["{{" * 50000, "{{ x }}" * 15000, "{" * 100_000, "{{ a" + " " * 100_000, "}}" * 50000],
)
def test_adversarial_bodies_validate_quickly(body: str) -> None:
    started = time.perf_counter()
    validate(body, allowed=MACRO_PLACEHOLDERS)
    assert time.perf_counter() - started < 0.5
