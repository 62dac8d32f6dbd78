"""foundation.identity: one spelling per sign-in name."""

import pytest

from foundation.identity import normalize_username


@pytest.mark.parametrize("spelling", ["oscar", "OSCAR", "Oscar", "ｏｓｃａｒ", "ᵒscar", "Ⓞscar", "oſcar", " oscar\u3000"])
def test_look_alike_spellings_are_one_name(spelling: str) -> None:
    assert normalize_username(spelling) == "oscar"


@pytest.mark.parametrize("name", ["straße", "ǰane", "ﬁona", "ΣΊΣΥΦΟΣ", "x" * 300])
def test_normalizing_twice_changes_nothing(name: str) -> None:
    once = normalize_username(name)
    assert normalize_username(once) == once


def test_different_names_stay_different() -> None:
    assert normalize_username("oscar") != normalize_username("0scar")
    assert normalize_username("anna") != normalize_username("аnna")  # Cyrillic а is another letter, not a spelling
