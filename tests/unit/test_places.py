"""A place's adjective and short forms name the place (`ragkit.text.places`)."""

from __future__ import annotations

from ragkit.text.places import is_place_adjective, names_place, one_word_groups, place_forms


def test_a_places_adjective_and_short_forms_are_its_other_names() -> None:
    assert "france" in place_forms("French")
    assert "french" in place_forms("france")
    assert {"united states", "u.s.", "american"} <= place_forms("US")
    assert place_forms("Lumen") == frozenset()


def test_a_text_names_the_place_in_any_of_its_forms_as_whole_words() -> None:
    assert names_place("French", "voters in france chose a new president")
    assert names_place("US", "the 2020 united states presidential election")
    assert names_place("US", "results of the 2020 u.s. presidential election")
    assert not names_place("French", "the franchise of a tea house")
    # "us" is a pronoun in running text, not the United States.
    assert not names_place("America", "let us meet at the tea house")


def test_an_adjective_is_told_from_the_place_and_one_word_forms_group() -> None:
    assert is_place_adjective("Colombian") and is_place_adjective("austrian")
    assert not is_place_adjective("Colombia") and not is_place_adjective("Lumen")
    assert ("france", "french") in one_word_groups()
