"""The comparison normalisers in ragkit.text.normalize: what they fold and what they keep."""

from __future__ import annotations

import pytest

from ragkit.text.normalize import alnum_key, fold


@pytest.mark.parametrize(
    ("text", "folded"),
    [
        ("1,921 metres", "1921 metres"),  # thousands separators go
        ("1 921", "1921"),
        ("12,345,678", "12345678"),
        ("1,5 litre", "1,5 litre"),  # a decimal comma stays
        ("1,5000", "1,5000"),  # four digits after the comma: not a separator
        ("ＡＢＣ１２，３４５", "abc12345"),  # full-width forms and comma, NFKC
        ("ﬁne", "fine"),  # ligature
        ("Ember Kettle", "ember kettle"),
        ("Straße café 臺 三", "straße café 臺 三"),  # no casefold, accents, script, numerals
    ],
)
def test_fold(text: str, folded: str) -> None:
    assert fold(text) == folded


def test_fold_keeps_what_it_does_not_normalise() -> None:
    text = "Warranty: 18 months.\n保修期为十八个月。"
    assert fold(text) == "warranty: 18 months.\n保修期为十八个月。"


def test_alnum_key_matches_copies_that_differ_only_in_form() -> None:
    a = alnum_key("The kettle holds 1.2 litres.")
    assert a == "thekettleholds12litres"
    assert alnum_key("the  KETTLE holds 1.2 litres!") == a
    assert alnum_key("ｔｈｅ kettle holds １.２ litres") == a
    assert alnum_key("保修期为 18 个月。") == "保修期为18个月"
    assert alnum_key(" 。) - ") == ""  # punctuation alone has no key
    assert alnum_key("The kettle holds 1.3 litres.") != a
